"""A producer killed half-way through a set: the set is landed again, never half-ingested twice.

Two facts make that safe, each tested here:
- the restarted producer lands the unfinished set with the same file names
  and bytes, and leaves the files already landed alone (same name, same size);
- Spark's file source keys what it has read by path: a landed name is never
  read again, even if rewritten, so a resumed set cannot duplicate a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.platform.config import LakehouseConfig
from app.platform.storage import BlobStore, LocalStore, ObjectStore, storage_target
from data_generators import Faults, GeneratorSpec, generate_set, generate_sets
from data_generators.sinks import FolderSink, Sink, StoreSink
from tests.chaos.processes import isolated_config

SPEC = GeneratorSpec(seed=11, sets=2, scale=0.05, visits_per_user=2, faults=Faults.all_on())


class Killed(Exception):
    """Stands for the SIGKILL: raised after the n-th file of a set is committed."""


def _kill_after(files: int) -> Callable[[Any], None]:
    landed = [0]

    def hook(result: Any) -> None:
        landed[0] += 1
        if landed[0] >= files:
            raise Killed

    return hook


class Landing:
    """A data zone under test: the sink the producer writes through, and a way to look."""

    def __init__(self, sink: Sink, names: Callable[[], list[str]],
                 stamp: Callable[[str], Any], read: Callable[[str], bytes]) -> None:
        self.sink, self.names, self.stamp, self.read = sink, names, stamp, read


def _folder(root: Path) -> Landing:
    def names() -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                      if p.is_file() and not p.name.startswith("."))

    def stamp(rel: str) -> Any:
        st = (root / rel).stat()
        return st.st_ino, st.st_mtime_ns

    return Landing(FolderSink(root), names, stamp, lambda rel: (root / rel).read_bytes())


def _store(store: ObjectStore) -> Landing:
    def stamp(rel: str) -> Any:
        if isinstance(store, BlobStore):
            return store.container.get_blob_client(rel).get_blob_properties().etag
        assert isinstance(store, LocalStore)
        st = (store.root / rel).stat()
        return st.st_ino, st.st_mtime_ns

    return Landing(StoreSink(store), lambda: store.list(""), stamp, store.get_bytes)


@pytest.fixture(params=["folder", "local-store", "azurite"])
def landing(request: pytest.FixtureRequest, tmp_path: Path,
            base_config: LakehouseConfig) -> Iterator[Landing]:
    if request.param == "folder":
        yield _folder(tmp_path / "zone")
        return
    if request.param == "local-store":
        yield _store(LocalStore(tmp_path / "zone"))
        return
    endpoint = request.getfixturevalue("azurite")
    config = isolated_config(base_config.replace(
        storage="azurite", azurite_host=endpoint.host, azurite_port=endpoint.port))
    target = storage_target(config)
    target.provision()
    yield _store(target.store("data_zone"))
    target.deprovision()


def test_a_set_killed_half_way_lands_again_with_the_same_files(
    landing: Landing, tmp_path: Path
) -> None:
    generate_set(SPEC, 1, landing.sink)
    with pytest.raises(Killed):
        generate_set(SPEC, 2, landing.sink, on_file=_kill_after(3))
    half = {rel: landing.stamp(rel) for rel in landing.names()}
    assert "ground_truth/set-0002.json" not in half  # the set is unfinished: no manifest
    assert any("set-0002" in rel for rel in half)  # but some of its files landed

    # A restarted producer (a fresh generator) resumes at the set with no manifest.
    result = generate_set(SPEC, 2, landing.sink)

    reference = tmp_path / "uninterrupted"
    generate_sets(SPEC, reference)
    want = sorted(p.relative_to(reference).as_posix() for p in reference.rglob("*") if p.is_file())
    assert landing.names() == want
    for rel in want:
        assert landing.read(rel) == (reference / rel).read_bytes(), rel
    # Files landed before the kill were left alone, not rewritten.
    assert {rel: landing.stamp(rel) for rel in half} == half
    manifest = json.loads(landing.read("ground_truth/set-0002.json"))
    assert manifest == result.manifest
    assert manifest["counts"] == json.loads(
        (reference / "ground_truth/set-0002.json").read_text())["counts"]


def test_file_source_never_reads_a_landed_name_again(local_lakehouse) -> None:  # type: ignore[no-untyped-def]
    """Spark's documented file-source behaviour, checked on this runtime: a file is
    processed once per name, so rewriting it (even bigger) adds nothing."""
    spark = local_lakehouse.spark
    zone = local_lakehouse.store("data_zone")
    source = local_lakehouse.path("data_zone", "raw/probe")
    checkpoint = local_lakehouse.path("checkpoint", "checkpoints/probe")
    read: list[int] = []

    def lines(*ids: int) -> bytes:
        return "".join(json.dumps({"id": i}) + "\n" for i in ids).encode()

    def run() -> int:
        q = (spark.readStream.schema("id long").json(source)
             .writeStream.foreachBatch(lambda df, _: read.append(df.count()))
             .option("checkpointLocation", checkpoint).trigger(availableNow=True).start())
        q.awaitTermination()
        return sum(read)

    zone.put_bytes("raw/probe/a.json", lines(1, 2))
    zone.put_bytes("raw/probe/b.json", lines(3))
    assert run() == 3
    zone.put_bytes("raw/probe/a.json", lines(1, 2, 10, 11))  # rewritten after it was read
    zone.put_bytes("raw/probe/c.json", lines(4))
    assert run() == 4  # only c.json is new; a new query on the checkpoint = a restart
