# Databricks notebook source
# MAGIC %md
# MAGIC # lakehouse-sim: batch test
# MAGIC Runs the pipeline once over the data landed in the environment's data zone
# MAGIC and checks every table against the ground truth landed beside it
# MAGIC (`ground_truth/set-NNNN.json`). Exits with a JSON report of every check;
# MAGIC fails (the run's result state is FAILED) when a check fails.

# COMMAND ----------

from app.notebooks import batch_test, widget_values

# COMMAND ----------

values = widget_values(dbutils, fresh="true")
dbutils.notebook.exit(batch_test(values))
