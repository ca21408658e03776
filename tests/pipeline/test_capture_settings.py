"""Choosing where the platform reads Capture files: `FOOTFALL_CAPTURE_*`, else the local folder.

Bad settings are one line naming the variable, and never quote the connection string.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from footfall.settings import SettingsError, capture_blob_location
from footfall_assets.definitions import configured_capture_storage
from footfall_assets.resources import LocalCaptureStorage
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage

SECRET = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=c2VjcmV0LWtleQ==;"
URL = "https://acct.blob.core.windows.net"


def test_nothing_set_means_the_local_folder(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    for name in (
        "FOOTFALL_CAPTURE_CONTAINER",
        "FOOTFALL_CAPTURE_PREFIX",
        "FOOTFALL_CAPTURE_BLOB_URL",
        "FOOTFALL_CAPTURE_CONNECTION_STRING",
    ):
        monkeypatch.delenv(name, raising=False)
    assert capture_blob_location({}) is None
    storage = configured_capture_storage(tmp_path)
    assert isinstance(storage, LocalCaptureStorage)
    assert storage.root == str(tmp_path / "capture")


def test_connection_string_keeps_only_the_variable_name() -> None:
    location = capture_blob_location(
        {
            "FOOTFALL_CAPTURE_CONTAINER": "capture",
            "FOOTFALL_CAPTURE_CONNECTION_STRING": SECRET,
            "FOOTFALL_CAPTURE_PREFIX": "/ehcapture/",
        }
    )
    assert location is not None
    assert location.container == "capture" and location.prefix == "ehcapture"
    assert location.connection_string_env == "FOOTFALL_CAPTURE_CONNECTION_STRING"
    assert location.account_url is None
    assert "c2VjcmV0" not in location.model_dump_json()


def test_blob_url_signs_in_with_default_credential(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("FOOTFALL_CAPTURE_CONTAINER", "capture")
    monkeypatch.setenv("FOOTFALL_CAPTURE_BLOB_URL", URL)
    monkeypatch.delenv("FOOTFALL_CAPTURE_CONNECTION_STRING", raising=False)
    monkeypatch.delenv("FOOTFALL_CAPTURE_PREFIX", raising=False)
    storage = configured_capture_storage(Path("/unused"))
    assert isinstance(storage, BlobCaptureStorage)
    assert storage.account_url == URL and storage.connection_string_env is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FOOTFALL_CAPTURE_CONNECTION_STRING": SECRET},
            "FOOTFALL_CAPTURE_CONTAINER is not set",
        ),
        ({"FOOTFALL_CAPTURE_BLOB_URL": URL}, "FOOTFALL_CAPTURE_CONTAINER is not set"),
        (
            {"FOOTFALL_CAPTURE_CONTAINER": "capture"},
            "neither FOOTFALL_CAPTURE_BLOB_URL nor FOOTFALL_CAPTURE_CONNECTION_STRING is",
        ),
        (
            {
                "FOOTFALL_CAPTURE_CONTAINER": "capture",
                "FOOTFALL_CAPTURE_BLOB_URL": URL,
                "FOOTFALL_CAPTURE_CONNECTION_STRING": SECRET,
            },
            "set only one of",
        ),
        (
            {"FOOTFALL_CAPTURE_CONTAINER": "Capture_Files", "FOOTFALL_CAPTURE_BLOB_URL": URL},
            "FOOTFALL_CAPTURE_CONTAINER: 'Capture_Files' is not a container name",
        ),
        (
            {"FOOTFALL_CAPTURE_CONTAINER": "capture", "FOOTFALL_CAPTURE_BLOB_URL": "acct"},
            "FOOTFALL_CAPTURE_BLOB_URL: expected an http",
        ),
        (
            {
                "FOOTFALL_CAPTURE_CONTAINER": "capture",
                "FOOTFALL_CAPTURE_BLOB_URL": f"{URL}?sv=2024&sig=c2VjcmV0LWtleQ",
            },
            "FOOTFALL_CAPTURE_BLOB_URL: must not carry a query",
        ),
        (
            {
                "FOOTFALL_CAPTURE_CONTAINER": "capture",
                "FOOTFALL_CAPTURE_BLOB_URL": URL,
                "FOOTFALL_CAPTURE_PREFIX": "a/../b",
            },
            "FOOTFALL_CAPTURE_PREFIX: ",
        ),
    ],
)
def test_bad_settings_are_one_line_naming_the_variable(env: dict, message: str) -> None:
    with pytest.raises(SettingsError) as info:
        capture_blob_location(env)
    text = str(info.value)
    assert message in text
    assert "\n" not in text
    assert "c2VjcmV0" not in text, "the secret is in the message"


def test_the_cli_reports_bad_settings_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "FOOTFALL_CAPTURE_CONNECTION_STRING": SECRET,
        "FOOTFALL_DATA_DIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "footfall.cli", "materialize"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "footfall materialize: FOOTFALL_CAPTURE_CONTAINER is not set: blob storage for Capture "
        "files needs the container name (or unset FOOTFALL_CAPTURE_PREFIX, "
        "FOOTFALL_CAPTURE_BLOB_URL or FOOTFALL_CAPTURE_CONNECTION_STRING for the local folder)"
    ]
