"""Pure checks of settings.STREAMS / STAGES: every table written by exactly one stream."""

from app.pipeline import run, settings


def test_every_layered_table_has_exactly_one_writing_stream() -> None:
    written = [t for tables in settings.STREAMS.values() for t in tables]
    assert sorted(written) == sorted((*settings.BRONZE, *settings.SILVER, *settings.GOLD))
    assert len(written) == len(set(written))


def test_run_once_stages_start_every_stream_once() -> None:
    staged = [s for _, streams in settings.STAGES for s in streams]
    assert sorted(staged) == sorted(settings.STREAMS)
    assert set(run.STARTERS) == set(settings.STREAMS)


def test_a_stage_reads_only_tables_earlier_stages_wrote() -> None:
    # Hand-listed reads (docs/architecture.md): what each stream's batch reads from
    # other streams' tables, beside its own.
    reads = {
        "workout_bpm_and_summary": {"heart_rate", "completed_workouts", "users", "user_bins"},
    }
    done: set[str] = set()
    for _, streams in settings.STAGES:
        for stream in streams:
            assert reads.get(stream, set()) <= done, stream
        for stream in streams:
            done |= set(settings.STREAMS[stream])


def test_a_bronze_stream_writes_its_bronze_table_and_the_silver_tables_that_follow() -> None:
    from app.pipeline import silver

    for stream in settings.BRONZE:
        assert settings.STREAMS[stream][0] == stream
        assert silver.FOLLOWERS[stream], stream
    # Every retired stream's tables are written by the bronze stream it read.
    for old, source in settings.RETIRED_STREAMS.items():
        assert settings.STREAM_OF[old] == source
