"""The cloudFiles hook: format("cloudFiles") goes to the local Auto Loader, other reads do not."""

from __future__ import annotations

import pytest

from app.platform.cloudfiles import CloudFilesOptionError


def test_format_is_required_as_auto_loader_requires(spark):
    with pytest.raises(CloudFilesOptionError, match="cloudFiles.format"):
        spark.readStream.format("cloudFiles").option("cloudFiles.maxFilesPerTrigger", "1").load(
            "/nonexistent"
        )


def test_other_formats_are_left_alone(spark, tmp_path):
    (tmp_path / "a.txt").write_text("x\n")
    reader = spark.readStream.format("cloudFiles").option("cloudFiles.format", "text")
    reader.format("text")  # the same reader switched back to a built-in format
    df = reader.option("maxFilesPerTrigger", "1").load(str(tmp_path))
    assert df.columns == ["value"]
