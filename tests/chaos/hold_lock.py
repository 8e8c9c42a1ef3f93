"""``python -m tests.chaos.hold_lock``: take the pipeline lock of the configured environment
and keep it until killed (a second process for the lock tests).

``--host`` records another host name as the holder, so that a contender on
this host cannot tell the holder died and must wait for its lease to expire.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from app.platform.config import load_config
from app.platform.errors import PipelineLockedError
from app.platform.lakehouse import Lakehouse
from app.platform.lock import pipeline_lock


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.chaos.hold_lock")
    p.add_argument("--command", default="stream")
    p.add_argument("--host", default=None, help="holder host to record (default: this host)")
    p.add_argument("--lease", type=int, default=15, help="lease seconds (Azure storage)")
    p.add_argument("--seconds", type=float, default=3600.0, help="hold this long, then release")
    args = p.parse_args(argv)
    lh = Lakehouse(load_config())
    lock = pipeline_lock(lh, args.command, duration=args.lease)
    if args.host:
        lock.holder = dataclasses.replace(lock.holder, host=args.host)
    try:
        with lock:
            print(f"locked by pid {lock.holder.pid}", flush=True)
            time.sleep(args.seconds)
    except PipelineLockedError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    print("released", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
