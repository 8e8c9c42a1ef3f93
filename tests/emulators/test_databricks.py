"""The Databricks REST emulator, driven by the official databricks-sdk client.

Runs are real processes of tiny notebooks (no Spark). Expected values come
from the Databricks REST API reference: life cycle PENDING -> RUNNING ->
TERMINATING -> TERMINATED, result states, RESOURCE_DOES_NOT_EXIST (404) for a
missing job or run, 401/403 for a missing or wrong token, output only from a
task run (not from a multi-task run), ``has_more``/``next_page_token`` paging.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sdk = pytest.importorskip("databricks.sdk")
from databricks.sdk import WorkspaceClient  # noqa: E402
from databricks.sdk.core import Config  # noqa: E402
from databricks.sdk.errors import (  # noqa: E402
    InvalidParameterValue,
    NotFound,
    PermissionDenied,
    ResourceDoesNotExist,
)
from databricks.sdk.service import jobs  # noqa: E402
from databricks.sdk.service.workspace import ImportFormat, Language, ObjectType  # noqa: E402

from emulators.databricks import server  # noqa: E402

NOTEBOOKS = Path(__file__).parent / "notebooks"
FOLDER = "/Workspace/Shared/emulator-tests"
TOKEN = f"dapi{secrets.token_hex(16)}"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[server.EmulatorServer]:
    srv, _ = server.start(tmp_path_factory.mktemp("databricks"), TOKEN)
    yield srv
    server.stop(srv)


def client(url: str, token: str = TOKEN) -> WorkspaceClient:
    # The server answers before the client is built (the SDK retries refused connections
    # for 300 s); short retry budgets keep a failing test short.
    return WorkspaceClient(config=Config(host=url, token=token, retry_timeout_seconds=20))


@pytest.fixture(scope="module")
def w(emulator: server.EmulatorServer) -> WorkspaceClient:
    ws = client(emulator.url)
    ws.workspace.mkdirs(FOLDER)
    for nb in NOTEBOOKS.glob("*.py"):
        ws.workspace.import_(f"{FOLDER}/{nb.stem}", content=base64.b64encode(nb.read_bytes())
                             .decode(), format=ImportFormat.SOURCE, language=Language.PYTHON,
                             overwrite=True)
    return ws


def notebook_job(w: WorkspaceClient, name: str, notebook: str, timeout: int = 0,
                 **params: str) -> int:
    created = w.jobs.create(
        name=name,
        tasks=[jobs.Task(task_key="main", timeout_seconds=timeout,
                         notebook_task=jobs.NotebookTask(notebook_path=f"{FOLDER}/{notebook}",
                                                         base_parameters=params))],
        parameters=[jobs.JobParameterDefinition(name="environment", default="dev")],
    )
    assert created.job_id is not None
    return created.job_id


def wait_ended(w: WorkspaceClient, run_id: int, seconds: float = 60) -> jobs.Run:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = w.jobs.get_run(run_id)
        assert run.state is not None
        if run.state.life_cycle_state in (jobs.RunLifeCycleState.TERMINATED,
                                          jobs.RunLifeCycleState.INTERNAL_ERROR):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not end in {seconds} s")


def test_a_run_goes_through_its_life_cycle_and_returns_the_exit_value(
        w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "exits", "exits", run_type="once")
    seen = []
    run_id = w.jobs.run_now(job_id, job_parameters={"environment": "qa"}).run_id
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = w.jobs.get_run(run_id).state
        assert state is not None and state.life_cycle_state is not None
        if not seen or seen[-1] != state.life_cycle_state:
            seen.append(state.life_cycle_state)
        if state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED:
            break
        time.sleep(0.02)
    L = jobs.RunLifeCycleState
    order = [L.PENDING, L.RUNNING, L.TERMINATING, L.TERMINATED]
    assert seen[0] == L.PENDING and seen[-1] == L.TERMINATED
    assert [s for s in order if s in seen] == seen, seen  # no state out of order
    run = w.jobs.wait_get_run_job_terminated_or_skipped(run_id)
    assert run.state is not None and run.state.result_state == jobs.RunResultState.SUCCESS
    assert run.tasks and run.tasks[0].run_id is not None
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert output.notebook_output is not None and output.notebook_output.result is not None
    # job parameters reach the notebook's widgets; base parameters fill the rest
    assert json.loads(output.notebook_output.result) == {"environment": "qa", "run_type": "once"}
    with pytest.raises(InvalidParameterValue):  # output comes from the task run only
        w.jobs.get_run_output(run_id)
    w.jobs.delete(job_id)


def test_a_failing_notebook_ends_failed_and_wait_does_not_say_so(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "fails", "fails")
    run = w.jobs.run_now_and_wait(job_id)  # returns on TERMINATED: the caller checks the result
    assert run.state is not None
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.TERMINATED
    assert run.state.result_state == jobs.RunResultState.FAILED
    assert run.tasks and run.tasks[0].run_id is not None
    output = w.jobs.get_run_output(run.tasks[0].run_id)
    assert output.notebook_output is None
    assert output.error and "the batch test found 3 differences" in output.error
    assert output.error_trace and "ValueError" in output.error_trace
    w.jobs.delete(job_id)


def test_cancel_a_long_run(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "sleeps", "sleeps")
    run_id = w.jobs.run_now(job_id).run_id
    deadline = time.monotonic() + 30
    while w.jobs.get_run(run_id).state.life_cycle_state != jobs.RunLifeCycleState.RUNNING:  # type: ignore[union-attr]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    began = time.monotonic()
    w.jobs.cancel_run(run_id)
    run = wait_ended(w, run_id, 30)
    assert time.monotonic() - began < 15
    assert run.state is not None and run.state.result_state == jobs.RunResultState.CANCELED
    w.jobs.delete(job_id)


def test_a_run_over_its_timeout_is_timedout(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "sleeps", "sleeps", timeout=2)
    run = wait_ended(w, w.jobs.run_now(job_id).run_id, 30)
    assert run.state is not None and run.state.result_state == jobs.RunResultState.TIMEDOUT
    w.jobs.delete(job_id)


def test_a_missing_notebook_is_an_internal_error(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "missing", "no-such-notebook")
    run = wait_ended(w, w.jobs.run_now(job_id).run_id)
    assert run.state is not None
    assert run.state.life_cycle_state == jobs.RunLifeCycleState.INTERNAL_ERROR
    w.jobs.delete(job_id)


def test_notebook_run_from_a_notebook(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "calls", "calls")
    run = w.jobs.run_now_and_wait(job_id)
    assert run.tasks and run.tasks[0].run_id is not None
    out = w.jobs.get_run_output(run.tasks[0].run_id).notebook_output
    assert out is not None and out.result is not None
    assert json.loads(out.result.removeprefix("child said ")) == {
        "environment": "dev", "run_type": "stream"}
    w.jobs.delete(job_id)


def test_list_pages_through_every_job_and_delete_removes_them(w: WorkspaceClient) -> None:
    ids = {notebook_job(w, f"page-{i}", "exits") for i in range(7)}
    page = w.api_client.do("GET", "/api/2.2/jobs/list", query={"limit": 3})
    assert page["has_more"] is True and page["next_page_token"] and len(page["jobs"]) == 3
    listed = [j.job_id for j in w.jobs.list(limit=3)]  # the SDK follows next_page_token
    assert ids <= set(listed) and len(listed) == len(set(listed))
    assert [j.job_id for j in w.jobs.list(name="page-3")] == [
        j for j in sorted(ids) if w.jobs.get(j).settings.name == "page-3"]  # type: ignore[union-attr]
    one = next(iter(ids))
    w.jobs.reset(one, new_settings=jobs.JobSettings(name="renamed", tasks=[
        jobs.Task(task_key="main", notebook_task=jobs.NotebookTask(
            notebook_path=f"{FOLDER}/exits"))]))
    assert w.jobs.get(one).settings.name == "renamed"  # type: ignore[union-attr]
    for job_id in ids:
        w.jobs.delete(job_id)
    assert not ids & {j.job_id for j in w.jobs.list()}
    with pytest.raises(ResourceDoesNotExist) as missing:
        w.jobs.get(one)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(NotFound):
        w.jobs.get_run(987654321)


def test_runs_list_pages_and_filters(w: WorkspaceClient) -> None:
    job_id = notebook_job(w, "runs", "exits")
    run_ids = [w.jobs.run_now(job_id).run_id for _ in range(3)]
    for rid in run_ids:
        wait_ended(w, rid)
    listed = [r.run_id for r in w.jobs.list_runs(job_id=job_id, limit=2)]
    assert sorted(listed) == sorted(run_ids)
    assert not list(w.jobs.list_runs(job_id=job_id, active_only=True))
    w.jobs.delete(job_id)


def test_workspace_and_files(w: WorkspaceClient) -> None:
    folder = f"{FOLDER}/ws"
    w.workspace.mkdirs(folder)
    source = (NOTEBOOKS / "exits.py").read_bytes()
    w.workspace.import_(f"{folder}/nb", content=base64.b64encode(source).decode(),
                        format=ImportFormat.SOURCE, language=Language.PYTHON)
    status = w.workspace.get_status(f"{folder}/nb")
    assert status.object_type == ObjectType.NOTEBOOK and status.language == Language.PYTHON
    assert [o.path for o in w.workspace.list(folder)] == [f"{folder}/nb"]
    exported = w.workspace.export(f"{folder}/nb")
    assert exported.content is not None and base64.b64decode(exported.content) == source
    with pytest.raises(Exception) as exists:  # import without overwrite
        w.workspace.import_(f"{folder}/nb", content=base64.b64encode(source).decode(),
                            format=ImportFormat.SOURCE, language=Language.PYTHON)
    assert getattr(exists.value, "error_code", None) == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(Exception) as not_empty:
        w.workspace.delete(folder)
    assert getattr(not_empty.value, "error_code", None) == "DIRECTORY_NOT_EMPTY"
    w.workspace.delete(folder, recursive=True)
    with pytest.raises(ResourceDoesNotExist):
        w.workspace.get_status(folder)
    import io

    w.files.upload("/Volumes/dev/fitness/artifacts/x.whl", io.BytesIO(b"PK wheel"),
                   overwrite=True)
    got = w.files.download("/Volumes/dev/fitness/artifacts/x.whl").contents
    assert got is not None and got.read() == b"PK wheel"


def test_a_wrong_or_missing_token_is_refused_in_the_databricks_shape(
        emulator: server.EmulatorServer) -> None:
    with pytest.raises(PermissionDenied) as wrong:
        client(emulator.url, token="dapi-not-the-token").jobs.get(1)
    assert wrong.value.error_code == "PERMISSION_DENIED"
    assert "dapi-not-the-token" not in str(wrong.value)
    # The SDK always sends a credential, so the one request without any is made by hand.
    import requests

    bare = requests.get(f"{emulator.url}/api/2.2/jobs/list", timeout=10)
    assert bare.status_code == 401 and bare.json()["error_code"] == "UNAUTHENTICATED"
