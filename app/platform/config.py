"""One typed configuration for the lakehouse.

Every field names the environment variable that feeds it and whether it is a
secret. Values resolve in a fixed order: explicit arguments, then the process
environment, then an optional ``.env`` file, then the field's default. Nothing
is read at import time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from app.platform.errors import ConfigError

# Azurite's published development account; it is public, not a secret, but is
# still masked like any key so that no key-shaped string reaches a log.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

STORAGE_TARGETS = ("local", "azurite", "adls")
ON_OFF = ("on", "off")
ENVIRONMENTS = ("dev", "sit", "qa", "prod")
SPARK_MODES = ("classic", "connect")
# Where local Spark generates code for expressions (app/platform/codegen.py).
EXPRESSION_CODEGEN = ("bronze", "all", "none")
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def setting(env: str, default: Any = None, *, secret: bool = False, help: str = "") -> Any:
    """Declare a config field fed by environment variable ``env``."""
    return field(default=default, metadata={"env": env, "secret": secret, "help": help})


@dataclass(frozen=True)
class LakehouseConfig:
    """Where the lakehouse runs and how to reach its storage."""

    environment: str = setting("LAKEHOUSE_ENV", "dev", help="catalog name: dev, sit, qa or prod")
    schema: str = setting("LAKEHOUSE_SCHEMA", "fitness", help="schema inside the catalog")
    storage: str = setting("LAKEHOUSE_STORAGE", "azurite", help="local, azurite or adls")
    home: str = setting(
        "LAKEHOUSE_HOME", str(PROJECT_ROOT / ".lakehouse"), help="project-local state"
    )
    jars_dir: str = setting(
        "LAKEHOUSE_JARS_DIR", str(PROJECT_ROOT / "jars"), help="Spark's extra jars"
    )
    spark_master: str = setting(
        "LAKEHOUSE_SPARK_MASTER", "local[*]",
        help="local[*] in-process, or spark://host:port of a standalone cluster",
    )
    # Cluster mode only (app/platform/cluster.py): executors must reach the
    # driver at this address, so it is the driver's host as the workers see it.
    spark_driver_host: str = setting(
        "LAKEHOUSE_SPARK_DRIVER_HOST", "127.0.0.1", help="driver address executors connect to"
    )
    executor_memory: str = setting(
        "LAKEHOUSE_EXECUTOR_MEMORY", "1g", help="heap of each executor (cluster mode only)"
    )
    # classic: an in-process JVM driver. connect: pipeline code talks to a Spark
    # Connect server, as on Databricks serverless, standard access mode and
    # Databricks Connect (no sparkContext, no JVM access).
    spark_mode: str = setting(
        "LAKEHOUSE_SPARK_MODE", "classic", help="classic (in-process driver) or connect"
    )
    spark_remote: str = setting(
        "LAKEHOUSE_SPARK_REMOTE", "",
        help="connect mode: sc://host:port of a running Spark Connect server (empty: start one)",
    )
    shuffle_partitions: int = setting("LAKEHOUSE_SHUFFLE_PARTITIONS", 0, help="0 = number of cores")
    processing_time: str = setting("LAKEHOUSE_PROCESSING_TIME", "5 seconds")
    spark_ui: str = setting(
        "LAKEHOUSE_SPARK_UI", "false", help="true to serve Spark's UI on 127.0.0.1"
    )
    driver_memory: str = setting("LAKEHOUSE_DRIVER_MEMORY", "4g")
    expression_codegen: str = setting(
        "LAKEHOUSE_EXPRESSION_CODEGEN", "bronze",
        help="local Spark generates code for expressions in: bronze (its batches only), all, none",
    )
    # Bronze's door: event times outside [min, file landed + ahead] and records
    # over max_record_bytes go to quarantine (app/pipeline/landing.py).
    event_time_min: str = setting(
        "LAKEHOUSE_EVENT_TIME_MIN", "2000-01-01", help="earliest plausible event time (ISO, UTC)"
    )
    event_time_max_ahead_seconds: int = setting(
        "LAKEHOUSE_EVENT_TIME_MAX_AHEAD_SECONDS", 86_400,
        help="how far after its file landed an event time may lie",
    )
    max_record_bytes: int = setting(
        "LAKEHOUSE_MAX_RECORD_BYTES", 1_048_576, help="longer landed records are quarantined"
    )
    # Databricks sets DATABRICKS_RUNTIME_VERSION in every cluster; there the
    # session, catalogs and storage credentials come from the workspace.
    databricks_runtime: str = setting("DATABRICKS_RUNTIME_VERSION", "")
    # Containers (or, for `local`, folders) behind the external locations.
    data_zone_container: str = setting("LAKEHOUSE_DATA_ZONE_CONTAINER", "landing")
    checkpoint_container: str = setting("LAKEHOUSE_CHECKPOINT_CONTAINER", "checkpoints")
    tables_container: str = setting("LAKEHOUSE_TABLES_CONTAINER", "lakehouse")
    # Azurite, the local stand-in for ADLS.
    azurite_host: str = setting("AZURITE_HOST", "127.0.0.1")
    azurite_port: int = setting("AZURITE_BLOB_PORT", 10000)
    azurite_account: str = setting("AZURITE_ACCOUNT", AZURITE_ACCOUNT)
    azurite_key: str = setting("AZURITE_KEY", AZURITE_KEY, secret=True)
    azurite_access_log: str = setting(
        "AZURITE_ACCESS_LOG", "off",
        help="on: the Azurite `make up` starts logs every request to <home>/azurite/azurite.log",
    )
    # Real ADLS Gen2: account key, or a service principal.
    adls_account: str = setting("AZURE_STORAGE_ACCOUNT", "")
    adls_key: str = setting("AZURE_STORAGE_KEY", "", secret=True)
    tenant_id: str = setting("AZURE_TENANT_ID", "")
    client_id: str = setting("AZURE_CLIENT_ID", "")
    client_secret: str = setting("AZURE_CLIENT_SECRET", "", secret=True)

    def __post_init__(self) -> None:
        choices = (
            ("storage target", self.storage, "LAKEHOUSE_STORAGE", STORAGE_TARGETS),
            ("Spark mode", self.spark_mode, "LAKEHOUSE_SPARK_MODE", SPARK_MODES),
            ("expression codegen", self.expression_codegen, "LAKEHOUSE_EXPRESSION_CODEGEN",
             EXPRESSION_CODEGEN),
            ("environment", self.environment, "LAKEHOUSE_ENV", ENVIRONMENTS),
            ("Azurite access log", self.azurite_access_log, "AZURITE_ACCESS_LOG", ON_OFF),
        )
        for what, value, variable, allowed in choices:
            if value not in allowed:
                raise ConfigError(
                    f"unknown {what} {value!r}: set {variable} to one of {', '.join(allowed)}",
                    self.debug_string(),
                )
        self._check_bronze_limits()
        if self.storage == "adls":
            if not self.adls_account:
                raise ConfigError(
                    "storage target 'adls' needs AZURE_STORAGE_ACCOUNT (the ADLS Gen2 account)",
                    self.debug_string(),
                )
            has_sp = self.tenant_id and self.client_id and self.client_secret
            if not self.adls_key and not has_sp:
                raise ConfigError(
                    "storage target 'adls' needs credentials: set AZURE_STORAGE_KEY, or all of "
                    "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
                    self.debug_string(),
                )

    def _check_bronze_limits(self) -> None:
        try:
            datetime.fromisoformat(self.event_time_min.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"LAKEHOUSE_EVENT_TIME_MIN={self.event_time_min!r} is not an ISO date or time "
                "(e.g. 2000-01-01 or 2000-01-01T00:00:00Z)",
                self.debug_string(),
            ) from None
        for f in fields(self):
            if f.name in ("event_time_max_ahead_seconds", "max_record_bytes"):
                if getattr(self, f.name) <= 0:
                    raise ConfigError(
                        f"{f.metadata['env']} must be a positive integer", self.debug_string()
                    )

    @property
    def catalog(self) -> str:
        """The Unity Catalog catalog: one per environment."""
        return self.environment

    @property
    def on_databricks(self) -> bool:
        return bool(self.databricks_runtime)

    @property
    def home_path(self) -> Path:
        return Path(self.home)

    def debug_string(self) -> str:
        """Every non-default setting with its source variable; secrets masked."""
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default and f.name not in ("storage", "environment"):
                continue
            shown = "***" if f.metadata["secret"] and value else value
            parts.append(f"{f.name}={shown} (${f.metadata['env']})")
        return ", ".join(parts)

    def replace(self, **changes: Any) -> LakehouseConfig:
        return dataclasses.replace(self, **changes)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines of a .env file; comments and blank lines ignored."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_config(
    env: Mapping[str, str] | None = None,
    dotenv: Path | None = None,
    **overrides: Any,
) -> LakehouseConfig:
    """Resolve the configuration: arguments, then environment, then .env, then defaults.

    Raises:
        ConfigError: a value has the wrong type or an unknown choice; the
            message says which variable to change.
    """
    environ = os.environ if env is None else env
    file_values = read_dotenv(dotenv if dotenv is not None else PROJECT_ROOT / ".env")
    values: dict[str, Any] = {}
    for f in fields(LakehouseConfig):
        if f.name in overrides:
            values[f.name] = overrides.pop(f.name)
            continue
        var = f.metadata["env"]
        raw = environ.get(var, file_values.get(var))
        if raw is None or raw == "":
            continue
        if f.type in ("int", int):
            try:
                values[f.name] = int(raw)
            except ValueError:
                shown = "***" if f.metadata["secret"] else raw
                raise ConfigError(f"{var}={shown!r} is not an integer") from None
        else:
            values[f.name] = raw
    if overrides:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(overrides))}")
    return LakehouseConfig(**values)
