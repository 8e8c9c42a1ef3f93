"""No secret reaches an output, a log, a printed Spark config or the event log.

Known fake secrets are planted: the storage account key the pipeline really
uses (a private Azurite is started with that account and key), plus an ADLS
key, a client secret and a Databricks token that sit in the environment. Then
a short stream, two failing runs, ``status`` and a dump of Spark's config the
way Spark prints it run as real processes, with Spark's event log on and its
log level at INFO; every byte they print or write is searched.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.platform.config import LakehouseConfig
from app.platform.storage import storage_target
from emulators.azurite import AzuriteProcess, free_port
from tests.chaos.processes import child_env, isolated_config, pipeline, run_pipeline, start

# `make test-long` runs it (CI too): five pipeline processes, each with its own Spark.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.long]

ACCOUNT = "secretsprobe1"
KEY = base64.b64encode(secrets.token_bytes(64)).decode()
WRONG_KEY = base64.b64encode(secrets.token_bytes(64)).decode()
PLANTED = {
    "AZURE_STORAGE_KEY": base64.b64encode(secrets.token_bytes(64)).decode(),
    "AZURE_CLIENT_SECRET": f"fake~{secrets.token_urlsafe(24)}",
    "DATABRICKS_TOKEN": f"dapi{secrets.token_hex(16)}",
    "AZURE_TENANT_ID": "00000000-0000-0000-0000-000000000000",
    "AZURE_CLIENT_ID": "11111111-1111-1111-1111-111111111111",
}
SECRETS = {"AZURITE_KEY": KEY, "wrong AZURITE_KEY": WRONG_KEY,
           **{k: v for k, v in PLANTED.items() if "ID" not in k}}

DUMP_CONF = """
from app.platform.config import load_config
from app.platform.session import build_session
spark = build_session(load_config())
print(spark.sparkContext.getConf().toDebugString())
for row in spark.sql("SET").collect():
    print(row.key, row.value)
for row in spark.sql("SET -v").collect():
    print(row.key, row.value)
"""


@pytest.fixture
def account_azurite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AzuriteProcess]:
    """A private Azurite that knows only our account and its (fake, secret) key."""
    monkeypatch.setenv("AZURITE_ACCOUNTS", f"{ACCOUNT}:{KEY}")
    process = AzuriteProcess("127.0.0.1", free_port(), tmp_path / "azurite")
    process.start()
    monkeypatch.delenv("AZURITE_ACCOUNTS")
    yield process
    process.stop()


def _leaks(text: str) -> list[str]:
    found = []
    for name, value in SECRETS.items():
        # The whole value, or a telling piece of it (a truncated print still leaks).
        for piece in (value, value[:16], value[-16:]):
            if piece in text:
                found.append(f"{name} ({'whole' if piece == value else 'part'})")
                break
    return found


def _files_text(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.stat().st_size < 50_000_000:
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def test_no_secret_in_outputs_logs_configs_or_event_log(
    account_azurite: AzuriteProcess, base_config: LakehouseConfig, tmp_path: Path
) -> None:
    home, events, spark_local = tmp_path / "home", tmp_path / "events", tmp_path / "spark-local"
    events.mkdir()
    config = isolated_config(base_config.replace(
        storage="azurite", home=str(home), azurite_host=account_azurite.host,
        azurite_port=account_azurite.port, azurite_account=ACCOUNT, azurite_key=KEY))
    storage_target(config).provision()
    env = child_env(config, {
        **PLANTED,
        "LAKEHOUSE_SPARK_LOG_LEVEL": "INFO",
        "SPARK_LOCAL_DIRS": str(spark_local),
        # Uncompressed, so that it can be searched.
        "PYSPARK_SUBMIT_ARGS": (f"--conf spark.eventLog.enabled=true "
                                f"--conf spark.eventLog.dir={events.as_uri()} "
                                "--conf spark.eventLog.compress=false pyspark-shell"),
    })
    outputs: dict[str, tuple[int, str]] = {}
    outputs["stream"] = run_pipeline(
        "stream", "--no-live", "--duration", "12", "--scale", "0.05", "--pause", "5",
        "--processing-time", "1 second", env=env, log=tmp_path / "stream.log", timeout=600)
    # The rest are independent: run side by side.
    children = {
        "failing stream": pipeline("stream", "--no-live", "--no-producer",
                                   "--processing-time", "banana", env=env,
                                   log=tmp_path / "failing.log"),
        "wrong key": pipeline("once", env={**env, "AZURITE_KEY": WRONG_KEY},
                              log=tmp_path / "wrong-key.log"),
        "status": pipeline("status", env=env, log=tmp_path / "status.log"),
        "spark conf": start(["-c", DUMP_CONF], env, tmp_path / "conf.log"),
    }
    for name, child in children.items():
        outputs[name] = (child.wait(600), child.output())

    # The runs did what they should, so their outputs are worth searching.
    assert outputs["stream"][0] == 0, outputs["stream"][1][-3000:]
    assert "Kafka records" in outputs["stream"][1] or "sets landed" in outputs["stream"][1]
    assert outputs["failing stream"][0] != 0
    assert outputs["wrong key"][0] == 2 and "access denied" in outputs["wrong key"][1]
    assert outputs["status"][0] == 0 and "tables in" in outputs["status"][1]
    conf_status, conf_text = outputs["spark conf"]
    assert conf_status == 0, conf_text[-3000:]
    assert f"fs.azure.account.key.{ACCOUNT}" in conf_text  # the key's entry is there, masked
    logged = "".join(text for _, text in _files_text(events))
    assert f"fs.azure.account.key.{ACCOUNT}" in logged  # the event log has the conf, masked

    leaks = {name: _leaks(text) for name, (_, text) in outputs.items()}
    # What the pipeline wrote to storage too: Delta logs, checkpoints, the lock.
    for root in (events, home, spark_local, account_azurite.data_dir):
        for path, text in _files_text(root):
            leaks[str(path.relative_to(tmp_path))] = _leaks(text)
    assert {where: found for where, found in leaks.items() if found} == {}
