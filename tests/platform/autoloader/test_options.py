"""Auto Loader options: emulated, ignored (infrastructure only, logged) or refused by name."""

from __future__ import annotations

import logging

import pytest

from app.platform.autoloader.options import byte_count, parse
from app.platform.errors import CloudFilesOptionError, LakehouseError

JSON = {"cloudFiles.format": "json"}


def test_format_is_required_as_auto_loader_requires():
    with pytest.raises(CloudFilesOptionError, match="cloudFiles.format"):
        parse({"cloudFiles.maxFilesPerTrigger": "1"})


def test_an_option_that_is_not_emulated_is_refused_by_name():
    with pytest.raises(CloudFilesOptionError, match="cloudFiles.partitionColumns") as err:
        parse({**JSON, "cloudFiles.partitionColumns": "date"})
    assert isinstance(err.value, LakehouseError)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("cloudFiles.cleanSource", "DELETE"),
        ("cloudFiles.cleanSource", "MOVE"),
        ("cloudFiles.allowOverwrites", "true"),
        ("cloudFiles.schemaEvolutionMode", "addNewColumnsWithTypeWidening"),
        ("multiLine", "true"),
        ("readerCaseSensitive", "false"),
        ("cloudFiles.inferColumnTypes", "yes"),
    ],
)
def test_refused_values_name_the_option(key, value):
    with pytest.raises(CloudFilesOptionError, match=key):
        parse({**JSON, key: value})


def test_infrastructure_options_are_logged_and_ignored(caplog):
    secret = "s3cr3t-value"
    with caplog.at_level(logging.INFO, logger="app.platform.autoloader.options"):
        opts = parse(
            {
                **JSON,
                "cloudFiles.useNotifications": "true",
                "cloudFiles.clientSecret": secret,
                "cloudFiles.resourceTag.team": "data",
                "cloudFiles.backfillInterval": "1 day",
                "cloudFiles.cleanSource": "OFF",
            }
        )
    assert opts.reader == {}
    assert "cloudFiles.useNotifications" in caplog.text
    assert "cloudFiles.resourceTag.team" in caplog.text
    assert secret not in caplog.text


def test_documented_defaults():
    opts = parse(JSON)
    assert opts.mode(schema_given=False) == "addNewColumns"
    assert opts.mode(schema_given=True) == "none"
    assert opts.rescued(schema_given=False) == "_rescued_data"
    assert opts.rescued(schema_given=True) is None
    assert opts.file_source_limits() == {"maxFilesPerTrigger": "1000"}
    assert (opts.sample_files, opts.sample_bytes) == (1000, 50 << 30)
    assert opts.include_existing_files is True


def test_trigger_limits_and_byte_sizes():
    opts = parse(
        {**JSON, "cloudFiles.maxFilesPerTrigger": "5", "cloudFiles.maxBytesPerTrigger": "10g"}
    )
    assert opts.file_source_limits() == {"maxBytesPerTrigger": str(10 << 30)}
    assert byte_count("512m") == 512 << 20 and byte_count("1048576") == 1048576
    with pytest.raises(CloudFilesOptionError, match="byte size"):
        byte_count("lots")


def test_format_options_pass_through():
    opts = parse({"cloudFiles.format": "csv", "header": "true", "sep": ";"})
    assert (opts.format, opts.reader) == ("csv", {"header": "true", "sep": ";"})


def test_rescue_mode_rescues_even_with_a_given_schema():
    rescue = parse({**JSON, "cloudFiles.schemaEvolutionMode": "rescue"})
    assert rescue.rescued(schema_given=True) == "_rescued_data"
    text = parse({"cloudFiles.format": "text"})
    assert text.rescued(schema_given=False) is None  # fixed schema: nothing to rescue
