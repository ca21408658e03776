"""Dagster sensors and schedules (capture arrival; retention and freshness come later)."""
