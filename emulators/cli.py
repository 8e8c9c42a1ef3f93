"""The local stand-ins for the cloud: `lakehouse up|down|status` (lakehouse_local.cli).

With a reachable Docker engine, ``up`` runs ``docker compose up -d azurite``;
without one it starts Azurite as a local background process. Either way it
then provisions the storage layout. ``down`` stops only what ``up`` started.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from app.platform.config import PROJECT_ROOT, LakehouseConfig
from app.platform.storage import LOCATIONS, storage_target
from emulators.azurite import AzuriteProcess

COMPOSE_FILE = PROJECT_ROOT / "docker-compose.yml"


def _read_state(config: LakehouseConfig) -> dict[str, Any]:
    """What `up` recorded it started; empty when it started nothing."""
    path = _state_file(config)
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _state_file(config: LakehouseConfig) -> Path:
    return config.home_path / "emulators.json"


def docker_compose_command() -> list[str] | None:
    """The compose command of a reachable Docker engine, or None."""
    docker = shutil.which("docker")
    if docker:
        try:
            ok = (
                subprocess.run(
                    [docker, "info"], capture_output=True, timeout=5, check=False
                ).returncode
                == 0
            )
        except subprocess.TimeoutExpired:
            ok = False
        if ok:
            probe = subprocess.run([docker, "compose", "version"], capture_output=True, check=False)
            return (
                [docker, "compose"]
                if probe.returncode == 0
                else (["docker-compose"] if shutil.which("docker-compose") else None)
            )
    return None


def ready(config: LakehouseConfig) -> bool:
    """Nothing for `up` to do: the emulator answers (or the target needs none) and
    Spark's class-data archive is built. Cheap: one HTTP request, no cloud SDK."""
    from app.platform import class_archive

    archive = class_archive.archive_path(config)
    if archive is not None and not archive.is_file():
        return False
    return config.storage != "azurite" or AzuriteProcess.from_config(config).running()


def up(config: LakehouseConfig) -> str:
    """Start Azurite (Docker or local process) and provision the storage layout."""
    state: dict[str, object] = {}
    if config.storage == "adls":
        print("storage target is real ADLS: no emulator to start")
    else:
        compose = docker_compose_command()
        azurite = AzuriteProcess.from_config(config)
        if azurite.running():
            print(f"azurite: already answering on {azurite.host}:{azurite.port}")
            state = _read_state(config)
        elif compose:
            subprocess.run([*compose, "-f", str(COMPOSE_FILE), "up", "-d", "azurite"], check=True)
            state = {"mode": "docker", "compose": compose}
            print("azurite: started with docker compose")
        else:
            azurite.start()
            state = {"mode": "local", "pid": azurite.pid()}
            print(
                f"azurite: started as local process pid {azurite.pid()} "
                f"on {azurite.host}:{azurite.port} (data {azurite.data_dir})"
            )
    config.home_path.mkdir(parents=True, exist_ok=True)
    if state:
        _state_file(config).write_text(json.dumps(state))
    for name in ("local", "azurite") if config.storage != "adls" else ("adls",):
        target = storage_target(config.replace(storage=name))
        target.provision()
        print(f"provisioned {name}: " + ", ".join(f"{loc}={target.url(loc)}" for loc in LOCATIONS))
    return str(state.get("mode", "external"))


def down(config: LakehouseConfig) -> None:
    state = _read_state(config)
    if state.get("mode") == "docker":
        compose = list(state.get("compose") or ["docker", "compose"])
        subprocess.run([*compose, "-f", str(COMPOSE_FILE), "down"], check=False)
        print("azurite: docker compose services stopped")
    elif AzuriteProcess.from_config(config).stop():
        print("azurite: local process stopped")
    else:
        print("azurite: nothing started by `make up` is running")
    _state_file(config).unlink(missing_ok=True)


def status(config: LakehouseConfig) -> bool:
    """Print what runs where; returns whether Azurite answers."""
    azurite = AzuriteProcess.from_config(config)
    state = _read_state(config)
    answering = azurite.running()
    if answering:
        where = {
            "docker": "in Docker (docker compose)",
            "local": f"local process pid {azurite.pid()}",
        }
        how = where.get(str(state.get("mode")), "started outside `make up`")
        print(f"azurite: running on {azurite.host}:{azurite.port}, {how}")
    else:
        print(
            f"azurite: not running (expected on {azurite.host}:{azurite.port}); `make up` starts it"
        )
    target = storage_target(config)
    print(f"storage target: {target.name} (LAKEHOUSE_STORAGE)")
    for loc in LOCATIONS:
        print(f"  {loc:<11} {target.url(loc)}")
    print("spark: in-process, started by each command (no long-running Spark service locally)")
    return answering
