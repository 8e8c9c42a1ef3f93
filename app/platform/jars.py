"""Spark's extra jars: resolved once at install time into a project-local folder.

At run time Spark only loads the jars in that folder (``spark.jars``); it never
resolves or downloads anything. ``python -m app.platform.jars resolve`` uses
Spark's own Ivy resolver with its cache inside the project, so a laptop needs
no Maven.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from app.platform.config import LakehouseConfig, load_config
from app.platform.errors import JarsMissingError

# Delta for Spark 4.2 (the pip package delta-spark==4.4.0 matches this jar; the
# 4.4.1 pip release has no Spark 4.2 jar on Maven Central). hadoop-azure must
# match the Hadoop that pyspark 4.2.0 bundles (hadoop-client-api 3.5.0).
MAVEN_PACKAGES = (
    "io.delta:delta-spark_4.2_2.13:4.4.0",
    "org.apache.hadoop:hadoop-azure:3.5.0",
)
MANIFEST = "MANIFEST.txt"

# Transitive artifacts left out on purpose: Spark ships newer Jackson, and the
# classic Azure storage SDK only serves the WASB driver Hadoop 3.5 removed.
EXCLUDED_ARTIFACTS = {
    "jackson-datatype-jdk8",
    "jackson-core",
    "jackson-databind",
    "jackson-annotations",
    "azure-storage",
    "azure-keyvault-core",
}


def _artifact(jar_name: str, ivy: bool = False) -> str:
    """'artifact-1.2.3.jar' (or Ivy's 'org.group_artifact-1.2.3.jar') -> 'artifact'."""
    stem = jar_name.removesuffix(".jar")
    if ivy:
        stem = stem.split("_", 1)[1]
    return re.sub(r"-\d[\w.\-]*$", "", stem)


def _spark_jars() -> set[str]:
    import pyspark

    folder = Path(pyspark.__file__).parent / "jars"
    return {_artifact(p.name) for p in folder.glob("*.jar")}


def jar_paths(config: LakehouseConfig) -> list[str]:
    """Absolute paths of the resolved jars.

    Raises:
        JarsMissingError: the folder is missing, empty, or was resolved for
            other versions; the message says to run `make setup`.
    """
    folder = Path(config.jars_dir)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise JarsMissingError(
            f"Spark's jar folder {folder} is missing or incomplete (no {MANIFEST}). "
            "Run `make setup` (or `python -m app.platform.jars resolve`) once to resolve "
            "Delta and hadoop-azure into it.",
            config.debug_string(),
        )
    wanted = manifest.read_text().split("\n\n")[0].split()
    if tuple(wanted) != MAVEN_PACKAGES:
        raise JarsMissingError(
            f"{folder} holds jars for {', '.join(wanted)} but this code pins "
            f"{', '.join(MAVEN_PACKAGES)}. Run `make setup` to resolve them again.",
            config.debug_string(),
        )
    jars = sorted(str(p.resolve()) for p in folder.glob("*.jar"))
    if not jars:
        raise JarsMissingError(f"{folder} has no jars: run `make setup`.", config.debug_string())
    return jars


def resolve(config: LakehouseConfig, force: bool = False) -> Path:
    """Resolve MAVEN_PACKAGES with Spark's Ivy into the jar folder (idempotent)."""
    folder = Path(config.jars_dir)
    try:
        jar_paths(config)
        if not force:
            print(f"jars: {folder} is up to date")
            return folder
    except JarsMissingError:
        pass
    ivy = config.home_path / "ivy"
    ivy.mkdir(parents=True, exist_ok=True)
    script = (
        "from pyspark.sql import SparkSession\n"
        "s = (SparkSession.builder.master('local[1]')"
        f".config('spark.jars.packages', {','.join(MAVEN_PACKAGES)!r})"
        f".config('spark.jars.ivy', {str(ivy)!r})"
        ".config('spark.ui.enabled', 'false').getOrCreate())\n"
        "s.stop()\n"
    )
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    print(f"jars: resolving {', '.join(MAVEN_PACKAGES)} (Ivy cache {ivy}) ...", flush=True)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise JarsMissingError(
            "resolving Spark's jars failed; is Maven Central reachable? Spark said:\n"
            + proc.stderr[-3000:]
        )
    shipped = _spark_jars()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    kept = []
    for jar in sorted((ivy / "jars").glob("*.jar")):
        artifact = _artifact(jar.name, ivy=True)
        if artifact in shipped or artifact in EXCLUDED_ARTIFACTS:
            continue
        shutil.copy2(jar, tmp / jar.name)
        kept.append(jar.name)
    (tmp / MANIFEST).write_text("\n".join(MAVEN_PACKAGES) + "\n\n" + "\n".join(kept) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    print(f"jars: {len(kept)} jars in {folder}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.platform.jars")
    parser.add_argument("command", choices=["resolve", "check"])
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    config = load_config(storage="local")
    if args.command == "resolve":
        resolve(config, force=args.force)
    else:
        print("\n".join(jar_paths(config)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
