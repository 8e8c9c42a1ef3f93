"""Entry points: ``generate_sets`` (a whole run) and ``generate_set`` (one set at a time)."""

from __future__ import annotations

from pathlib import Path

from app.platform.storage import ObjectStore
from data_generators.engine import FileHook, Generator, Progress, SetResult
from data_generators.model import Timeline
from data_generators.sinks import Sink, as_sink
from data_generators.spec import GeneratorSpec

Target = Sink | ObjectStore | Path | str


def generate_sets(
    spec: GeneratorSpec, sink: Target, *, scenario: Timeline | None = None,
    progress: Progress | None = None, on_file: FileHook | None = None,
) -> list[SetResult]:
    """Land sets 1..spec.sets in ``sink`` (a folder Path or an ObjectStore) with their manifests.

    Args:
        spec: what to generate.
        sink: a local folder standing for the data zone, or an ``ObjectStore`` from
            ``storage_target(config).store("data_zone")``.
        scenario: a hand-made timeline to land instead of a random one.
        progress: called with the number of records just written.
        on_file: called after every landed data file.

    Returns:
        One ``SetResult`` per set; ``.manifest`` is the cumulative ground truth.
    """
    gen = Generator(spec, scenario)
    out = as_sink(sink)
    return [gen.write_set(n, out, progress, on_file) for n in range(1, spec.sets + 1)]


def generate_set(
    spec: GeneratorSpec, n: int, sink: Target, *, scenario: Timeline | None = None,
    progress: Progress | None = None, on_file: FileHook | None = None,
) -> SetResult:
    """Land only set n (1-based), e.g. land set 1, run the pipeline, then land set 2.

    The manifest is still cumulative over sets 1..n: the bronze tallies of
    sets 1..n-1 are read from ``ground_truth/set-(n-1).json`` when the sink has
    it from the same spec, else recomputed by replaying those sets unlanded.

    Raises:
        ValueError: n is not within 1..spec.sets.
    """
    if not 1 <= n <= spec.sets:
        raise ValueError(f"set {n} is outside 1..{spec.sets} (GeneratorSpec.sets)")
    gen = Generator(spec, scenario)
    out = as_sink(sink)
    gen.catch_up(n - 1, out)
    return gen.write_set(n, out, progress, on_file)
