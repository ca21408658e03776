"""Session-wide fixtures: a real Azurite Blob endpoint, started only by tests that ask for it.

If Azurite is not installed the tests that need it fail (they never skip): `make test` installs
it, so a missing Azurite is a broken set-up, not an optional feature.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from footfall.capture.blob import BlobLocation
from tests.azurite import Azurite, AzuriteError, start_azurite

# The tests' blob locations name this variable; the `azurite` fixture sets it for the session.
AZURITE_CONNECTION_STRING_ENV = "FOOTFALL_TEST_AZURITE_CONNECTION_STRING"


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    try:
        server = start_azurite(tmp_path_factory.mktemp("azurite"))
    except AzuriteError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv(AZURITE_CONNECTION_STRING_ENV, server.connection_string)
            yield server
    finally:
        server.stop()


@contextmanager
def new_container(azurite: Azurite, prefix: str = "") -> Iterator[BlobLocation]:
    """A fresh, uniquely named container (deleted afterwards) as a `BlobLocation`."""
    location = BlobLocation(
        container=f"t-{uuid.uuid4().hex[:20]}",
        prefix=prefix,
        connection_string_env=AZURITE_CONNECTION_STRING_ENV,
    )
    client = location.client()
    client.create_container()
    try:
        yield location
    finally:
        client.delete_container()


@pytest.fixture
def blob_location(azurite: Azurite) -> Iterator[BlobLocation]:
    with new_container(azurite) as location:
        yield location
