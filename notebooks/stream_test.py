# Databricks notebook source
# MAGIC %md
# MAGIC # lakehouse-sim: stream test
# MAGIC Runs every stream with the processing-time trigger until they have taken in
# MAGIC the landed data (or `max_seconds`), stops them, then runs the batch test's
# MAGIC checks against the ground truth in the data zone.

# COMMAND ----------

from app.notebooks import stream_test, widget_values

# COMMAND ----------

values = widget_values(dbutils, fresh="true", max_seconds="900")
dbutils.notebook.exit(stream_test(values))
