"""The local room: everything that runs only on a workstation or in CI, never on Databricks.

The producer (lands generated data as upstream systems would), ground-truth
validation, the batch and stream tests, the live view, status, the class-data
archive warm-up and the one CLI (``lakehouse``, ``python -m lakehouse_local``).
It may import the deployable pipeline (``app.pipeline``), the adapter
(``app.platform``), ``data_generators`` and ``emulators``; nothing under
``app`` may import it (import-linter contract in pyproject.toml, ``make lint``).
"""
