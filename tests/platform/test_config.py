from __future__ import annotations

from pathlib import Path

import pytest

from app.platform.config import load_config, read_dotenv
from app.platform.errors import ConfigError

NO_FILE = Path("/nonexistent/.env")


def test_defaults_without_environment() -> None:
    config = load_config(env={}, dotenv=NO_FILE)
    assert config.storage == "azurite"
    assert config.catalog == "dev"
    assert config.schema == "fitness"


def test_arguments_beat_environment_beat_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("LAKEHOUSE_ENV=prod\nLAKEHOUSE_SCHEMA=from_file\nLAKEHOUSE_STORAGE=local\n")
    env = {"LAKEHOUSE_ENV": "sit", "LAKEHOUSE_SCHEMA": "from_env"}
    config = load_config(env=env, dotenv=dotenv, schema="from_arg")
    assert config.schema == "from_arg"
    assert config.environment == "sit"
    assert config.storage == "local"


def test_dotenv_parsing_handles_comments_quotes_and_export(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\n\nexport A=1\nB='two words'\nC=\"x=y\"\nnot a pair\n")
    assert read_dotenv(dotenv) == {"A": "1", "B": "two words", "C": "x=y"}


def test_unknown_storage_target_says_how_to_fix() -> None:
    with pytest.raises(ConfigError) as err:
        load_config(env={"LAKEHOUSE_STORAGE": "s3"}, dotenv=NO_FILE)
    message = str(err.value)
    assert "'s3'" in message
    assert "LAKEHOUSE_STORAGE" in message
    assert "local, azurite, adls" in message


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="LAKEHOUSE_ENV"):
        load_config(env={"LAKEHOUSE_ENV": "staging"}, dotenv=NO_FILE)


def test_azurite_access_log_is_on_or_off() -> None:
    assert load_config(env={}, dotenv=NO_FILE).azurite_access_log == "off"
    assert load_config(env={"AZURITE_ACCESS_LOG": "on"}, dotenv=NO_FILE).azurite_access_log == "on"
    with pytest.raises(ConfigError, match="AZURITE_ACCESS_LOG to one of on, off"):
        load_config(env={"AZURITE_ACCESS_LOG": "true"}, dotenv=NO_FILE)


def test_integer_setting_with_garbage_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="AZURITE_BLOB_PORT"):
        load_config(env={"AZURITE_BLOB_PORT": "ten"}, dotenv=NO_FILE)


def test_adls_without_credentials_fails_and_masks_the_secret_it_has() -> None:
    env = {
        "LAKEHOUSE_STORAGE": "adls",
        "AZURE_STORAGE_ACCOUNT": "myaccount",
        "AZURE_CLIENT_SECRET": "s3cr3t-value-never-shown",
    }
    with pytest.raises(ConfigError) as err:
        load_config(env=env, dotenv=NO_FILE)
    message = str(err.value)
    assert "AZURE_STORAGE_KEY" in message
    assert "s3cr3t-value-never-shown" not in message
    assert "client_secret=***" in message


def test_debug_string_masks_every_secret() -> None:
    config = load_config(
        env={"AZURE_STORAGE_KEY": "k3y-k3y", "AZURITE_KEY": "other-k3y"}, dotenv=NO_FILE
    )
    debug = config.debug_string()
    assert "k3y-k3y" not in debug and "other-k3y" not in debug
    assert "adls_key=***" in debug


def test_adls_with_account_key_is_accepted() -> None:
    config = load_config(
        env={
            "LAKEHOUSE_STORAGE": "adls",
            "AZURE_STORAGE_ACCOUNT": "acct",
            "AZURE_STORAGE_KEY": "k",
        },
        dotenv=NO_FILE,
    )
    assert config.storage == "adls"
