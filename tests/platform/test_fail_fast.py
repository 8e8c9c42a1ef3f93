"""Bad settings fail fast, say how to fix them, and never print a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.config import load_config
from app.platform.errors import EmulatorNotRunningError, JarsMissingError
from app.platform.jars import MAVEN_PACKAGES, _artifact, jar_paths
from app.platform.session import REDACTION_REGEX, build_session, spark_conf
from emulators.azurite import free_port, wait_until

SECRET = "Zm9vYmFyLW5vdC1hLXJlYWwta2V5LWp1c3QtYS1zZWNyZXQ="
NO_FILE = Path("/nonexistent")


def test_missing_jar_folder_says_run_make_setup(tmp_path: Path) -> None:
    config = load_config(
        env={},
        dotenv=NO_FILE,
        storage="local",
        jars_dir=str(tmp_path / "nojars"),
        azurite_key=SECRET,
    )
    with pytest.raises(JarsMissingError) as err:
        build_session(config)
    assert "make setup" in str(err.value)
    assert SECRET not in str(err.value)


def test_jar_folder_for_other_versions_is_refused(tmp_path: Path) -> None:
    (tmp_path / "MANIFEST.txt").write_text("io.delta:delta-spark_4.0_2.13:4.0.0\n\nx.jar\n")
    config = load_config(env={}, dotenv=NO_FILE, storage="local", jars_dir=str(tmp_path))
    with pytest.raises(JarsMissingError, match="resolve them again"):
        jar_paths(config)


def test_azurite_not_running_fails_before_spark_starts() -> None:
    config = load_config(
        env={}, dotenv=NO_FILE, storage="azurite", azurite_port=free_port(), azurite_key=SECRET
    )
    with pytest.raises(EmulatorNotRunningError) as err:
        build_session(config)
    assert "make up" in str(err.value)
    assert SECRET not in str(err.value)


def test_spark_redacts_storage_keys_in_its_conf() -> None:
    import re

    config = load_config(env={}, dotenv=NO_FILE, storage="azurite", azurite_key=SECRET)
    conf = spark_conf(config)
    secret_keys = [k for k, v in conf.items() if v == SECRET]
    assert secret_keys, "the Azurite key must reach Hadoop through Spark conf"
    assert all(re.search(REDACTION_REGEX, k) for k in secret_keys)


def test_jars_spark_already_ships_are_recognised_by_artifact_name() -> None:
    assert _artifact("hadoop-client-api-3.5.0.jar") == "hadoop-client-api"
    assert _artifact("io.delta_delta-spark_4.2_2.13-4.4.0.jar", ivy=True) == "delta-spark_4.2_2.13"
    assert _artifact("commons-logging_commons-logging-1.3.0.jar", ivy=True) == "commons-logging"
    assert _artifact("org.wildfly.openssl_wildfly-openssl-2.2.5.Final.jar", ivy=True) == (
        "wildfly-openssl"
    )
    assert MAVEN_PACKAGES[0].startswith("io.delta:delta-spark_4.2_2.13:")


def test_wait_until_uses_the_injected_clock() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    assert not wait_until(
        lambda: False, timeout=1.0, interval=0.25, clock=lambda: now[0], sleep=sleep
    )
    assert slept == [0.25] * 4
    calls = iter([False, False, True])
    assert wait_until(lambda: next(calls), timeout=5, interval=1, clock=lambda: now[0], sleep=sleep)


def test_a_checkpoint_from_other_code_gets_a_fix_in_the_message() -> None:
    from app.platform.errors import CheckpointMismatchError, translate

    spark_said = (
        "assertion failed: There are [2] sources in the checkpoint offsets and now there are "
        "[3] sources requested by the query. Cannot continue."
    )
    mapped = translate(AssertionError(spark_said), where="stream workout_bpm")
    assert isinstance(mapped, CheckpointMismatchError)
    assert "stream workout_bpm" in str(mapped)
    assert "lakehouse cleanup" in str(mapped)
