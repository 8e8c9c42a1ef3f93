"""validate.relative_source: a landed file's path in the data zone, whatever lies in front of it."""

from __future__ import annotations

import pytest

from lakehouse_local.validate import relative_source


@pytest.mark.parametrize(
    "url",
    [
        "file:/tmp/lh/local/landing/raw/kafka_multiplex_bz/set-0001-part-0001.json",
        # a home folder that itself holds a raw/ folder
        "file:/data/raw/projects/lh/local/landing/raw/kafka_multiplex_bz/set-0001-part-0001.json",
        "abfs://landing@devstoreaccount1.dfs.core.windows.net/raw/kafka_multiplex_bz/"
        "set-0001-part-0001.json",
    ],
)
def test_the_path_starts_at_the_landing_folder(url: str) -> None:
    assert relative_source(url) == "raw/kafka_multiplex_bz/set-0001-part-0001.json"
