"""The npm Azurite as a local process: start, answer, stop only what was started."""

from __future__ import annotations

import time
from pathlib import Path

from app.platform.config import load_config
from emulators import cli
from emulators.azurite import AzuriteProcess, answers_http, free_port


def test_start_answers_and_stop_only_stops_what_it_started(tmp_path: Path) -> None:
    process = AzuriteProcess("127.0.0.1", free_port(), tmp_path / "azurite")
    assert process.start() is True
    try:
        assert answers_http(process.host, process.port)
        assert process.pid() is not None
        assert process.start() is False  # already answering: nothing new started
        # Another folder's pid file does not exist: stopping it leaves ours alone.
        assert AzuriteProcess(process.host, process.port, tmp_path / "other").stop() is False
        assert answers_http(process.host, process.port)
    finally:
        assert process.stop() is True
    assert not answers_http(process.host, process.port)
    assert process.pid() is None


def test_up_status_down_cycle(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    config = load_config(
        env={},
        dotenv=Path("/none"),
        storage="azurite",
        home=str(tmp_path),
        azurite_port=free_port(),
    )
    try:
        assert cli.up(config) == "local"
        assert cli.status(config)
        out = capsys.readouterr().out
        assert "local process pid" in out
        assert "abfs://landing@devstoreaccount1.dfs.core.windows.net" in out
        # The layout is provisioned: the containers exist.
        from app.platform.storage import storage_target

        names = {c.name for c in storage_target(config).blob_service().list_containers()}
        assert {"landing", "checkpoints", "lakehouse"} <= names
        assert (tmp_path / "local" / "landing").is_dir()
    finally:
        cli.down(config)
    assert not answers_http(config.azurite_host, config.azurite_port)
    assert "local process stopped" in capsys.readouterr().out


def _requests_then_log(process: AzuriteProcess, wait: float) -> str:
    assert process.start() is True
    try:
        for _ in range(3):
            assert answers_http(process.host, process.port)
        time.sleep(wait)  # Azurite sends its first telemetry batch within a few seconds
    finally:
        process.stop()
    return process.log_file.read_text(errors="replace")


def test_no_telemetry_and_no_access_log_unless_asked(tmp_path: Path) -> None:
    quiet = _requests_then_log(AzuriteProcess("127.0.0.1", free_port(), tmp_path / "q"), 4.0)
    assert "successfully listens" in quiet  # the log itself is still written
    assert "GET /devstoreaccount1" not in quiet
    assert "applicationinsights" not in quiet.lower()
    logged = _requests_then_log(
        AzuriteProcess("127.0.0.1", free_port(), tmp_path / "l", access_log=True), 0.5)
    assert logged.count("GET /devstoreaccount1?comp=list") >= 3  # start() asks too
