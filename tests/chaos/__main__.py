"""``python -m tests.chaos`` (``make chaos``): see ``tests/chaos/harness.py``."""

from __future__ import annotations

import argparse
import logging
import sys

from tests.chaos.harness import DEFAULT_ROUNDS, ChaosOptions, run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    p.add_argument("--storage", choices=("local", "azurite"), default="local")
    p.add_argument("--rounds", type=int, default=None,
                   help="kills (default 20 on local, 5 on azurite)")
    p.add_argument("--seed", type=int, default=42, help="kill schedule and generated data")
    p.add_argument("--scale", type=float, default=ChaosOptions.scale)
    p.add_argument("--keep", action="store_true", help="keep the tables and landing data")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    options = ChaosOptions(
        storage=args.storage, rounds=args.rounds or DEFAULT_ROUNDS[args.storage], seed=args.seed,
        scale=args.scale, keep=args.keep,
    )
    report = run(options, out=lambda line: print(line, flush=True))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
