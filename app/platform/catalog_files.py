"""The few file operations the local catalog needs, for either kind of session.

The local catalog keeps storage as its source of truth: it lists table
folders to register them, keeps view texts beside them and creates landing
folders. A classic session does that through the driver's Hadoop file system
(``catalog.py``: the same client Spark's readers use, abfs:// included). A
Spark Connect session has no JVM in this process, so there the same
operations go through the adapter's ``ObjectStore`` of the external location
the URL lies in (local folders, or the Blob API for Azurite and ADLS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from app.platform import catalog as cat

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from app.platform.storage import ObjectStore, StorageTarget

LOCATIONS = ("data_zone", "checkpoint", "tables")


class CatalogFiles(Protocol):
    def list_dirs(self, url: str) -> list[str]: ...
    def is_delta_table(self, url: str) -> bool: ...
    def read_text_files(self, url: str) -> dict[str, str]: ...
    def write_text_file(self, url: str, text: str) -> None: ...
    def make_dirs(self, url: str) -> None: ...
    def delete_path(self, url: str) -> None: ...


class HadoopFiles:
    """Through the classic driver's Hadoop file system."""

    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark

    def list_dirs(self, url: str) -> list[str]:
        return cat.list_dirs(self.spark, url)

    def is_delta_table(self, url: str) -> bool:
        return cat.is_delta_table(self.spark, url)

    def read_text_files(self, url: str) -> dict[str, str]:
        return cat.read_text_files(self.spark, url)

    def write_text_file(self, url: str, text: str) -> None:
        cat.write_text_file(self.spark, url, text)

    def make_dirs(self, url: str) -> None:
        cat.make_dirs(self.spark, url)

    def delete_path(self, url: str) -> None:
        cat.delete_path(self.spark, url)


class StoreFiles:
    """Through the external locations' object stores (no JVM: Spark Connect)."""

    def __init__(self, target: StorageTarget) -> None:
        self.target = target

    def _resolve(self, url: str) -> tuple[ObjectStore, str]:
        for location in LOCATIONS:
            base = self.target.url(location).rstrip("/")
            if url == base or url.startswith(base + "/"):
                return self.target.store(location), url[len(base):].strip("/")
        raise ValueError(f"{url} is not under an external location of this lakehouse")

    def list_dirs(self, url: str) -> list[str]:
        store, rel = self._resolve(url)
        prefix = f"{rel}/" if rel else ""
        return sorted({p[len(prefix):].split("/", 1)[0] for p in store.list(prefix)
                       if "/" in p[len(prefix):]})

    def is_delta_table(self, url: str) -> bool:
        store, rel = self._resolve(url)
        return bool(store.list(f"{rel}/_delta_log/"))

    def read_text_files(self, url: str) -> dict[str, str]:
        store, rel = self._resolve(url)
        prefix = f"{rel}/"
        # Hadoop's local file system keeps a '.<name>.crc' beside each file it
        # writes and hides it from listings; so do we.
        return {p[len(prefix):]: store.get_bytes(p).decode("utf-8") for p in store.list(prefix)
                if "/" not in p[len(prefix):] and not p[len(prefix):].startswith(".")}

    def write_text_file(self, url: str, text: str) -> None:
        store, rel = self._resolve(url)
        store.put_bytes(rel, text.encode("utf-8"))

    def make_dirs(self, url: str) -> None:
        store, rel = self._resolve(url)
        store.make_folder(rel)

    def delete_path(self, url: str) -> None:
        store, rel = self._resolve(url)
        store.delete_prefix(f"{rel}/")
        if store.exists(rel):  # a folder marker, or a file
            store.delete_prefix(rel)


def has_jvm(spark: SparkSession) -> bool:
    """A classic session (a driver JVM in this process), not a Spark Connect client."""
    # By the session's class: a Connect client and a classic session can share a process.
    return not type(spark).__module__.startswith("pyspark.sql.connect")


def files_for(spark: SparkSession, target: StorageTarget) -> CatalogFiles:
    return HadoopFiles(spark) if has_jvm(spark) else StoreFiles(target)
