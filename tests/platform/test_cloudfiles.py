"""The cloudFiles stand-in: Auto Loader options translated to Spark's file source."""

from __future__ import annotations

import pytest

from app.platform.cloudfiles import CloudFilesOptionError, translate_options


def test_translates_auto_loader_options():
    fmt, opts = translate_options({
        "cloudFiles.format": "json",
        "cloudFiles.maxFilesPerTrigger": "10",
        "cloudFiles.schemaLocation": "/x",
        "cloudFiles.schemaEvolutionMode": "rescue",
        "rescuedDataColumn": "_rescued_data",
        "header": "true",
    })
    assert fmt == "json"
    assert opts == {
        "maxFilesPerTrigger": "10",
        "header": "true",
        "columnNameOfCorruptRecord": "_rescued_data",
        "mode": "PERMISSIVE",
    }


def test_format_is_required_as_auto_loader_requires():
    with pytest.raises(CloudFilesOptionError, match="cloudFiles.format"):
        translate_options({"cloudFiles.maxFilesPerTrigger": "1"})
