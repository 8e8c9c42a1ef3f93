"""docker-compose.yml is checked statically: no Docker engine runs here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def compose_config() -> str:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (Debian package) not installed; .ci/run installs it")
    proc = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_compose_file_is_valid_and_pins_azurite(compose_config: str) -> None:
    assert "mcr.microsoft.com/azure-storage/azurite:3.35.0" in compose_config
    assert compose_config.count("healthcheck:") == 2
    assert "docker/spark/Dockerfile" in compose_config
    assert "AZURITE_HOST: azurite" in compose_config


def test_dockerfile_uses_the_project_pins() -> None:
    dockerfile = (ROOT / "docker" / "spark" / "Dockerfile").read_text()
    assert "-c constraints.txt" in dockerfile
    assert "python -m app.platform.jars resolve" in dockerfile


def _service(config: str, name: str) -> str:
    """One service's block of `docker-compose config` output (normalised, 2-space YAML)."""
    match = re.search(rf"^  {re.escape(name)}:\n((?:    .*\n|  - .*\n)+)", config, re.M)
    assert match, f"service {name} missing"
    return match.group(1)


def test_cluster_profile_has_a_master_and_scalable_workers_from_the_project_image(
    compose_config: str,
) -> None:
    master = _service(compose_config, "spark-master")
    worker = _service(compose_config, "spark-worker")
    driver = _service(compose_config, "spark")
    image = re.search(r"image: (\S+)", driver)
    assert image, "the pipeline service names its image so the cluster reuses it"
    for block, daemon in ((master, "master.Master"), (worker, "worker.Worker")):
        assert re.search(r"profiles:\n    - cluster\n", block)
        assert f"image: {image.group(1)}" in block
        assert f"org.apache.spark.deploy.{daemon}" in block
        assert "site-packages/pyspark/bin/spark-class" in block  # the pinned pip pyspark
    assert "spark.master.rest.enabled=false" in master
    assert "spark://spark-master:7077" in worker
    assert "SPARK_DIST_CLASSPATH: /opt/lakehouse/jars/*" in worker
    # Scalable: workers publish no host port; the master's UI only on loopback.
    assert "ports:" not in worker
    assert "replicas: 2" in worker
    published = re.findall(r"^    - (\S+:\d+:\d+)", compose_config, re.M)
    assert published and all(p.startswith("127.0.0.1:") for p in published)
    # The default services stay out of the profile; the pipeline can target the cluster.
    assert "profiles:" not in driver and "profiles:" not in _service(compose_config, "azurite")
    assert "LAKEHOUSE_SPARK_MASTER: local[*]" in driver
    assert "LAKEHOUSE_SPARK_DRIVER_HOST: spark" in driver


def test_compose_accepts_the_cluster_profile() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (Debian package) not installed; .ci/run installs it")
    proc = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "--profile", "cluster", "config",
         "--services"], capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert {"spark-master", "spark-worker"} <= set(proc.stdout.split())
