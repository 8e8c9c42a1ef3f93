# Databricks notebook source
# A tiny notebook for the emulator's tests: dbutils.notebook.run of a sibling.
dbutils.notebook.exit("child said " + dbutils.notebook.run("./exits", 60, {"run_type": "stream"}))
