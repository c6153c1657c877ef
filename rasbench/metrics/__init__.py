"""Metrics: pure functions on arrays (no files, no trackers)."""
