"""bench/throughput.held_at: whether `make stream`'s default rate holds, from the trials run."""

from __future__ import annotations

from bench import throughput
from bench.common import fmt


def trial(rate: float, held: bool) -> throughput.Trial:
    """A finished trial that held (produced the rate, lag bounded, drained) or not."""
    return throughput.Trial(rate, seconds=300.0, landed=int(rate * 300),
                            backlog_bounded=True, versions_bounded=held,
                            drain_seconds=20.0)


def test_a_trial_at_the_rate_answers_either_way() -> None:
    found = throughput.Search([trial(5000, False), trial(1000, False)])
    assert throughput.held_at(found, 1000) is False
    found = throughput.Search([trial(5000, False), trial(1000, True)])
    assert throughput.held_at(found, 1000) is True


def test_a_higher_rate_that_held_answers_yes() -> None:
    found = throughput.Search([trial(3000, True), trial(4500, False)])
    assert throughput.held_at(found, 1000) is True


def test_only_lower_or_failed_rates_need_a_trial() -> None:
    assert throughput.held_at(throughput.Search([trial(5000, False), trial(3333, False)]),
                              1000) is None
    assert throughput.held_at(throughput.Search([trial(500, True)]), 1000) is None
    assert throughput.held_at(throughput.Search(), 1000) is None


def test_yes_no_figures_print_as_words() -> None:
    assert (fmt(1.0, "yes"), fmt(0.0, "yes"), fmt(None, "yes")) == ("yes", "no", "-")
