"""One pipeline per environment: a second run is refused, naming the holder; kill -9 frees it.

Real processes throughout: the holder is a real ``python -m lakehouse_local
stream`` (or a small lock-holding process for the lease timings), the
contender a real ``python -m lakehouse_local run once``. The refusal comes before
Spark starts, so these tests take seconds, not minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.platform.config import LakehouseConfig, load_config
from app.platform.errors import PipelineLockedError
from app.platform.lakehouse import Lakehouse
from app.platform.lock import LOCK_PATH, Holder, pipeline_lock
from app.platform.storage import storage_target
from tests.chaos.processes import Child, child_env, isolated_config, pipeline, run_pipeline, start

pytestmark = pytest.mark.integration


@pytest.fixture(params=["local", "azurite"])
def env_config(request: pytest.FixtureRequest, base_config: LakehouseConfig,
               ) -> Iterator[LakehouseConfig]:
    """An isolated environment on one storage target, without a Spark session."""
    config = isolated_config(base_config.replace(storage=request.param))
    if request.param == "azurite":
        endpoint = request.getfixturevalue("azurite")
        config = config.replace(azurite_host=endpoint.host, azurite_port=endpoint.port)
    target = storage_target(config)
    target.provision()
    yield config
    target.deprovision()


def _holder_recorded(config: LakehouseConfig) -> Holder | None:
    try:
        return Holder.parse(storage_target(config).store("checkpoint").get_bytes(LOCK_PATH))
    except Exception:
        return None


def _wait_locked_by(config: LakehouseConfig, child: Child, timeout: float = 60.0) -> Holder:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holder = _holder_recorded(config)
        if holder is not None and holder.pid == child.pid:
            return holder
        assert child.alive(), f"the holder exited early:\n{child.output()[-3000:]}"
        time.sleep(0.1)
    raise AssertionError(f"{child.args} did not take the lock in {timeout}s")


def test_second_pipeline_is_refused_naming_the_holder(env_config: LakehouseConfig,
                                                      tmp_path: Path) -> None:
    env = child_env(env_config)
    first = pipeline("stream", "--no-live", "--no-producer", env=env, log=tmp_path / "first.log")
    try:
        holder = _wait_locked_by(env_config, first)
        assert holder.command == "stream"
        began = time.monotonic()
        status, out = run_pipeline("once", env=env, log=tmp_path / "second.log", timeout=120)
        refused_in = time.monotonic() - began
        assert status == 2, out
        assert "another pipeline is running on this environment" in out
        assert f"pid {first.pid}" in out and "`stream`" in out and LOCK_PATH in out
        assert "run once:" not in out  # it did nothing
        assert refused_in < 60  # refused before Spark started
    finally:
        first.kill_group()
    # kill -9 leaves no stale lock: a flock dies with its process; a lease
    # whose holder is gone from this host is broken at once.
    lh = Lakehouse(load_config(env=env))
    with pipeline_lock(lh, "once") as lock:
        assert _holder_recorded(env_config) == lock.holder


def test_lock_is_released_on_exit(env_config: LakehouseConfig, tmp_path: Path) -> None:
    env = child_env(env_config)
    holder = start(["-m", "tests.chaos.hold_lock", "--seconds", "1"], env, tmp_path / "h.log")
    assert holder.wait(60) == 0, holder.output()
    assert "released" in holder.output()
    lh = Lakehouse(load_config(env=env))
    with pipeline_lock(lh, "once"):
        pass


def test_a_killed_holder_on_another_host_frees_the_lease_when_it_expires(
    azurite, base_config: LakehouseConfig, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    config = isolated_config(base_config.replace(
        storage="azurite", azurite_host=azurite.host, azurite_port=azurite.port))
    target = storage_target(config)
    target.provision()
    env = child_env(config)
    lease = 15  # Azure's shortest lease
    holder = start(["-m", "tests.chaos.hold_lock", "--host", "elsewhere", "--lease", str(lease)],
                   env, tmp_path / "h.log")
    try:
        _wait_locked_by(config, holder)
        holder.kill_group()
        killed = time.monotonic()
        lh = Lakehouse(load_config(env=env))
        # This host cannot see a process on "elsewhere": it must wait for the lease.
        with pytest.raises(PipelineLockedError, match="host elsewhere"):
            pipeline_lock(lh, "once").acquire()
        while True:
            try:
                with pipeline_lock(lh, "once"):
                    freed_after = time.monotonic() - killed
                break
            except PipelineLockedError:
                assert time.monotonic() - killed < lease + 10, "the lease never expired"
                time.sleep(0.5)
        assert freed_after <= lease + 10
    finally:
        holder.kill_group()
        target.deprovision()


def test_a_holder_that_loses_its_lease_is_told(azurite, base_config: LakehouseConfig,
                                               ) -> None:  # type: ignore[no-untyped-def]
    """If another process takes the lease (an outage longer than the lease, then a
    second pipeline), the first must learn it at its next renewal and stop."""
    from azure.storage.blob import BlobLeaseClient

    config = isolated_config(base_config.replace(
        storage="azurite", azurite_host=azurite.host, azurite_port=azurite.port))
    target = storage_target(config)
    target.provision()
    lost = threading.Event()
    messages: list[str] = []
    try:
        lh = Lakehouse(config)
        lock = pipeline_lock(lh, "stream", duration=15,
                             on_lost=lambda m: (messages.append(m), lost.set()))
        with lock:
            blob = target.store("checkpoint").container.get_blob_client(LOCK_PATH)  # type: ignore[attr-defined]
            BlobLeaseClient(blob).break_lease(lease_break_period=0)
            thief = BlobLeaseClient(blob)
            thief.acquire(lease_duration=15)
            blob.upload_blob(Holder("thief-host", 4242, "stream", "x", "now").to_bytes(),
                             overwrite=True, lease=thief)
            assert lost.wait(15), "the renewal never noticed"
            thief.release()
        assert "lost the pipeline lock" in messages[0] and "thief-host" in messages[0]
    finally:
        target.deprovision()
