"""A Databricks REST emulator on 127.0.0.1 (local room, never deployed).

Serves what the release flow calls, in the shapes of the Databricks REST API,
so the official ``databricks.sdk.WorkspaceClient`` drives it unchanged:

- ``GET /.well-known/databricks-config`` (the SDK asks it first);
- Jobs 2.1 and 2.2 (``/api/2.1/jobs/...`` and ``/api/2.2/jobs/...``): create,
  get, list (``page_token`` pagination), reset, delete, run-now, runs/get,
  runs/get-output, runs/cancel, runs/list;
- Workspace 2.0: mkdirs, import, export, list, get-status, delete;
- Files 2.0: ``PUT/GET/HEAD /api/2.0/fs/files/<path>``, ``PUT/GET /api/2.0/fs/directories/<path>``;
- Unity Catalog 2.1: catalogs, schemas, storage credentials, external locations and
  grants (``emulators.databricks.unity``, which lists what it keeps and what not).

Runs are real: each notebook task runs as a local process
(``emulators.databricks.notebook``) with its parameters, the job cluster's
``spark_env_vars`` and the task's wheel libraries (extracted, first on
``PYTHONPATH``). Life cycle: PENDING -> RUNNING -> TERMINATING -> TERMINATED,
or INTERNAL_ERROR when the task cannot start (missing notebook or wheel);
result state SUCCESS, FAILED, TIMEDOUT or CANCELED. Output comes from
``dbutils.notebook.exit``.

Every request needs ``Authorization: Bearer <token>``: none gives 401, a wrong
one 403, both as ``{"error_code", "message"}``. The token is never logged.
"""

from __future__ import annotations

import base64
import hmac
import itertools
import json
import logging
import shutil
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from emulators.databricks.notebook import NotebookProcess, NotebookResult
from emulators.databricks.unity import UcError, UnityCatalog

log = logging.getLogger(__name__)
PENDING_SECONDS = 0.3  # how long a run stays PENDING (a cluster "starting")
MAX_OUTPUT = 5 * 1024 * 1024  # runs/get-output returns at most 5 MB of a notebook's result
LIST_LIMIT_MAX = 100


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _missing(what: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", what)


def _invalid(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- workspace -----------------------------------------------------------------
@dataclass
class WsObject:
    path: str
    object_type: str  # DIRECTORY, NOTEBOOK, FILE
    object_id: int
    language: str | None = None
    content: bytes = b""
    created_at: int = field(default_factory=_now_ms)

    def info(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "object_type": self.object_type,
                               "object_id": self.object_id, "created_at": self.created_at,
                               "modified_at": self.created_at}
        if self.language:
            out["language"] = self.language
        if self.object_type != "DIRECTORY":
            out["size"] = len(self.content)
        return out


def _norm(path: str) -> str:
    if not path or not path.startswith("/"):
        raise _invalid(f"Path ({path}) must be absolute")
    parts = [p for p in path.split("/") if p]
    if ".." in parts:
        raise _invalid(f"Path ({path}) must not hold '..'")
    return "/" + "/".join(parts)


class Workspace:
    """Workspace objects in memory, mirrored under ``root`` so runs can read them."""

    def __init__(self, root: Path, ids: itertools.count) -> None:
        self.root = root
        self._ids = ids
        self.objects: dict[str, WsObject] = {"/": WsObject("/", "DIRECTORY", 0)}

    def disk(self, path: str) -> Path:
        return self.root / _norm(path).lstrip("/")

    def get(self, path: str) -> WsObject:
        obj = self.objects.get(_norm(path))
        if obj is None:
            raise _missing(f"Path ({path}) doesn't exist.")
        return obj

    def mkdirs(self, path: str) -> None:
        path = _norm(path)
        parts = path.strip("/").split("/") if path != "/" else []
        for i in range(1, len(parts) + 1):
            p = "/" + "/".join(parts[:i])
            existing = self.objects.get(p)
            if existing is None:
                self.objects[p] = WsObject(p, "DIRECTORY", next(self._ids))
                self.disk(p).mkdir(parents=True, exist_ok=True)
            elif existing.object_type != "DIRECTORY":
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS",
                               f"Cannot create directory {p}: a file exists there")

    def put(self, path: str, object_type: str, content: bytes, language: str | None,
            overwrite: bool) -> None:
        path = _norm(path)
        parent = path.rsplit("/", 1)[0] or "/"
        if parent not in self.objects:
            raise _missing(f"The parent folder ({parent}) does not exist.")
        old = self.objects.get(path)
        if old is not None and (old.object_type == "DIRECTORY" or not overwrite):
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({path}) already exists.")
        self.objects[path] = WsObject(path, object_type, next(self._ids), language, content)
        target = self.disk(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)

    def children(self, path: str) -> list[WsObject]:
        obj = self.get(path)
        if obj.object_type != "DIRECTORY":
            return [obj]
        prefix = obj.path.rstrip("/") + "/"
        return [o for p, o in sorted(self.objects.items())
                if p.startswith(prefix) and "/" not in p[len(prefix):] and p != "/"]

    def delete(self, path: str, recursive: bool) -> None:
        obj = self.get(path)
        if obj.path == "/":
            raise _invalid("Cannot delete the root folder")
        inside = [p for p in self.objects if p.startswith(obj.path.rstrip("/") + "/")]
        if inside and not recursive:
            raise ApiError(400, "DIRECTORY_NOT_EMPTY",
                           f"Folder ({obj.path}) is not empty. Use recursive delete or "
                           "remove contents first.")
        for p in [*inside, obj.path]:
            del self.objects[p]
        target = self.disk(obj.path)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()


LANGUAGE_OF = {".py": "PYTHON", ".sql": "SQL", ".scala": "SCALA", ".r": "R"}
HEADERS = {"PYTHON": b"# Databricks notebook source", "SQL": b"-- Databricks notebook source",
           "SCALA": b"// Databricks notebook source", "R": b"# Databricks notebook source"}


# --- jobs and runs ---------------------------------------------------------------
@dataclass
class Run:
    run_id: int
    job_id: int
    number_in_job: int
    task_key: str
    task_run_id: int
    notebook_path: str
    parameters: dict[str, str]
    env: dict[str, str]
    wheels: list[str]
    timeout_seconds: int
    job_parameters: list[dict[str, str]]
    run_name: str
    start_time: int = field(default_factory=_now_ms)
    life_cycle_state: str = "PENDING"
    result_state: str | None = None
    state_message: str = "Waiting for cluster"
    end_time: int = 0
    setup_duration: int = 0
    execution_duration: int = 0
    result: NotebookResult | None = None
    process: NotebookProcess | None = None
    cancel_requested: bool = False

    def state(self) -> dict[str, Any]:
        out: dict[str, Any] = {"life_cycle_state": self.life_cycle_state,
                               "state_message": self.state_message,
                               "user_cancelled_or_timedout": self.result_state in
                               ("CANCELED", "TIMEDOUT")}
        if self.result_state:
            out["result_state"] = self.result_state
        return out

    def status(self) -> dict[str, Any]:
        """The 2.2 ``status`` object beside the older ``state``."""
        lc = self.life_cycle_state
        state = "TERMINATED" if lc == "INTERNAL_ERROR" else lc
        out: dict[str, Any] = {"state": state}
        if state == "TERMINATED":
            code, kind = {
                "SUCCESS": ("SUCCESS", "SUCCESS"),
                "FAILED": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
                "TIMEDOUT": ("RUN_EXECUTION_ERROR", "CLIENT_ERROR"),
                "CANCELED": ("CANCELED", "SUCCESS"),
            }.get(self.result_state or "", ("INTERNAL_ERROR", "INTERNAL_ERROR"))
            if lc == "INTERNAL_ERROR":
                code, kind = "INTERNAL_ERROR", "INTERNAL_ERROR"
            out["termination_details"] = {"code": code, "type": kind,
                                          "message": self.state_message}
        return out

    def task(self) -> dict[str, Any]:
        return {"run_id": self.task_run_id, "task_key": self.task_key,
                "notebook_task": {"notebook_path": self.notebook_path,
                                  "base_parameters": self.parameters},
                "state": self.state(), "status": self.status(), "start_time": self.start_time,
                "end_time": self.end_time, "setup_duration": self.setup_duration,
                "execution_duration": self.execution_duration, "cleanup_duration": 0,
                "attempt_number": 0}

    def info(self, host: str, include_tasks: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "job_id": self.job_id, "run_id": self.run_id, "number_in_job": self.number_in_job,
            "original_attempt_run_id": self.run_id, "run_name": self.run_name,
            "run_type": "JOB_RUN", "format": "MULTI_TASK", "trigger": "ONE_TIME",
            "state": self.state(), "status": self.status(), "start_time": self.start_time,
            "end_time": self.end_time, "setup_duration": self.setup_duration,
            "execution_duration": self.execution_duration, "cleanup_duration": 0,
            "run_duration": (self.end_time or _now_ms()) - self.start_time,
            "run_page_url": f"{host}/#job/{self.job_id}/run/{self.run_id}",
            "job_parameters": self.job_parameters,
            "overriding_parameters": {"notebook_params": self.parameters},
        }
        if include_tasks:
            out["tasks"] = [self.task()]
        return out


class Emulator:
    """The state behind the HTTP handler; thread-safe behind one lock."""

    def __init__(self, state_dir: Path, token: str, host: str = "") -> None:
        self.state_dir = state_dir
        self._token = token
        self.host = host
        self.lock = threading.RLock()
        self._ids = itertools.count(1)
        self.workspace = Workspace(state_dir / "workspace", itertools.count(1000))
        self.files_root = state_dir / "files"
        self.jobs: dict[int, dict[str, Any]] = {}
        self.runs: dict[int, Run] = {}
        self.task_runs: dict[int, Run] = {}
        self.threads: list[threading.Thread] = []
        self.unity = UnityCatalog()

    def authorized(self, header: str | None) -> None:
        if not header:
            raise ApiError(401, "UNAUTHENTICATED", "Credential was not sent or was of an "
                           "unsupported type for this API.")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                 self._token.encode()):
            raise ApiError(403, "PERMISSION_DENIED", "Invalid access token.")

    # --- jobs ------------------------------------------------------------------
    def job(self, job_id: Any) -> dict[str, Any]:
        try:
            job = self.jobs.get(int(job_id))
        except (TypeError, ValueError):
            raise _invalid(f"Invalid job_id: {job_id!r}") from None
        if job is None:
            raise _missing(f"Job {job_id} does not exist.")
        return job

    @staticmethod
    def _check_settings(settings: dict[str, Any]) -> None:
        tasks = settings.get("tasks") or []
        keys = [t.get("task_key") for t in tasks]
        if any(not k for k in keys):
            raise _invalid("Every task needs a task_key")
        if len(set(keys)) != len(keys):
            raise _invalid("Task keys must be unique")
        for t in tasks:
            if "notebook_task" in t and not t["notebook_task"].get("notebook_path"):
                raise _invalid(f"Task {t['task_key']}: notebook_task needs notebook_path")

    def create_job(self, body: dict[str, Any]) -> dict[str, Any]:
        settings = {k: v for k, v in body.items() if k not in ("access_control_list",)}
        self._check_settings(settings)
        job_id = next(self._ids)
        self.jobs[job_id] = {"job_id": job_id, "creator_user_name": "emulator@localhost",
                             "run_as_user_name": "emulator@localhost",
                             "created_time": _now_ms(), "settings": settings,
                             "next_number": 1}
        return {"job_id": job_id}

    def job_info(self, job: dict[str, Any], expand_tasks: bool = True) -> dict[str, Any]:
        settings = dict(job["settings"])
        if not expand_tasks:
            settings.pop("tasks", None)
            settings.pop("job_clusters", None)
        return {k: v for k, v in {**job, "settings": settings}.items() if k != "next_number"}

    def list_jobs(self, q: dict[str, str]) -> dict[str, Any]:
        limit = int(q.get("limit") or 20)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise _invalid(f"limit must be between 1 and {LIST_LIMIT_MAX}")
        jobs = sorted(self.jobs.values(), key=lambda j: j["created_time"], reverse=True)
        jobs = sorted(jobs, key=lambda j: -j["job_id"])  # newest first
        if q.get("name"):
            jobs = [j for j in jobs if j["settings"].get("name") == q["name"]]
        expand = q.get("expand_tasks", "false").lower() == "true"
        return self._page([self.job_info(j, expand) for j in jobs], q, limit, "jobs")

    @staticmethod
    def _page(items: list[Any], q: dict[str, str], limit: int, key: str) -> dict[str, Any]:
        start = 0
        if q.get("page_token"):
            try:
                start = int(base64.urlsafe_b64decode(q["page_token"].encode()).decode())
            except ValueError:
                raise _invalid("Invalid page_token") from None
        elif q.get("offset"):
            start = int(q["offset"])
        page = items[start:start + limit]
        out: dict[str, Any] = {"has_more": start + limit < len(items)}
        if page:
            out[key] = page
        if out["has_more"]:
            out["next_page_token"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        if start > 0:
            out["prev_page_token"] = base64.urlsafe_b64encode(
                str(max(0, start - limit)).encode()).decode()
        return out

    def reset_job(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self.job(body.get("job_id"))
        settings = body.get("new_settings")
        if not isinstance(settings, dict):
            raise _invalid("new_settings is required")
        self._check_settings(settings)
        job["settings"] = settings
        return {}

    def delete_job(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self.job(body.get("job_id"))
        for run in self.runs.values():
            if run.job_id == job["job_id"] and run.process is not None:
                self._cancel(run)
        del self.jobs[job["job_id"]]
        return {}

    # --- runs ------------------------------------------------------------------
    def run(self, run_id: Any) -> Run:
        try:
            rid = int(run_id)
        except (TypeError, ValueError):
            raise _invalid(f"Invalid run_id: {run_id!r}") from None
        run = self.runs.get(rid) or self.task_runs.get(rid)
        if run is None:
            raise _missing(f"Run {run_id} does not exist.")
        return run

    def run_now(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self.job(body.get("job_id"))
        settings = job["settings"]
        tasks = settings.get("tasks") or []
        if len(tasks) != 1 or "notebook_task" not in tasks[0]:
            raise _invalid("This emulator runs jobs of exactly one notebook task")
        task = tasks[0]
        defaults = {p["name"]: str(p.get("default", "")) for p in settings.get("parameters", [])}
        job_params = {**defaults, **{k: str(v) for k, v in
                                     (body.get("job_parameters") or {}).items()}}
        unknown = set(body.get("job_parameters") or {}) - set(defaults)
        if unknown:
            raise _invalid(f"Job parameters {sorted(unknown)} are not defined on the job")
        params = {**{k: str(v) for k, v in
                     (task["notebook_task"].get("base_parameters") or {}).items()},
                  **job_params,
                  **{k: str(v) for k, v in (body.get("notebook_params") or {}).items()}}
        cluster = task.get("new_cluster") or {}
        for jc in settings.get("job_clusters") or []:
            if jc.get("job_cluster_key") == task.get("job_cluster_key"):
                cluster = jc.get("new_cluster") or {}
        env = {str(k): str(v) for k, v in (cluster.get("spark_env_vars") or {}).items()}
        wheels = [lib["whl"] for lib in task.get("libraries") or [] if "whl" in lib]
        timeout = int(task.get("timeout_seconds") or settings.get("timeout_seconds") or 0)
        number = job["next_number"]
        job["next_number"] += 1
        run = Run(run_id=next(self._ids), job_id=job["job_id"], number_in_job=number,
                  task_key=task["task_key"], task_run_id=next(self._ids),
                  notebook_path=task["notebook_task"]["notebook_path"], parameters=params,
                  env=env, wheels=wheels, timeout_seconds=timeout,
                  job_parameters=[{"name": k, "default": defaults[k], "value": v}
                                  for k, v in job_params.items()],
                  run_name=settings.get("name", "Untitled"))
        self.runs[run.run_id] = run
        self.task_runs[run.task_run_id] = run
        thread = threading.Thread(target=self._execute, args=(run,), daemon=True,
                                  name=f"run-{run.run_id}")
        self.threads.append(thread)
        thread.start()
        return {"run_id": run.run_id, "number_in_job": number}

    def _finish(self, run: Run, life_cycle: str, result: str | None, message: str) -> None:
        with self.lock:
            run.life_cycle_state, run.result_state, run.state_message = (
                life_cycle, result, message)
            run.end_time = _now_ms()

    def _prepare(self, run: Run) -> tuple[Path, list[str]]:
        """The notebook's file and the extracted wheels; ApiError when they cannot be found."""
        try:
            nb = self.workspace.get(run.notebook_path)
        except ApiError:
            nb = None
        if nb is None or nb.object_type != "NOTEBOOK":
            raise _missing(f"Notebook not found: {run.notebook_path}")
        paths = []
        for whl in run.wheels:
            source = self.files_root / whl.lstrip("/")
            if whl.startswith("/Workspace/"):
                try:
                    source = self.workspace.disk(self.workspace.get(
                        whl[len("/Workspace"):]).path)
                except ApiError:
                    source = self.workspace.disk(whl)
            if not source.is_file():
                raise _missing(f"Library {whl} does not exist")
            target = self.state_dir / "libraries" / f"run-{run.run_id}" / source.stem
            with zipfile.ZipFile(source) as zf:
                zf.extractall(target)
            paths.append(str(target))
        return self.workspace.disk(nb.path), paths

    def _execute(self, run: Run) -> None:
        import os

        time.sleep(PENDING_SECONDS)
        with self.lock:
            if run.cancel_requested:
                self._finish(run, "TERMINATED", "CANCELED", "Run cancelled.")
                return
            try:
                notebook, python_path = self._prepare(run)
            except (ApiError, zipfile.BadZipFile, OSError) as exc:
                message = exc.message if isinstance(exc, ApiError) else str(exc)
                self._finish(run, "INTERNAL_ERROR", "FAILED", message)
                return
            run.setup_duration = _now_ms() - run.start_time
            run.life_cycle_state, run.state_message = "RUNNING", "In run"
            env = {**os.environ, **run.env}
            for name in ("DATABRICKS_TOKEN", "DATABRICKS_HOST"):
                env.pop(name, None)  # a run does not inherit the emulator's own credentials
            log_dir = self.state_dir / "logs"
            log_dir.mkdir(parents=True, exist_ok=True)
            run.process = NotebookProcess(
                notebook, run.parameters, env=env, workspace_root=self.workspace.root,
                python_path=python_path, log_file=log_dir / f"run-{run.run_id}.log",
                display_name=run.notebook_path)
        began = time.monotonic()
        result = run.process.wait(run.timeout_seconds or None)
        with self.lock:
            run.execution_duration = int((time.monotonic() - began) * 1000)
            run.life_cycle_state, run.state_message = "TERMINATING", "Terminating"
            run.result = result
        time.sleep(0.05)
        messages = {"SUCCESS": "", "FAILED": result.error or "Workload failed",
                    "TIMEDOUT": f"Run timed out after {run.timeout_seconds} seconds",
                    "CANCELED": "Run cancelled."}
        self._finish(run, "TERMINATED", result.state, messages.get(result.state, ""))
        shutil.rmtree(self.state_dir / "libraries" / f"run-{run.run_id}", ignore_errors=True)

    def _cancel(self, run: Run) -> None:
        run.cancel_requested = True
        if run.process is not None and run.life_cycle_state in ("RUNNING", "PENDING"):
            run.life_cycle_state, run.state_message = "TERMINATING", "Cancelling"
            run.process.kill("CANCELED")

    def cancel_run(self, body: dict[str, Any]) -> dict[str, Any]:
        run = self.run(body.get("run_id"))
        if run.life_cycle_state in ("PENDING", "RUNNING"):
            self._cancel(run)
        return {}

    def run_output(self, q: dict[str, str]) -> dict[str, Any]:
        run = self.run(q.get("run_id"))
        if run.run_id == int(q["run_id"]):
            raise _invalid("Retrieving the output of runs with multiple tasks is not supported. "
                           "Please retrieve the output of each individual task run instead.")
        out: dict[str, Any] = {"metadata": {**run.task(), "job_id": run.job_id,
                                            "run_id": run.task_run_id}}
        result = run.result
        if result is not None and result.state == "SUCCESS":
            value = result.exit_value
            if value is not None:
                raw = value.encode()
                out["notebook_output"] = {"result": raw[:MAX_OUTPUT].decode(errors="ignore"),
                                          "truncated": len(raw) > MAX_OUTPUT}
            else:
                out["notebook_output"] = {}
        elif result is not None and result.state == "FAILED":
            out["error"] = result.error
            out["error_trace"] = result.error_trace
        elif run.life_cycle_state == "INTERNAL_ERROR":
            out["error"] = run.state_message
        return out

    def list_runs(self, q: dict[str, str]) -> dict[str, Any]:
        limit = int(q.get("limit") or 25)
        if not 1 <= limit <= 25:
            raise _invalid("limit must be between 1 and 25")
        runs = sorted(self.runs.values(), key=lambda r: -r.run_id)
        if q.get("job_id"):
            runs = [r for r in runs if r.job_id == int(q["job_id"])]
        active = q.get("active_only", "false").lower() == "true"
        completed = q.get("completed_only", "false").lower() == "true"
        if active and completed:
            raise _invalid("active_only and completed_only cannot both be true")
        ended = ("TERMINATED", "INTERNAL_ERROR", "SKIPPED")
        if active:
            runs = [r for r in runs if r.life_cycle_state not in ended]
        if completed:
            runs = [r for r in runs if r.life_cycle_state in ended]
        expand = q.get("expand_tasks", "false").lower() == "true"
        return self._page([r.info(self.host, expand) for r in runs], q, limit, "runs")

    def stop(self) -> None:
        with self.lock:
            for run in self.runs.values():
                if run.life_cycle_state in ("PENDING", "RUNNING"):
                    self._cancel(run)
        for t in self.threads:
            t.join(timeout=10)


class Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: with Nagle on, each response of a kept-alive
    # connection waits for the client's delayed ACK (~40 ms a request).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s %s", self.command, urlparse(self.path).path)  # never headers or bodies

    def _send(self, status: int, body: Any, raw: bytes | None = None,
              content_type: str = "application/json") -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self) -> dict[str, Any]:
        raw = self._body()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "MALFORMED_REQUEST", "Request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "MALFORMED_REQUEST", "Request body must be a JSON object")
        return body

    def _handle(self) -> None:
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        emu = self.server.emulator
        try:
            if url.path == "/.well-known/databricks-config":
                # Discovery needs no token; an empty oidc_endpoint makes the SDK use the PAT.
                self._send(200, {"oidc_endpoint": "", "workspace_id": "1"})
                return
            emu.authorized(self.headers.get("Authorization"))
            with emu.lock:
                status, body, raw, ctype = self._route(emu, url.path, q)
            self._send(status, body, raw, ctype)
        except ApiError as err:
            if self.command != "GET" and self.command != "HEAD":
                self.close_connection = True
            self._send(err.status, {"error_code": err.code, "message": err.message})
        except Exception as exc:  # noqa: BLE001 - the API's INTERNAL_ERROR
            log.exception("emulator error on %s", url.path)
            self._send(500, {"error_code": "INTERNAL_ERROR", "message": type(exc).__name__})

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle  # noqa: N815

    def _route(self, emu: Emulator, path: str,
               q: dict[str, str]) -> tuple[int, Any, bytes | None, str]:
        m, ok = self.command, 200
        for version in ("/api/2.1/jobs/", "/api/2.2/jobs/"):
            if path.startswith(version):
                return self._jobs(emu, m, path[len(version):], q)
        if path.startswith("/api/2.1/unity-catalog/"):
            body = self._json() if m in ("POST", "PATCH") else {}
            try:
                out = emu.unity.handle(m, path[len("/api/2.1/unity-catalog/"):], q, body)
            except UcError as err:
                raise ApiError(err.status, err.code, err.message) from None
            return ok, out, None, "application/json"
        if path.startswith("/api/2.0/workspace/"):
            return (ok, self._workspace(emu, m, path[len("/api/2.0/workspace/"):], q), None,
                    "application/json")
        if path.startswith("/api/2.0/fs/files/"):
            return self._files(emu, m, "/" + unquote(path[len("/api/2.0/fs/files/"):]), q)
        if path.startswith("/api/2.0/fs/directories/"):
            target = emu.files_root / unquote(path[len("/api/2.0/fs/directories/"):]).lstrip("/")
            if m == "PUT":
                target.mkdir(parents=True, exist_ok=True)
                return ok, {}, None, "application/json"
            if not target.is_dir():
                raise _missing(f"The directory {path} does not exist.")
            entries = [{"path": "/" + p.relative_to(emu.files_root).as_posix(),
                        "is_directory": p.is_dir(), "name": p.name,
                        **({} if p.is_dir() else {"file_size": p.stat().st_size})}
                       for p in sorted(target.iterdir())]
            return ok, {"contents": entries} if entries else {}, None, "application/json"
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} {path}'")

    def _jobs(self, emu: Emulator, m: str, op: str,
              q: dict[str, str]) -> tuple[int, Any, bytes | None, str]:
        get = {"get": lambda: emu.job_info(emu.job(q.get("job_id"))),
               "list": lambda: emu.list_jobs(q),
               "runs/get": lambda: emu.run(q.get("run_id")).info(
                   emu.host, q.get("include_tasks", "true") != "false"),
               "runs/get-output": lambda: emu.run_output(q),
               "runs/list": lambda: emu.list_runs(q)}
        post = {"create": emu.create_job, "reset": emu.reset_job, "delete": emu.delete_job,
                "run-now": emu.run_now, "runs/cancel": emu.cancel_run}
        if m == "GET" and op in get:
            return 200, get[op](), None, "application/json"
        if m == "POST" and op in post:
            return 200, post[op](self._json()), None, "application/json"
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} jobs/{op}'")

    def _workspace(self, emu: Emulator, m: str, op: str, q: dict[str, str]) -> Any:
        ws = emu.workspace
        if m == "POST" and op == "mkdirs":
            ws.mkdirs(self._json().get("path", ""))
            return {}
        if m == "POST" and op == "import":
            body = self._json()
            path = body.get("path", "")
            fmt = body.get("format", "SOURCE")
            content = base64.b64decode(body.get("content", ""))
            language = body.get("language")
            if fmt not in ("SOURCE", "AUTO", "RAW"):
                raise _invalid(f"This emulator imports SOURCE, AUTO or RAW, not {fmt}")
            kind = "NOTEBOOK"
            if fmt == "RAW" or (fmt == "AUTO" and not any(
                    content.startswith(h) for h in HEADERS.values())):
                kind, language = "FILE", None
            elif not language:
                if fmt == "SOURCE":
                    raise _invalid("language is required when importing a SOURCE notebook")
                suffix = Path(path).suffix.lower()
                language = LANGUAGE_OF.get(suffix, "PYTHON")
            if kind == "NOTEBOOK" and fmt == "AUTO":
                path = str(Path(path).with_suffix("")) if Path(path).suffix else path
            ws.put(path, kind, content, language, bool(body.get("overwrite")))
            return {}
        if m == "GET" and op == "export":
            obj = ws.get(q.get("path", ""))
            if obj.object_type == "DIRECTORY":
                raise _invalid("This emulator exports notebooks and files, not folders")
            return {"content": base64.b64encode(obj.content).decode(),
                    "file_type": "py" if obj.language == "PYTHON" else ""}
        if m == "GET" and op == "list":
            objects = [o.info() for o in ws.children(q.get("path", ""))]
            return {"objects": objects} if objects else {}
        if m == "GET" and op == "get-status":
            return ws.get(q.get("path", "")).info()
        if m == "POST" and op == "delete":
            body = self._json()
            ws.delete(body.get("path", ""), bool(body.get("recursive")))
            return {}
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} workspace/{op}'")

    def _files(self, emu: Emulator, m: str, path: str,
               q: dict[str, str]) -> tuple[int, Any, bytes | None, str]:
        target = emu.files_root / _norm(path).lstrip("/")
        if m == "PUT":
            data = self._body()
            if target.exists() and q.get("overwrite", "false").lower() != "true":
                raise ApiError(409, "ALREADY_EXISTS", f"The file {path} already exists.")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            return 204, None, b"", "application/octet-stream"
        if m == "POST" and q.get("action") == "initiate-upload":
            return 200, {}, None, "application/json"  # no multipart: the SDK uploads in one PUT
        if not target.is_file():
            raise _missing(f"The file {path} does not exist.")
        if m in ("GET", "HEAD"):
            return 200, None, target.read_bytes(), "application/octet-stream"
        if m == "DELETE":
            target.unlink()
            return 200, {}, None, "application/json"
        raise ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{m} fs/files'")


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, emulator: Emulator, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.emulator = emulator
        emulator.host = f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def url(self) -> str:
        return self.emulator.host


def start(state_dir: Path, token: str, port: int = 0) -> tuple[EmulatorServer, threading.Thread]:
    """Serve in a background thread; the server answers before this returns."""
    state_dir.mkdir(parents=True, exist_ok=True)
    server = EmulatorServer(Emulator(state_dir, token), port)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="databricks-emu")
    thread.start()
    return server, thread


def stop(server: EmulatorServer) -> None:
    server.shutdown()
    server.emulator.stop()
    server.server_close()
