from __future__ import annotations

import pytest

from .events import SqlValidator


@pytest.fixture(scope="session")
def sql() -> SqlValidator:
    return SqlValidator()
