"""`python -m app.pipeline once|stream`: the job's entry point, as it runs on Databricks.

The three notebook widgets: --env, the run type (once or stream) and
--processing-time. Storage comes from LAKEHOUSE_STORAGE (local, azurite, adls).
Only the pipeline: no producer, no live view, no ground truth; locally,
`lakehouse run once|stream` (lakehouse_local) adds those.
"""

from __future__ import annotations

import argparse
import logging
import sys

from app.platform.config import ENVIRONMENTS
from app.platform.errors import exit_status


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m app.pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run_type", choices=("once", "stream"))
    p.add_argument("--env", choices=ENVIRONMENTS, default=None, help="catalog (LAKEHOUSE_ENV)")
    p.add_argument("--processing-time", default=None,
                   help='stream trigger, e.g. "5 seconds" (LAKEHOUSE_PROCESSING_TIME)')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("app").setLevel(logging.INFO)
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the one translation of errors at entry points
        return exit_status(exc)


def _run(args: argparse.Namespace) -> int:
    from app.pipeline import run
    from app.platform.config import load_config
    from app.platform.lakehouse import Lakehouse
    from app.platform.lock import pipeline_lock

    lh = Lakehouse(load_config(**({"environment": args.env} if args.env else {})))
    lh.target.provision()
    with pipeline_lock(lh, args.run_type):
        if args.run_type == "once":
            timings = run.run_once(lh)
            print("run once: " + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()))
            return 0
        queries = run.start_all(lh, args.processing_time or lh.config.processing_time)
        print(f"{len(queries)} streams started")
        try:
            lh.spark.streams.awaitAnyTermination()  # raises the failed query's error
        finally:
            run.stop_gracefully(list(run.active_queries(lh).values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
