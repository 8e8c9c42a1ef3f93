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
        "user_profile": {"kafka_multiplex_bz"},
        "heart_rate": {"kafka_multiplex_bz"},
        "workouts": {"kafka_multiplex_bz"},
        "users": {"registered_users_bz"},
        "gym_logs": {"gym_logins_bz"},
    }
    done: set[str] = set()
    for _, streams in settings.STAGES:
        for stream in streams:
            assert reads.get(stream, set()) <= done, stream
        for stream in streams:
            done |= set(settings.STREAMS[stream])
