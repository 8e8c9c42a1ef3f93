"""Storage targets behind one adapter: local folders, Azurite, or real ADLS Gen2.

Pipeline code asks for a named external location (``data_zone``,
``checkpoint``, ``tables``) and gets a URL, the way Databricks code reads it
from Unity Catalog; it never learns which target is in use. Code outside Spark
(the data generators, tests) reaches the same locations through ``store()``,
a small object-store API with atomic writes.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.platform.config import LakehouseConfig
from app.platform.errors import (
    ConfigError,
    EmulatorNotRunningError,
    StorageNotFoundError,
    translate,
)

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient

LOCATIONS = ("data_zone", "checkpoint", "tables")


class ObjectStore(ABC):
    """Files under one external location, addressed by '/'-separated relative paths."""

    @abstractmethod
    def put_bytes(self, path: str, data: bytes) -> None:
        """Write a file whole: readers see all of it or none of it."""

    @abstractmethod
    def put_file(self, path: str, local_file: Path) -> None:
        """Upload a local file whole, atomically."""

    @abstractmethod
    def get_bytes(self, path: str) -> bytes:
        """Read a file; StorageNotFoundError when it is missing."""

    @abstractmethod
    def list(self, prefix: str = "") -> list[str]:
        """Relative paths of every file under ``prefix``, sorted."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Remove every file under ``prefix``; returns how many were removed."""

    @abstractmethod
    def make_folder(self, path: str) -> None:
        """Create an (empty) folder unless it exists, as Hadoop's mkdirs does."""

    def exists(self, path: str) -> bool:
        return self.size(path) is not None

    def size(self, path: str) -> int | None:
        """A file's size in bytes, or None when it does not exist."""
        try:
            return len(self.get_bytes(path))
        except StorageNotFoundError:
            return None


class LocalStore(ObjectStore):
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def put_bytes(self, path: str, data: bytes) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target under a dot-name (Spark's file sources skip
        # names starting with '.' or '_'), then rename: atomic on one filesystem.
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)

    def put_file(self, path: str, local_file: Path) -> None:
        target = self._path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        os.close(fd)
        shutil.copyfile(local_file, tmp)
        os.replace(tmp, target)

    def get_bytes(self, path: str) -> bytes:
        try:
            return self._path(path).read_bytes()
        except FileNotFoundError:
            raise StorageNotFoundError(f"{self._path(path)} does not exist") from None

    def size(self, path: str) -> int | None:
        target = self._path(path)
        return target.stat().st_size if target.is_file() else None

    def make_folder(self, path: str) -> None:
        self._path(path).mkdir(parents=True, exist_ok=True)

    def list(self, prefix: str = "") -> list[str]:
        base = self._path(prefix)
        if base.is_file():
            return [prefix]
        if not base.exists():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.startswith(".tmp-")
        )

    def delete_prefix(self, prefix: str) -> int:
        files = self.list(prefix)
        base = self._path(prefix)
        if base.is_dir() and prefix.strip("/"):
            shutil.rmtree(base)
        elif base.is_dir():
            for child in base.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        elif base.is_file():
            base.unlink()
        return len(files)


class BlobStore(ObjectStore):
    """A container (and optional folder prefix) reached through the Blob API.

    A block blob upload commits at once, so a reader never sees half a file.
    """

    def __init__(self, container: ContainerClient, prefix: str = "") -> None:
        self.container = container
        self.prefix = prefix.strip("/")

    def _name(self, path: str) -> str:
        path = path.lstrip("/")
        return f"{self.prefix}/{path}" if self.prefix else path

    def put_bytes(self, path: str, data: bytes) -> None:
        try:
            self.container.upload_blob(self._name(path), data, overwrite=True)
        except Exception as exc:
            raise translate(exc, where=self._where(path)) from exc

    def put_file(self, path: str, local_file: Path) -> None:
        try:
            with open(local_file, "rb") as fh:
                self.container.upload_blob(self._name(path), fh, overwrite=True)
        except Exception as exc:
            raise translate(exc, where=self._where(path)) from exc

    def get_bytes(self, path: str) -> bytes:
        try:
            return bytes(self.container.download_blob(self._name(path)).readall())
        except Exception as exc:
            raise translate(exc, where=self._where(path)) from exc

    def size(self, path: str) -> int | None:
        try:
            return int(self.container.get_blob_client(self._name(path)).get_blob_properties().size)
        except Exception as exc:
            if type(exc).__name__ == "ResourceNotFoundError":
                return None
            raise translate(exc, where=self._where(path)) from exc

    def make_folder(self, path: str) -> None:
        # What ABFS's mkdirs leaves on a blob (non-HNS) endpoint: a zero-byte
        # marker blob with hdi_isfolder, which Spark's file source takes as the folder.
        name = self._name(path.rstrip("/"))
        try:
            blob = self.container.get_blob_client(name)
            if not blob.exists():
                blob.upload_blob(b"", metadata={"hdi_isfolder": "true"})
        except Exception as exc:
            if type(exc).__name__ != "ResourceExistsError":
                raise translate(exc, where=self._where(path)) from exc

    def _iter(self, prefix: str) -> Iterator[str]:
        start = len(self.prefix) + 1 if self.prefix else 0
        name = self._name(prefix) if prefix else (self.prefix + "/" if self.prefix else "")
        try:
            for blob in self.container.list_blobs(name_starts_with=name or None):
                # Folder markers (zero-byte blobs with hdi_isfolder) are not files.
                if (blob.metadata or {}).get("hdi_isfolder") == "true":
                    continue
                yield blob.name[start:]
        except Exception as exc:
            raise translate(exc, where=self._where(prefix)) from exc

    def list(self, prefix: str = "") -> list[str]:
        return sorted(self._iter(prefix))

    def delete_prefix(self, prefix: str) -> int:
        name = self._name(prefix) if prefix else self.prefix
        names = [b.name for b in self.container.list_blobs(name_starts_with=name or None)]
        # Deepest first, so folder markers go after their contents.
        for blob_name in sorted(names, key=len, reverse=True):
            try:
                self.container.delete_blob(blob_name)
            except Exception as exc:
                if type(exc).__name__ != "ResourceNotFoundError":
                    raise translate(exc, where=blob_name) from exc
        return len(names)

    def _where(self, path: str) -> str:
        return f"{self.container.container_name}/{self._name(path)}"


class StorageTarget(ABC):
    """Where the external locations live, and how Spark reaches them."""

    name: str

    def __init__(self, config: LakehouseConfig) -> None:
        self.config = config

    def container_for(self, location: str) -> str:
        if location not in LOCATIONS:
            raise ConfigError(
                f"unknown external location {location!r}; known: {', '.join(LOCATIONS)}"
            )
        return str(getattr(self.config, f"{location}_container"))

    @abstractmethod
    def url(self, location: str) -> str:
        """URL of a named external location, without a trailing slash."""

    @abstractmethod
    def store(self, location: str) -> ObjectStore:
        """Object-store access to a named external location."""

    def hadoop_conf(self) -> dict[str, str]:
        """Hadoop settings Spark needs for this target (keys without 'spark.hadoop.')."""
        return {}

    def check(self) -> None:
        """Fail fast, with a fix in the message, when the target cannot be reached."""
        return None

    def provision(self) -> None:
        """Create what the external locations need (containers, folders)."""
        return None

    def deprovision(self) -> None:
        """Remove the external locations and everything in them: the inverse of provision."""
        return None


class LocalTarget(StorageTarget):
    name = "local"

    @property
    def root(self) -> Path:
        return self.config.home_path / "local"

    def _dir(self, location: str) -> Path:
        return self.root / self.container_for(location)

    def url(self, location: str) -> str:
        # Spark spells local URLs "file:/abs/path"; match it so locations compare equal.
        return "file:" + self._dir(location).resolve().as_posix()

    def store(self, location: str) -> ObjectStore:
        return LocalStore(self._dir(location))

    def provision(self) -> None:
        for location in LOCATIONS:
            self._dir(location).mkdir(parents=True, exist_ok=True)

    def deprovision(self) -> None:
        for location in LOCATIONS:
            shutil.rmtree(self._dir(location), ignore_errors=True)


class _BlobTarget(StorageTarget):
    """Shared parts of the Azure targets: containers reached by the Blob API."""

    scheme = "abfss"

    @property
    @abstractmethod
    def account(self) -> str: ...

    @abstractmethod
    def blob_service(self) -> Any: ...

    def url(self, location: str) -> str:
        container = self.container_for(location)
        return f"{self.scheme}://{container}@{self.account}.dfs.core.windows.net"

    def store(self, location: str) -> ObjectStore:
        return BlobStore(self.blob_service().get_container_client(self.container_for(location)))

    def provision(self) -> None:
        service = self.blob_service()
        for location in LOCATIONS:
            try:
                service.create_container(self.container_for(location))
            except Exception as exc:
                if type(exc).__name__ != "ResourceExistsError":
                    raise translate(exc, where=f"container {self.container_for(location)}") from exc

    def deprovision(self) -> None:
        service = self.blob_service()
        for location in LOCATIONS:
            try:
                service.delete_container(self.container_for(location))
            except Exception as exc:
                if type(exc).__name__ != "ResourceNotFoundError":
                    raise translate(exc, where=f"container {self.container_for(location)}") from exc


def _import_blob() -> Any:
    # The Azure SDK logs every request and response at INFO: far too loud for a
    # terminal running a live view. Errors still surface as exceptions.
    logging.getLogger("azure").setLevel(logging.WARNING)
    try:
        import azure.storage.blob as blob
    except ImportError as exc:  # pragma: no cover - installed by make setup
        raise ImportError(
            "azure-storage-blob is needed for the azurite and adls targets: run `make setup` "
            "or `pip install azure-storage-blob`"
        ) from exc
    return blob


class AzuriteTarget(_BlobTarget):
    """Azurite's blob endpoint, reached by Hadoop's ABFS driver in blob (non-HNS) mode.

    Azurite has no DFS endpoint, so ABFS talks to the blob service of a
    non-hierarchical account over plain http, with shared-key auth.
    """

    name = "azurite"
    scheme = "abfs"

    @property
    def account(self) -> str:
        return self.config.azurite_account

    @property
    def endpoint(self) -> str:
        return f"{self.config.azurite_host}:{self.config.azurite_port}"

    def connection_string(self) -> str:
        c = self.config
        return (
            f"DefaultEndpointsProtocol=http;AccountName={c.azurite_account};"
            f"AccountKey={c.azurite_key};"
            f"BlobEndpoint=http://{self.endpoint}/{c.azurite_account};"
        )

    def blob_service(self) -> Any:
        self.check()
        return _import_blob().BlobServiceClient.from_connection_string(self.connection_string())

    def hadoop_conf(self) -> dict[str, str]:
        host = f"{self.account}.dfs.core.windows.net"
        return {
            "fs.azure.account.auth.type": "SharedKey",
            f"fs.azure.account.key.{host}": self.config.azurite_key,
            "fs.azure.account.hns.enabled": "false",
            "fs.azure.fns.account.service.type": "BLOB",
            "fs.azure.abfs.endpoint": self.endpoint,
            "fs.azure.always.use.https": "false",
            # Hadoop 3.5's default Apache client needs a TLS socket factory even
            # for http; the JDK client and JSSE work against Azurite's http.
            "fs.azure.networking.library": "JDK_HTTP_URL_CONNECTION",
            "fs.azure.ssl.channel.mode": "Default_JSSE",
            # ABFS 3.5 sends its client metrics to the account from a JVM
            # shutdown hook; once Azurite is gone the hook retries with backoff
            # for many minutes and the Spark JVM outlives its Python process.
            "fs.azure.metrics.collection.enabled": "false",
        }

    def check(self) -> None:
        try:
            with socket.create_connection(
                (self.config.azurite_host, self.config.azurite_port), timeout=2
            ):
                return
        except OSError:
            raise EmulatorNotRunningError(
                f"Azurite does not answer at {self.endpoint} (storage target 'azurite'). "
                "Start it with `make up`, or choose another target with LAKEHOUSE_STORAGE=local."
            ) from None


class AdlsTarget(_BlobTarget):
    """Real ADLS Gen2 over abfss://, with an account key or a service principal."""

    name = "adls"

    @property
    def account(self) -> str:
        return self.config.adls_account

    def blob_service(self) -> Any:
        blob = _import_blob()
        url = f"https://{self.account}.blob.core.windows.net"
        if self.config.adls_key:
            from azure.core.credentials import AzureNamedKeyCredential

            cred: Any = AzureNamedKeyCredential(self.account, self.config.adls_key)
        else:
            try:
                from azure.identity import ClientSecretCredential
            except ImportError as exc:
                raise ImportError(
                    "service-principal auth needs azure-identity: `pip install azure-identity`"
                ) from exc
            cred = ClientSecretCredential(
                self.config.tenant_id, self.config.client_id, self.config.client_secret
            )
        return blob.BlobServiceClient(url, credential=cred)

    def hadoop_conf(self) -> dict[str, str]:
        host = f"{self.account}.dfs.core.windows.net"
        c = self.config
        if c.adls_key:
            return {
                f"fs.azure.account.auth.type.{host}": "SharedKey",
                f"fs.azure.account.key.{host}": c.adls_key,
            }
        return {
            f"fs.azure.account.auth.type.{host}": "OAuth",
            f"fs.azure.account.oauth.provider.type.{host}": (
                "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider"
            ),
            f"fs.azure.account.oauth2.client.id.{host}": c.client_id,
            f"fs.azure.account.oauth2.client.secret.{host}": c.client_secret,
            f"fs.azure.account.oauth2.client.endpoint.{host}": (
                f"https://login.microsoftonline.com/{c.tenant_id}/oauth2/token"
            ),
        }


_TARGETS: dict[str, type[StorageTarget]] = {
    "local": LocalTarget,
    "azurite": AzuriteTarget,
    "adls": AdlsTarget,
}


def storage_target(config: LakehouseConfig) -> StorageTarget:
    """The storage target the config names."""
    return _TARGETS[config.storage](config)
