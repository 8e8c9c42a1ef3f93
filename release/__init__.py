"""The release stage's deploy step (runs in Azure DevOps with only databricks-sdk beside the wheel).

Imports nothing from this repository: not ``app``, not the local room
(``tests/test_rooms.py`` and import-linter check it).
"""
