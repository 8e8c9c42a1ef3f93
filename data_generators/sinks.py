"""Where files land: a local folder or an ``ObjectStore`` (local, Azurite, ADLS).

Every file is written to a temporary file first and committed whole (rename
on a local filesystem, one block-blob upload on Azure), so a reader never
sees half a file. Temporary names start with '.', which Spark skips.

Crash safety: a set's manifest is written after its last data file, so a
producer killed mid-set lands that set again on restart, with the same names
and bytes (the generator is deterministic). A file that already exists with
the same size is left alone rather than rewritten: Spark's file source keys
what it has read by path, so a rewrite of an ingested file is never read again
(no duplicate, no harm), but a rewrite of a file Spark is reading at that
moment can fail the read on Azure (the blob's ETag changes under it), and a
rewrite would change its modification time for nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

from app.platform.errors import StorageNotFoundError
from app.platform.storage import ObjectStore


class Sink(ABC):
    """A landing place for generated files, addressed by '/'-separated relative paths."""

    label: str

    @abstractmethod
    def temp_path(self, rel: str) -> Path:
        """A fresh local path to write ``rel``'s content to before committing it."""

    @abstractmethod
    def commit(self, rels: list[str], tmp: Path) -> None:
        """Land ``tmp``'s content whole under every path in ``rels``; ``tmp`` is consumed."""

    @abstractmethod
    def read_bytes(self, rel: str) -> bytes | None:
        """A landed file's content, or None when it does not exist."""

    def size(self, rel: str) -> int | None:
        """A landed file's size, or None when it does not exist."""
        data = self.read_bytes(rel)
        return None if data is None else len(data)

    def missing(self, rels: list[str], tmp: Path) -> list[str]:
        """The paths of ``rels`` not already landed with ``tmp``'s size (a resumed set)."""
        size = tmp.stat().st_size
        return [rel for rel in rels if self.size(rel) != size]

    def put_bytes(self, rel: str, data: bytes) -> None:
        tmp = self.temp_path(rel)
        tmp.write_bytes(data)
        self.commit([rel], tmp)


class FolderSink(Sink):
    """A local folder standing for the data zone."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)

    def temp_path(self, rel: str) -> Path:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        return target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"

    def commit(self, rels: list[str], tmp: Path) -> None:
        todo = self.missing(rels, tmp)
        for rel in todo[1:]:
            copy = self.temp_path(rel)
            shutil.copyfile(tmp, copy)
            os.replace(copy, self.root / rel)
        if todo:
            os.replace(tmp, self.root / todo[0])
        else:
            tmp.unlink(missing_ok=True)

    def read_bytes(self, rel: str) -> bytes | None:
        path = self.root / rel
        return path.read_bytes() if path.is_file() else None

    def size(self, rel: str) -> int | None:
        path = self.root / rel
        return path.stat().st_size if path.is_file() else None


class StoreSink(Sink):
    """An ``ObjectStore`` from ``app.platform.storage`` (atomic ``put_file``)."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.label = f"{type(store).__name__}"
        self._tmp = Path(tempfile.mkdtemp(prefix="datagen-"))

    def temp_path(self, rel: str) -> Path:
        return self._tmp / f"{uuid.uuid4().hex}-{Path(rel).name}"

    def commit(self, rels: list[str], tmp: Path) -> None:
        try:
            for rel in self.missing(rels, tmp):
                self.store.put_file(rel, tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def read_bytes(self, rel: str) -> bytes | None:
        try:
            return self.store.get_bytes(rel)
        except StorageNotFoundError:
            return None

    def size(self, rel: str) -> int | None:
        return self.store.size(rel)

    def __del__(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


class NullSink(Sink):
    """Discards everything (used to replay earlier sets for their bronze tallies)."""

    label = "null"

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="datagen-null-"))

    def temp_path(self, rel: str) -> Path:
        return self._tmp / uuid.uuid4().hex

    def commit(self, rels: list[str], tmp: Path) -> None:
        tmp.unlink(missing_ok=True)

    def read_bytes(self, rel: str) -> bytes | None:
        return None

    def __del__(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)


def as_sink(target: Sink | ObjectStore | Path | str) -> Sink:
    """A sink for a local folder path, an ObjectStore, or an existing sink."""
    if isinstance(target, Sink):
        return target
    if isinstance(target, ObjectStore):
        return StoreSink(target)
    if isinstance(target, (str, os.PathLike)):
        return FolderSink(Path(target))
    raise TypeError(f"cannot land files in {target!r}: give a folder Path or an ObjectStore")
