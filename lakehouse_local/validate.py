"""Validation against a ground-truth manifest: now deployable, in ``app.pipeline.verify``.

The batch-test notebook runs the same checks on Databricks; this module keeps
the local names working.
"""

from app.pipeline.verify import *  # noqa: F403
from app.pipeline.verify import (  # noqa: F401 - the names local code and tests use
    COMPLETED,
    COUNTED,
    GYM,
    ISO,
    SUMMARY,
    _diff,
    _num,
    _rows,
    actual_rows,
    check,
    check_quarantine,
    normalize_raw,
    relative_source,
    table_counts,
)
