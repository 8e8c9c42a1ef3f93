from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.platform.storage import LocalStore
from data_generators import GeneratorSpec, generate_sets
from data_generators.sinks import FolderSink, NullSink, StoreSink, as_sink

SMALL = GeneratorSpec(seed=2, sets=1, users_per_set=1, visits_per_user=1)


def test_as_sink(tmp_path: Path) -> None:
    assert isinstance(as_sink(tmp_path), FolderSink)
    assert isinstance(as_sink(str(tmp_path)), FolderSink)
    assert isinstance(as_sink(LocalStore(tmp_path)), StoreSink)
    sink = NullSink()
    assert as_sink(sink) is sink
    with pytest.raises(TypeError):
        as_sink(42)  # type: ignore[arg-type]


def test_folder_sink_commits_whole_files(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path)
    tmp = sink.temp_path("raw/a/set-0001-part-0001.json")
    assert tmp.name.startswith(".")  # Spark skips it until it is renamed
    tmp.write_text("half")
    assert not (tmp_path / "raw/a/set-0001-part-0001.json").exists()
    sink.commit(["raw/a/set-0001-part-0001.json", "raw/a/set-0001-part-0001-dup.json"], tmp)
    assert sorted(p.name for p in (tmp_path / "raw/a").iterdir()) == [
        "set-0001-part-0001-dup.json", "set-0001-part-0001.json"]


def test_object_store_gets_the_same_bytes_as_a_folder(tmp_path: Path) -> None:
    generate_sets(SMALL, tmp_path / "folder")
    store = LocalStore(tmp_path / "store")
    generate_sets(SMALL, store)
    files = store.list("")
    assert files == sorted(p.relative_to(tmp_path / "folder").as_posix()
                           for p in (tmp_path / "folder").rglob("*") if p.is_file())
    for f in files:
        assert store.get_bytes(f) == (tmp_path / "folder" / f).read_bytes()


def test_azurite_data_zone(azurite_lakehouse) -> None:  # type: ignore[no-untyped-def]
    store = azurite_lakehouse.store("data_zone")
    (result,) = generate_sets(SMALL, store)
    landed = store.list("raw/")
    assert landed == sorted(f for f in result.files if f.startswith("raw/"))
    assert json.loads(store.get_bytes("ground_truth/set-0001.json")) == result.manifest
