"""``make fuzz``: many hostile cases, batched into few pipeline runs, with a replayable seed.

    python -m tests.fuzz --cases 1000 --seed 42 [--rounds 4] [--target local|azurite]

Prints a summary (cases tried, records lost, duplicated) and the command that
replays the run; exits 1 when any invariant of ``tests/fuzz/__init__.py`` breaks.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path

from app.platform.config import load_config
from app.platform.lakehouse import Lakehouse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--cases", type=int, default=1000, help="cases in all (default 1000)")
    parser.add_argument("--rounds", type=int, default=4, help="pipeline rounds (2 runs each)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "42")))
    parser.add_argument("--target", default="local", choices=("local", "azurite"))
    parser.add_argument("--scale", type=float, default=0.05, help="size of the normal sets")
    parser.add_argument("--keep", action="store_true", help="leave the tables for inspection")
    args = parser.parse_args(argv)

    from app.platform.session import build_session
    from data_generators import Faults, GeneratorSpec
    from tests.fuzz.runner import FuzzRun, storage_names

    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAKEHOUSE_")}
    config = load_config(env=env, dotenv=Path("/nonexistent"), storage=args.target,
                         **storage_names(tag))
    lh = Lakehouse(config, build_session(config, app_name="lakehouse-fuzz"))
    lh.target.provision()
    spec = GeneratorSpec(seed=args.seed, sets=args.rounds, scale=args.scale, visits_per_user=3,
                         faults=Faults.all_on())
    per_round = -(-args.cases // args.rounds)
    try:
        summary = FuzzRun(lh, spec, args.seed, per_round,
                          log=lambda m: print(m, flush=True)).run(args.rounds)
    finally:
        if not args.keep:
            lh.drop_schema()
            lh.target.deprovision()
    replay = (f"make fuzz FUZZ_SEED={args.seed} FUZZ_CASES={per_round * args.rounds} "
              f"FUZZ_ROUNDS={args.rounds}")
    print(summary.text(replay), flush=True)
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())
