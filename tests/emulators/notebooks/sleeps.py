# Databricks notebook source
# A tiny notebook for the emulator's tests: runs until cancelled or timed out.
import time

dbutils.widgets.text("seconds", "600")
time.sleep(float(dbutils.widgets.get("seconds")))
dbutils.notebook.exit("woke up")
