"""Where local Spark generates code for expressions: interpreted by default, generated in bronze."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.pipeline import streaming
from app.platform import codegen
from app.platform.config import load_config
from app.platform.errors import ConfigError
from tests.conftest import SPARK_MODE


def test_unknown_expression_codegen_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="LAKEHOUSE_EXPRESSION_CODEGEN"):
        load_config(expression_codegen="sometimes")


@pytest.mark.parametrize(
    ("mode", "want"),
    [("bronze", {codegen.FACTORY_MODE: "NO_CODEGEN"}),
     ("none", {codegen.FACTORY_MODE: "NO_CODEGEN"}),
     ("all", {})],  # Spark's own default
)
def test_session_setting_per_mode(mode: str, want: dict[str, str]) -> None:
    assert codegen.session_conf(load_config(expression_codegen=mode)) == want


@pytest.mark.integration
@pytest.mark.skipif(SPARK_MODE == "connect", reason="foreachBatch runs in the server's worker")
def test_bronze_batches_generate_code_and_leave_the_session_interpreted(
    local_lakehouse, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Two real streams: each batch sees its layer's setting; the session keeps its own."""
    lh = local_lakehouse
    spark = lh.spark
    assert spark.conf.get(codegen.FACTORY_MODE) == "NO_CODEGEN"  # build_session's default
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_text('{"n": 1}\n')
    seen: dict[str, str] = {}

    def remember(layer: str):  # type: ignore[no-untyped-def]
        def batch_fn(batch, batch_id: int) -> None:  # type: ignore[no-untyped-def]
            seen[layer] = batch.sparkSession.conf.get(codegen.FACTORY_MODE)
        return batch_fn

    for layer in ("bronze", "silver"):
        source = spark.readStream.schema("n INT").json(str(folder))
        query = streaming.start(lh, f"codegen_{layer}", source, remember(layer),
                                streaming.AVAILABLE_NOW, layer)
        query.awaitTermination(120)
    assert seen == {"bronze": "FALLBACK", "silver": "NO_CODEGEN"}
    assert spark.conf.get(codegen.FACTORY_MODE) == "NO_CODEGEN"
