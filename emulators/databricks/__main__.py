"""``python -m emulators.databricks serve|up|down|url``: the Databricks REST emulator.

- ``serve``: in the foreground until Ctrl-C or SIGTERM.
- ``up``: in the background; returns once it answers. Writes ``pid`` and
  ``url`` into the state folder. The token is read from ``--token-file``; when
  that file does not exist a random token is written to it (mode 600). The
  token is never printed.
- ``down``: stops what ``up`` started (its pid file), cancelling running runs.
- ``url``: prints the URL of the running emulator.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_STATE = Path(".lakehouse/databricks")


def _token(path: Path, create: bool) -> str:
    if not path.exists():
        if not create:
            raise SystemExit(f"error: no token file {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"dapi{secrets.token_hex(16)}")
    return path.read_text().strip()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/.well-known/databricks-config", timeout=2) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def serve(state: Path, token_file: Path, port: int) -> int:
    from emulators.databricks import server

    srv, thread = server.start(state, _token(token_file, create=True), port)
    (state / "url").write_text(srv.url)
    print(f"databricks emulator on {srv.url} (state {state})", flush=True)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping:
        time.sleep(0.2)
    server.stop(srv)
    return 0


def up(state: Path, token_file: Path, port: int) -> int:
    pid_file = state / "pid"
    if pid_file.exists() and (state / "url").exists() and _answers((state / "url").read_text()):
        print(f"databricks emulator already on {(state / 'url').read_text()}")
        return 0
    state.mkdir(parents=True, exist_ok=True)
    _token(token_file, create=True)
    (state / "url").unlink(missing_ok=True)
    with open(state / "emulator.log", "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulators.databricks", "serve", "--state", str(state),
             "--token-file", str(token_file), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    pid_file.write_text(str(proc.pid))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        url_file = state / "url"
        if url_file.exists() and _answers(url_file.read_text()):
            print(f"databricks emulator on {url_file.read_text()} (pid {proc.pid})")
            return 0
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    print(f"error: the emulator did not start; see {state / 'emulator.log'}", file=sys.stderr)
    return 2


def down(state: Path) -> int:
    pid_file = state / "pid"
    if not pid_file.exists():
        print("databricks emulator: nothing to stop")
        return 0
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(150):
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    (state / "url").unlink(missing_ok=True)
    print("databricks emulator stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m emulators.databricks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=("serve", "up", "down", "url"))
    p.add_argument("--state", type=Path, default=DEFAULT_STATE, help="state folder")
    p.add_argument("--token-file", type=Path, default=None,
                   help="file holding the token (default: STATE/token)")
    p.add_argument("--port", type=int, default=0, help="0 = a free port")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    state = args.state.resolve()
    token_file = args.token_file or state / "token"
    if args.command == "serve":
        return serve(state, token_file, args.port)
    if args.command == "up":
        return up(state, token_file, args.port)
    if args.command == "down":
        return down(state)
    url = state / "url"
    if not url.exists():
        print("error: the emulator is not running", file=sys.stderr)
        return 2
    print(url.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
