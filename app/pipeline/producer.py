"""The producer: lands data sets in the landing zone.

Either generated sets (``data_generators``, with their ground truth) or the
files of a folder laid out in DOMAIN.md's formats (``raw/<source>/...`` and
``test_data/...``), copied as they are so that a real exporter's files flow
through unchanged.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.pipeline import settings

if TYPE_CHECKING:
    from app.platform.lakehouse import Lakehouse
    from data_generators import GeneratorSpec

MANIFESTS = "ground_truth"


def _generators() -> Any:
    try:
        import data_generators
    except ImportError as exc:  # pragma: no cover - part of this repository
        raise ImportError(
            "the producer's generated sets need the data_generators package: `make setup`"
        ) from exc
    return data_generators


def land_history(lh: Lakehouse, spec: GeneratorSpec) -> str:
    """Land only the date lookup the spec's sets need (the history loader's input)."""
    from data_generators.engine import DATE_LOOKUP_PATH, Generator

    lines = Generator(spec).date_lines
    lh.store("data_zone").put_bytes(DATE_LOOKUP_PATH, ("\n".join(lines) + "\n").encode())
    return DATE_LOOKUP_PATH


def produce_set(lh: Lakehouse, spec: GeneratorSpec, n: int) -> dict[str, Any]:
    """Land generated set n; returns its cumulative ground-truth manifest."""
    result = _generators().generate_set(spec, n, lh.store("data_zone"))
    return dict(result.manifest)


def landed_sets(lh: Lakehouse) -> int:
    """How many generated sets the landing zone already holds (by their manifests)."""
    return len([p for p in lh.store("data_zone").list(f"{MANIFESTS}/") if p.endswith(".json")])


def latest_manifest(lh: Lakehouse) -> dict[str, Any] | None:
    names = sorted(p for p in lh.store("data_zone").list(f"{MANIFESTS}/") if p.endswith(".json"))
    return json.loads(lh.store("data_zone").get_bytes(names[-1])) if names else None


def land_folder(lh: Lakehouse, folder: Path, tag: str = "") -> list[str]:
    """Copy a folder in DOMAIN.md's layout into the landing zone; returns the paths landed.

    ``tag`` is added to every file name (``a.csv`` -> ``a-<tag>.csv``) so the
    same folder can be landed again as new files.

    Raises:
        FileNotFoundError: the folder holds no ``raw/`` or ``test_data/`` files.
    """
    zone = lh.store("data_zone")
    landed = []
    known = (*settings.LANDING.values(), settings.HISTORY_FOLDER)
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if not rel.startswith(known) or path.name.startswith((".", "_")):
            continue
        if tag and not rel.startswith(settings.HISTORY_FOLDER):
            stem, dot, ext = rel.rpartition(".")
            rel = f"{stem}-{tag}.{ext}" if dot else f"{rel}-{tag}"
        zone.put_file(rel, path)
        landed.append(rel)
    if not landed:
        raise FileNotFoundError(
            f"{folder} has no files under {', '.join(known)}: lay it out as DOMAIN.md describes"
        )
    return landed


class ContinuousProducer(threading.Thread):
    """Lands generated sets one after another, ``pause`` seconds apart, until stopped.

    It resumes after the last set already landed, so a restarted ``make stream``
    continues the same world instead of landing set 1 again.
    """

    def __init__(self, lh: Lakehouse, spec: GeneratorSpec, pause: float = 10.0) -> None:
        super().__init__(name="producer", daemon=True)
        self.lh, self.spec, self.pause = lh, spec, pause
        self.stopped = threading.Event()
        self.landed: list[int] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n = landed_sets(self.lh) + 1
            if n == 1 and not self.lh.store("data_zone").list(f"{settings.HISTORY_FOLDER}/"):
                land_history(self.lh, self.spec)
            while not self.stopped.is_set() and n <= self.spec.sets:
                began = time.monotonic()
                produce_set(self.lh, self.spec, n)
                self.landed.append(n)
                n += 1
                self.stopped.wait(max(0.0, self.pause - (time.monotonic() - began)))
        except BaseException as exc:  # reported by the caller, never lost in a thread
            self.error = exc

    def stop(self) -> None:
        self.stopped.set()
