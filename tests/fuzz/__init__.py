"""Fuzz suite: seeded hostile landing files beside a normal generated set (issue 8, item 2).

Each round lands set r of a generated spec (its manifest is the ground truth),
then hostile *cases* beside it, runs the pipeline once (phase a), lands the
cases' second files (phase b: renames, rewrites and conflicting duplicates of
what phase a ingested) and runs it again. After each run:

- silver and gold equal the manifest's ground truth (the cases add no event:
  every good record a case lands repeats one of the set);
- bronze holds, per landed file, exactly the good records it was built with,
  and the normal set's bronze counts (nothing lost, nothing duplicated);
- quarantine holds, per landed file, exactly its bad lines, each with the
  file's name and a reason (the reason's gist and the raw text where a case
  fixes them);
- no stream stopped.

Expected outcomes are fixed by how each case is built (``cases.py``), from
docs/domain.md's rules and bronze's door (``app/pipeline/landing.py``); the
pipeline's output is never the oracle. Conflicting duplicates (a record whose
table key exists with other values) follow docs/domain.md: ``users`` keeps the
first registration of a user; ``heart_rate`` and ``workouts`` keep the reading
or event stored first for (device_id, time) / (user_id, time);
``user_profile`` changes only for a strictly newer event; ``gym_logs`` takes a
logout only when it is after the login and after the stored logout. They land
after the originals were ingested (phase b), so silver must not change. Two
conflicting records landed in the same micro-batch are not fixed by
docs/domain.md (one of them wins) and are not generated. A JSON object naming a
field twice keeps the last value (as Spark and Python read it).

``make fuzz`` runs ``python -m tests.fuzz`` (1,000 cases by default, a seed to
replay); ``tests/fuzz/test_fuzz_sample.py`` runs a few dozen in ``make test``.
"""
