"""The batch test at 1x and 10x data, in-process Spark against a 2-worker standalone cluster.

    python bench/cluster.py [--scale 0.1] [--factor 10] [--workers 2]

Each run is the CLI's ``batch-test`` (one set, Azurite, its own schema and
containers) in a subprocess, with ``LAKEHOUSE_SPARK_MASTER`` unset or pointing
at a cluster this script starts on free loopback ports and stops at the end.
Printed: each run's seconds (the batch test's own figure, which includes the
driver's start, and the subprocess's wall clock), the cluster/in-process ratio at each
size and the growth from 1x to 10x for each mode. On 2 cores a cluster cannot
be faster (the same cores run the driver and the executors, plus the network
hops between them); the point is correctness and how the cost grows.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.platform.config import PROJECT_ROOT, load_config  # noqa: E402
from emulators import spark_cluster  # noqa: E402
from emulators.azurite import free_port, running_azurite  # noqa: E402

PASSED = re.compile(r"batch test passed: \d+ sets in ([\d.]+)s")


@dataclass
class Run:
    mode: str
    scale: float
    seconds: float  # the batch test's own figure
    wall: float  # the whole subprocess


def batch_test(scale: float, seed: int, master: str | None, env: dict[str, str]) -> Run:
    tag = uuid.uuid4().hex[:8]
    env = dict(env, LAKEHOUSE_SCHEMA=f"bench_{tag}",
               LAKEHOUSE_DATA_ZONE_CONTAINER=f"bench-landing-{tag}",
               LAKEHOUSE_CHECKPOINT_CONTAINER=f"bench-ckpt-{tag}",
               LAKEHOUSE_TABLES_CONTAINER=f"bench-tables-{tag}")
    if master:
        env["LAKEHOUSE_SPARK_MASTER"] = master
    began = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "lakehouse_local", "batch-test", "--sets", "1",
         "--scale", str(scale), "--seed", str(seed)],
        env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )
    wall = time.monotonic() - began
    found = PASSED.search(proc.stdout)
    mode = "cluster" if master else "in-process"
    if proc.returncode != 0 or not found:
        print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n", file=sys.stderr)
        raise SystemExit(f"batch test failed ({mode}, scale {scale})")
    run = Run(mode, scale, float(found.group(1)), wall)
    print(f"  {mode:<10} scale {scale:<5g} batch test {run.seconds:7.1f} s   "
          f"wall {wall:7.1f} s   load {_load()}", flush=True)
    return run


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def report(runs: list[Run], small: float, big: float) -> None:
    by = {(r.mode, r.scale): r for r in runs}
    print("\n| mode | scale | batch test s | wall s |\n|---|---|---|---|")
    for r in runs:
        print(f"| {r.mode} | {r.scale:g} | {r.seconds:.1f} | {r.wall:.1f} |")
    print()
    for scale in (small, big):
        ratio = by["cluster", scale].seconds / by["in-process", scale].seconds
        print(f"cluster / in-process at scale {scale:g}: {ratio:.2f}x")
    for mode in ("in-process", "cluster"):
        growth = by[mode, big].seconds / by[mode, small].seconds
        print(f"{mode} growth {small:g} -> {big:g} ({big / small:g}x data): {growth:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="1x: generator scale (0.1)")
    parser.add_argument("--factor", type=float, default=10, help="the big run's multiple (10)")
    parser.add_argument("--workers", type=int, default=2, help="cluster workers (2)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    small, big = args.scale, round(args.scale * args.factor, 6)

    config = load_config()
    env = {k: v for k, v in os.environ.items() if k != "LAKEHOUSE_SPARK_MASTER"}
    env.update(PYTHONPATH=str(PROJECT_ROOT), LAKEHOUSE_STORAGE="azurite")
    print(f"bench/cluster.py: batch test at scale {small:g} and {big:g}, in-process vs "
          f"{args.workers} workers x 1 core; {os.cpu_count()} cores, load {_load()}")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch, \
            running_azurite(config, Path(scratch) / "azurite") as storage:
        env.update(AZURITE_HOST=storage.azurite_host,
                   AZURITE_BLOB_PORT=str(storage.azurite_port))
        # Its own cluster (state in the scratch folder): a `make cluster-up` one is left alone.
        cluster_config = config.replace(home=str(Path(scratch) / "home"))
        spec = spark_cluster.ClusterSpec(workers=args.workers, port=free_port(),
                                         webui_port=free_port())
        url = spark_cluster.up(cluster_config, spec)
        try:
            for scale in (small, big):
                runs.append(batch_test(scale, args.seed, None, env))
                runs.append(batch_test(scale, args.seed, url, env))
                spark_cluster.wait_for_app_end(spec.webui_port)
        finally:
            spark_cluster.down(cluster_config)
    report(runs, small, big)
    print(f"load average at the end: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
