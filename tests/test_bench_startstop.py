"""bench/startstop.py's "first Kafka batch done", from checkpoint listings made by hand."""

from bench.startstop import kafka_batch_done

CSV_FIRST = [
    "checkpoints/bronze/metadata",
    "checkpoints/bronze/offsets/0",
    "checkpoints/bronze/sources/0/0",  # batch 0 took in a registrations file only
    "checkpoints/bronze/commits/0",
    "checkpoints/bronze/offsets/1",
    "checkpoints/bronze/sources/2/1",  # batch 1 took in Kafka files
]


def test_a_batch_without_kafka_files_does_not_count() -> None:
    assert not kafka_batch_done(CSV_FIRST)


def test_the_batch_with_kafka_files_counts_once_committed() -> None:
    assert kafka_batch_done([*CSV_FIRST, "checkpoints/bronze/commits/1"])


def test_another_stream_s_commits_do_not_count() -> None:
    assert not kafka_batch_done([*CSV_FIRST, "checkpoints/workout_bpm_and_summary/commits/1"])
