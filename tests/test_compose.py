"""docker-compose.yml is checked statically: no Docker engine runs here."""

from __future__ import annotations

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
