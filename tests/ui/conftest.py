"""Fixtures for the UI suites: the platform fixtures of tests/pipeline (same code location)."""

from tests.pipeline.conftest import platform  # noqa: F401
