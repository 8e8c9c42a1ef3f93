"""The ObjectStore contract, run against every offline target (and ADLS with credentials)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.errors import StorageNotFoundError
from app.platform.lakehouse import Lakehouse


def test_put_and_get_round_trip(lakehouse: Lakehouse) -> None:
    store = lakehouse.store("data_zone")
    store.put_bytes("raw/a/one.json", b'{"x": 1}\n')
    assert store.get_bytes("raw/a/one.json") == b'{"x": 1}\n'
    assert store.exists("raw/a/one.json")


def test_list_is_sorted_relative_and_hides_temporary_files(
    lakehouse: Lakehouse, tmp_path: Path
) -> None:
    store = lakehouse.store("data_zone")
    local = tmp_path / "b.csv"
    local.write_bytes(b"h\n1\n")
    store.put_file("raw/x/b.csv", local)
    store.put_bytes("raw/x/a.csv", b"h\n2\n")
    store.put_bytes("raw/y/c.csv", b"h\n3\n")
    assert store.list("raw/x") == ["raw/x/a.csv", "raw/x/b.csv"]
    assert store.list() == ["raw/x/a.csv", "raw/x/b.csv", "raw/y/c.csv"]


def test_overwrite_replaces_the_whole_file(lakehouse: Lakehouse) -> None:
    store = lakehouse.store("checkpoint")
    store.put_bytes("f.txt", b"a much longer first version")
    store.put_bytes("f.txt", b"short")
    assert store.get_bytes("f.txt") == b"short"


def test_missing_file_raises_storage_not_found(lakehouse: Lakehouse) -> None:
    store = lakehouse.store("data_zone")
    with pytest.raises(StorageNotFoundError):
        store.get_bytes("raw/nothing/here.json")
    assert not store.exists("raw/nothing/here.json")


def test_delete_prefix_removes_only_that_prefix(lakehouse: Lakehouse) -> None:
    store = lakehouse.store("data_zone")
    for name in ("raw/a/1.json", "raw/a/2.json", "raw/b/3.json"):
        store.put_bytes(name, b"{}\n")
    assert store.delete_prefix("raw/a") == 2
    assert store.list() == ["raw/b/3.json"]


def test_locations_are_separate(lakehouse: Lakehouse) -> None:
    lakehouse.store("data_zone").put_bytes("same.txt", b"zone")
    lakehouse.store("checkpoint").put_bytes("same.txt", b"ckpt")
    assert lakehouse.store("data_zone").get_bytes("same.txt") == b"zone"
    assert lakehouse.store("checkpoint").get_bytes("same.txt") == b"ckpt"


@pytest.mark.adls
def test_adls_round_trip(lakehouse_factory) -> None:  # type: ignore[no-untyped-def]
    lakehouse = lakehouse_factory("adls")
    store = lakehouse.store("data_zone")
    store.put_bytes("raw/probe.txt", b"adls")
    assert store.get_bytes("raw/probe.txt") == b"adls"


def test_deprovision_removes_every_location_and_its_files(lakehouse: Lakehouse) -> None:
    for location in ("data_zone", "checkpoint", "tables"):
        lakehouse.store(location).put_bytes("raw/a.json", b"{}\n")
    lakehouse.target.deprovision()
    lakehouse.target.provision()
    for location in ("data_zone", "checkpoint", "tables"):
        assert lakehouse.store(location).list() == []
