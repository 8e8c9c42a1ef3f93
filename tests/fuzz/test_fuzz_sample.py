"""The fast sample of the fuzz suite (``make fuzz`` runs 1,000 cases): every kind, one round."""

from __future__ import annotations

import uuid

import pytest

from data_generators import Faults, GeneratorSpec
from tests.fuzz.cases import KINDS
from tests.fuzz.runner import FuzzRun, storage_names

SEED = 20261124


@pytest.mark.slow
@pytest.mark.long  # over a minute: make test-long (CI runs it)
def test_hostile_cases_beside_a_set_lose_and_duplicate_nothing(lakehouse_factory):
    # Storage named as make fuzz names it (fuzz-... containers), so the sample meets
    # the URLs the full run meets.
    local_lakehouse = lakehouse_factory("local", **storage_names(uuid.uuid4().hex[:8]))
    spec = GeneratorSpec(seed=SEED, sets=1, scale=0.05, visits_per_user=3,
                         faults=Faults.all_on())
    summary = FuzzRun(local_lakehouse, spec, SEED, cases_per_round=2 * len(KINDS),
                      log=lambda _: None).run(rounds=1)
    assert set(summary.kinds) == set(KINDS)
    replay = f"make fuzz FUZZ_SEED={SEED} FUZZ_CASES={2 * len(KINDS)} FUZZ_ROUNDS=1"
    assert summary.ok, summary.text(replay)
    assert summary.lost == summary.duplicated == summary.stopped == 0
