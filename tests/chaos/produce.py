"""``python -m tests.chaos.produce --set N``: land generated set N, as the stream's producer does.

The same code path as ``lakehouse_local.producer`` (``produce_set``, atomic and
resumable landing), in a process of its own so that the chaos suite can
SIGKILL it mid-set. Its spec is smaller than the CLI's (``--visits`` days per
set) so that many sets fit in a chaos run on a loaded machine.
"""

from __future__ import annotations

import argparse
import sys

from app.platform.config import load_config
from app.platform.lakehouse import Lakehouse
from data_generators import Faults, GeneratorSpec
from lakehouse_local import producer


def spec(seed: int, scale: float, visits: int) -> GeneratorSpec:
    return GeneratorSpec(seed=seed, sets=1000, scale=scale, visits_per_user=visits,
                         faults=Faults.all_on())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.chaos.produce")
    p.add_argument("--set", type=int, required=True)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--visits", type=int, default=2, help="visits per user = days per set")
    args = p.parse_args(argv)
    lh = Lakehouse(load_config())
    s = spec(args.seed, args.scale, args.visits)
    if args.set == 1:
        producer.land_history(lh, s)
    manifest = producer.produce_set(lh, s, args.set)
    print(f"landed set {args.set}: {manifest['counts']['kafka_multiplex_bz']:,} Kafka records "
          "(cumulative)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
