# Databricks notebook source
# MAGIC %md
# MAGIC # lakehouse-sim: run the pipeline
# MAGIC The job entry point (`python -m app.pipeline once|stream`) as a notebook.
# MAGIC Widgets: environment (= Unity Catalog catalog), run type (once | stream),
# MAGIC processing time (the stream trigger). Storage and credentials come from the
# MAGIC cluster's environment variables (LAKEHOUSE_STORAGE=adls, ...).

# COMMAND ----------

from app.notebooks import run_pipeline, widget_values

# COMMAND ----------

values = widget_values(dbutils)
dbutils.notebook.exit(run_pipeline(values))
