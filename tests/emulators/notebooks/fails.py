# Databricks notebook source
# A tiny notebook for the emulator's tests: raises.
raise ValueError("the batch test found 3 differences")
