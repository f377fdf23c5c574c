"""Metrics: per-credential engagement facts, roll-ups, the pathway funnel and their outputs.

`views` documents the SQL views BI tools read (created by migration ``0010``).
"""
