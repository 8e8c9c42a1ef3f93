"""The local Auto Loader: ``cloudFiles`` semantics on Spark's file source (emulation only).

``read_stream(spark, options, path, schema)`` is the whole of it; the session
factory's hook (``app.platform.cloudfiles``) routes
``spark.readStream.format("cloudFiles")`` there. Modules, one job each:
``options`` (which options are emulated, ignored or refused), ``inference``
(sampling, types, hints), ``schema_location`` (the versioned schema files),
``records`` (parsing, rescued data, the new-column stop), ``source`` (putting
them together per read). docs/autoloader.md compares each option with Databricks.
"""

from app.platform.autoloader.source import read_stream

__all__ = ["read_stream"]
