"""Databricks stand-ins (local room, never deployed).

- ``dbutils``: the ``dbutils`` global a notebook sees, with the shapes of the
  databricks-sdk runtime stub (``databricks.sdk.runtime.dbutils``).
- ``notebook``: runs a notebook in Databricks source format as a local process
  with ``spark`` and ``dbutils`` defined (``python -m emulators.databricks.notebook``).
- ``server``: a Databricks REST emulator (Jobs 2.1/2.2, Workspace, Files) on
  127.0.0.1 whose job runs execute notebooks for real
  (``python -m emulators.databricks serve|up|down``).
"""
