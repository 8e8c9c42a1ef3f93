"""Pure checks of the stream layouts (settings.STREAMS, app.pipeline.layout): every
table written by exactly one stream, run once's stages in a readable order."""

import pytest

from app.pipeline import layout, run, settings, silver

LAYOUTS = pytest.mark.parametrize("streams", [layout.CURRENT, layout.LEGACY], ids=["one", "legacy"])


@LAYOUTS
def test_every_layered_table_has_exactly_one_writing_stream(streams: layout.Layout) -> None:
    written = [t for tables in streams.streams.values() for t in tables]
    assert sorted(written) == sorted((*settings.BRONZE, *settings.SILVER, *settings.GOLD))
    assert len(written) == len(set(written))


@LAYOUTS
def test_run_once_stages_start_every_stream_once(streams: layout.Layout) -> None:
    staged = [s for _, stage in streams.stages for s in stage]
    assert sorted(staged) == sorted(streams.streams)
    assert set(streams.streams) <= set(run.STARTERS)


def test_the_current_layout_is_settings() -> None:
    assert layout.CURRENT.streams == settings.STREAMS
    assert layout.CURRENT.stages == settings.STAGES
    assert layout.CURRENT.stream_of == settings.STREAM_OF
    # One bronze query over the three landing folders.
    assert layout.CURRENT.bronze == {"bronze": settings.BRONZE}


@LAYOUTS
def test_a_stage_reads_only_tables_earlier_stages_wrote(streams: layout.Layout) -> None:
    # Hand-listed reads (docs/architecture.md): what each stream's batch reads from
    # other streams' tables, beside its own.
    reads = {
        "workout_bpm_and_summary": {"heart_rate", "completed_workouts", "users", "user_bins"},
    }
    done: set[str] = set()
    for _, stage in streams.stages:
        for stream in stage:
            assert reads.get(stream, set()) <= done, stream
        for stream in stage:
            done |= set(streams.streams[stream])


@LAYOUTS
def test_bronze_streams_write_their_bronze_tables_and_the_silver_tables_that_follow(
    streams: layout.Layout,
) -> None:
    # Hand-listed: the silver tables each landing folder's records feed.
    follows = {
        "registered_users_bz": {"users"},
        "gym_logins_bz": {"gym_logs"},
        "kafka_multiplex_bz": {"heart_rate", "workouts", "completed_workouts", "user_profile",
                               "user_bins"},
    }
    for stream, folders in streams.bronze.items():
        assert set(streams.streams[stream]) == {t for f in folders for t in {f, *follows[f]}}
        for folder in folders:
            assert silver.FOLLOWERS[folder], folder
    # Every retired stream's tables are written by the bronze stream reading its source.
    for old, source in settings.RETIRED_STREAMS.items():
        assert streams.stream_of[old] == streams.stream_of[source]


def test_sources_are_numbered_in_the_bronze_query_s_folder_order() -> None:
    # Spark names a query's sources 0, 1, 2 in the order the plan reads them (the union's).
    assert layout.CURRENT.source("registered_users_bz") == ("bronze", 0)
    assert layout.CURRENT.source("kafka_multiplex_bz") == ("bronze", 2)
    assert layout.LEGACY.source("kafka_multiplex_bz") == ("kafka_multiplex_bz", 0)
