"""Where local Spark generates Java code for expressions and where it interprets them.

Spark compiles whole query stages to Java once per plan (cached), but a
projection outside whole-stage code is generated again in every task, and only
then looked up in the compile cache. Delta's own queries on each new table
version (log replay, data skipping, the typed encoders of its actions) run on
nested schemas too wide for whole-stage code, so every small micro-batch pays for
that generation many times over. In a Java Flight Recorder profile of the gold
batch, 31% of the samples were generating code and 22% alone were the regular
expression Spark runs over each piece of generated code to measure it
(``CodegenContext.buildCodeBlocks``); no setting turns that off.

Interpreted evaluation (``spark.sql.codegen.factoryMode=NO_CODEGEN``) skips the
generation; it costs more per row instead. So by default (``bronze``) sessions
interpret, and the micro-batches of bronze streams, which parse every landed
record, generate code in their own session (a streaming query runs its batches
in a clone of the session, so the setting stays with that stream).

Measured back to back (run once, sets 1-4 of ``GeneratorSpec(seed=42,
scale=0.25)``, NOTES.md session 8): interpreting everywhere took 47.6, 20.0,
16.6 and 14.8 s per set against 53.5, 23.2, 17.7 and 15.9 s with code
generation everywhere, with 11-17% less JVM CPU time; only bronze was slower
(4.2-5.0 s against 3.5-4.3 s), hence ``bronze``: 51.7, 20.2, 16.0 and 14.5 s
against 54.7, 25.5, 19.4 and 16.4 s. At scale 1 (260k records per set) the
settings were within the machine's noise back to back; in the full bench the
gold stage of the scale-1 batch test took 20.8 s against 16.8 s an earlier
day, where its per-row work (a whole set's readings, Delta's statistics of
each written row) is interpreted. ``all`` restores Spark's default.

The setting is Spark's internal one (documented "for testing"); it is applied
only to the local runtime, never on Databricks, whose runtime decides for itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.platform.config import LakehouseConfig

FACTORY_MODE = "spark.sql.codegen.factoryMode"
INTERPRETED = "NO_CODEGEN"
GENERATED = "FALLBACK"  # Spark's default: generate, interpret only if a compile fails
# The layers (scheduler pools) whose micro-batches generate code in ``bronze`` mode.
ROW_HEAVY_LAYERS = ("bronze",)


def session_conf(config: LakehouseConfig) -> dict[str, str]:
    """The session-wide setting: interpreted unless every layer generates code."""
    if config.expression_codegen == "all":
        return {}
    return {FACTORY_MODE: INTERPRETED}


def use_for_batch(spark: Any, config: LakehouseConfig, layer: str) -> None:
    """Set a micro-batch's own session (its stream's clone) for ``layer``'s batches."""
    if config.on_databricks or config.expression_codegen != "bronze":
        return
    # Both ways: a bronze batch sets "silver" once its own records are written
    # and the silver writers that follow from them run in the same session.
    spark.conf.set(FACTORY_MODE, GENERATED if layer in ROW_HEAVY_LAYERS else INTERPRETED)
