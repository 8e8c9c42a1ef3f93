"""A class-data-sharing (CDS) archive for the local Spark driver JVM: Spark starts faster.

Starting Spark means loading and verifying thousands of classes from the few
hundred jars pyspark ships; on two cores that is most of its start-up. Java's
AppCDS keeps the classes a representative run loaded in one archive that the
next JVMs map instead (measured on 2 busy cores: session start 15-18 s ->
9-10 s, first SQL statement 5-7 s -> 3.3 s).

``make up`` builds the archive once per Java + jars combination
(``python -m lakehouse_local.spark_archive``); the session factory adds it to the
driver's options when a matching archive exists and never otherwise. The
JVM itself checks the archive against its class path and ignores one that
does not match (``-Xshare:auto``), silently (its CDS log tags are off).
Local only: a Databricks cluster brings its own JVM.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from app.platform.config import LakehouseConfig

ARCHIVE_FOLDER = "cds"
# Bumped when the driver's class path is laid out differently (an old archive then
# no longer matches and is rebuilt rather than silently ignored).
LAYOUT = 2
QUIET = "-Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"


def java_binary() -> Path | None:
    """The java pyspark's launcher runs: $JAVA_HOME/bin/java, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None


def archive_key(config: LakehouseConfig) -> str | None:
    """What the archive depends on: the JVM binary and every jar of the driver's class path."""
    import pyspark

    java = java_binary()
    if java is None:
        return None
    digest = hashlib.sha256(f"layout {LAYOUT}\n".encode())
    stat = java.stat()
    digest.update(f"{java}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    folders = (Path(pyspark.__file__).parent / "jars", Path(config.jars_dir))
    for folder in folders:
        for jar in sorted(folder.glob("*.jar")):
            st = jar.stat()
            digest.update(f"{jar.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def archive_path(config: LakehouseConfig) -> Path | None:
    """Where this machine's archive lives (whether or not it was built yet)."""
    key = archive_key(config)
    return None if key is None else config.home_path / ARCHIVE_FOLDER / f"driver-{key}.jsa"


def java_options(config: LakehouseConfig) -> str:
    """Driver JVM options that use the archive; empty when none matches or on Databricks."""
    if config.on_databricks:
        return ""
    path = archive_path(config)
    if path is None or not path.is_file():
        return ""
    return f"-XX:SharedArchiveFile={path} {QUIET}"
