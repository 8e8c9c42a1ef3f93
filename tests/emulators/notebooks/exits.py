# Databricks notebook source
# A tiny notebook for the emulator's tests: no Spark, exits with its widgets.
import json

dbutils.widgets.text("environment", "dev")
dbutils.widgets.text("run_type", "once")

# COMMAND ----------

dbutils.notebook.exit(json.dumps({"environment": dbutils.widgets.get("environment"),
                                  "run_type": dbutils.widgets.get("run_type")}))
