"""Shared fixtures: one Spark session per run, one Azurite per run, per-test storage.

- ``spark``: the single SparkSession (local, UTC, Delta, RocksDB state), never
  stopped between tests. ``LAKEHOUSE_TEST_SPARK_MODE=connect`` makes it a
  Spark Connect client of a local Connect server instead (``make test`` runs
  the tests marked ``spark_modes`` a second time that way). The two modes
  cannot share a process: a Connect session switches pyspark's functions to
  their Connect versions process-wide (``SPARK_CONNECT_MODE_ENABLED``).
- ``azurite``: a real Azurite. Reuses one that already answers (``make up``);
  else testcontainers' Azurite when a Docker engine is reachable; else the
  pinned npm Azurite as a local process. Stopped at the end if started here.
- ``lakehouse_factory(target)``: a ``Lakehouse`` on its own uuid-named schema,
  containers/folders and checkpoints, removed at teardown.
Tests that use any of these are marked ``integration`` automatically.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.platform.config import AZURITE_KEY, LakehouseConfig, load_config
from app.platform.lakehouse import Lakehouse
from emulators.azurite import AzuriteProcess, answers_http, free_port

INTEGRATION_FIXTURES = {
    "spark",
    "azurite",
    "lakehouse_factory",
    "lakehouse",
    "local_lakehouse",
    "azurite_lakehouse",
}
_azurite_used: list[str] = []
SPARK_MODE = os.environ.get("LAKEHOUSE_TEST_SPARK_MODE", "classic")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    terminalreporter.write_line(f"spark mode of this run: {SPARK_MODE}")
    for line in _azurite_used:
        terminalreporter.write_line(f"azurite used by this run: {line}")


@pytest.fixture(scope="session")
def test_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lakehouse-home")


@pytest.fixture(scope="session")
def base_config(test_home: Path) -> LakehouseConfig:
    # Ignore the developer's .env and LAKEHOUSE_* variables: tests choose their own.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "AZURITE_"))}
    return load_config(env=env, dotenv=Path("/nonexistent"), storage="local", home=str(test_home),
                       spark_mode=SPARK_MODE)


@pytest.fixture(scope="session")
def spark(base_config: LakehouseConfig, azurite: AzuriteEndpoint):  # type: ignore[no-untyped-def]
    """The run's one Spark session.

    It asks for ``azurite`` so that Azurite starts before Spark and stops after
    it: a JVM whose storage endpoint vanished first can hang in its shutdown hooks.
    """
    from app.platform.session import build_session

    config = base_config
    if SPARK_MODE == "connect":  # the server needs Azurite's endpoint at start (session.py)
        config = base_config.replace(azurite_host=azurite.host, azurite_port=azurite.port)
    session = build_session(config, app_name="lakehouse-tests")
    yield session
    session.stop()
    if SPARK_MODE == "connect":
        from app.platform.session import stop_connect_servers

        stop_connect_servers()


@dataclass
class AzuriteEndpoint:
    host: str
    port: int
    how: str
    account: str = "devstoreaccount1"
    key: str = field(default=AZURITE_KEY, repr=False)


def _docker_reachable() -> bool:
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def azurite(test_home: Path, base_config: LakehouseConfig) -> Iterator[AzuriteEndpoint]:
    host, port = base_config.azurite_host, base_config.azurite_port
    if answers_http(host, port):
        endpoint = AzuriteEndpoint(host, port, f"already running on {host}:{port} (reused)")
        _azurite_used.append(endpoint.how)
        yield endpoint
        return
    if _docker_reachable():
        from testcontainers.azurite import AzuriteContainer

        with AzuriteContainer() as container:
            cport = int(container.get_exposed_port(10000))
            endpoint = AzuriteEndpoint(
                container.get_container_host_ip(), cport, "testcontainers Azurite (Docker)"
            )
            _azurite_used.append(endpoint.how)
            yield endpoint
        return
    process = AzuriteProcess("127.0.0.1", free_port(), test_home / "azurite")
    process.start()
    endpoint = AzuriteEndpoint(
        process.host,
        process.port,
        f"npm Azurite process on {process.host}:{process.port} (no Docker engine reachable)",
    )
    _azurite_used.append(endpoint.how)
    try:
        yield endpoint
    finally:
        process.stop()


LakehouseFactory = Callable[..., Lakehouse]


@pytest.fixture
def lakehouse_factory(
    request: pytest.FixtureRequest,
    spark,
    base_config: LakehouseConfig,  # type: ignore[no-untyped-def]
) -> Iterator[LakehouseFactory]:
    """Make Lakehouses on fresh, uuid-named storage; all removed at teardown."""
    made: list[Lakehouse] = []

    def make(target: str = "local", **overrides: object) -> Lakehouse:
        tag = uuid.uuid4().hex[:10]
        settings: dict[str, object] = {
            "storage": target,
            "schema": f"t_{tag}",
            "data_zone_container": f"landing-{tag}",
            "checkpoint_container": f"checkpoints-{tag}",
            "tables_container": f"lakehouse-{tag}",
        }
        if target == "azurite":
            endpoint: AzuriteEndpoint = request.getfixturevalue("azurite")
            settings.update(azurite_host=endpoint.host, azurite_port=endpoint.port)
        elif target == "adls":
            request.getfixturevalue("adls_credentials")
        settings.update(overrides)
        lakehouse = Lakehouse(base_config.replace(**settings), spark)
        lakehouse.target.provision()
        made.append(lakehouse)
        return lakehouse

    yield make
    for lakehouse in made:
        _remove(lakehouse)


def _remove(lakehouse: Lakehouse) -> None:
    try:
        lakehouse.spark.sql(f"DROP SCHEMA IF EXISTS {lakehouse.database} CASCADE")
    except Exception:
        pass
    try:
        lakehouse.target.deprovision()
    except Exception:
        pass


@pytest.fixture
def local_lakehouse(lakehouse_factory: LakehouseFactory) -> Lakehouse:
    return lakehouse_factory("local")


@pytest.fixture
def azurite_lakehouse(lakehouse_factory: LakehouseFactory) -> Lakehouse:
    return lakehouse_factory("azurite")


@pytest.fixture(params=["local", "azurite"])
def lakehouse(request: pytest.FixtureRequest, lakehouse_factory: LakehouseFactory) -> Lakehouse:
    """Every storage target that runs offline: contract tests run once per target."""
    return lakehouse_factory(request.param)


@pytest.fixture
def env_or_skip() -> Callable[[str], str]:
    def get(name: str) -> str:
        value = os.environ.get(name)
        if not value:
            pytest.skip(f"environment variable {name} not set")
        return value

    return get


@pytest.fixture
def adls_credentials(env_or_skip: Callable[[str], str]) -> str:
    account = env_or_skip("AZURE_STORAGE_ACCOUNT")
    if not os.environ.get("AZURE_STORAGE_KEY") and not os.environ.get("AZURE_CLIENT_SECRET"):
        pytest.skip("no ADLS credentials (AZURE_STORAGE_KEY or a service principal)")
    return account


@pytest.fixture
def restore_spark_conf(spark) -> Iterator[Callable[[str, str], None]]:  # type: ignore[no-untyped-def]
    """Set Spark SQL confs for one test; the old values come back afterwards."""
    saved: dict[str, str | None] = {}

    def set_conf(key: str, value: str) -> None:
        if key not in saved:
            saved[key] = spark.conf.get(key, None)
        spark.conf.set(key, value)

    yield set_conf
    for key, old in saved.items():
        if old is None:
            spark.conf.unset(key)
        else:
            spark.conf.set(key, old)


@pytest.fixture
def dataframe_cache(spark) -> Callable[[], bool | None]:  # type: ignore[no-untyped-def]
    """Whether Spark's DataFrame cache is empty (None on Spark Connect: no JVM here).

    The cache is emptied first, so what a test finds there is its own. A stream
    that leaves a batch's DataFrame cached holds it for the life of the process:
    every batch adds one until storage memory runs out.
    """
    spark.catalog.clearCache()

    def is_empty() -> bool | None:
        jvm_session = getattr(spark, "_jsparkSession", None)
        if jvm_session is None:
            return None
        return bool(jvm_session.sharedState().cacheManager().isEmpty())

    return is_empty
