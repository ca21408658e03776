"""Publishing finished Capture files to a blob container (Azurite), as a local consumer will.

Files are written by the real CaptureWriter into a local spool folder and uploaded with
`CapturePublisher`; the platform's `BlobCaptureStorage` must then see exactly those files.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from footfall.capture import read_capture
from footfall.capture.blob import BlobLocation, CapturePublisher, CapturePublishError
from footfall_assets.resources.blob_capture_storage import BlobCaptureStorage
from tests.azurite import Azurite
from tests.conftest import new_container
from tests.pipeline.helpers import STORE_A, STORE_B, T0, on_time, spread, write_messages


def _write(spool: Path, start_min: int = 0) -> list[Path]:
    events = []
    for store in (STORE_A, STORE_B):
        events += spread(T0 + timedelta(minutes=start_min + 1), 6, 20 * 60, store)
    return write_messages(spool, on_time(events))


def test_published_files_are_what_the_platform_lists_and_reads(
    blob_location: BlobLocation, tmp_path: Path
) -> None:
    files = _write(tmp_path)
    names = CapturePublisher(blob_location).publish_all(tmp_path, reversed(files))
    relative = sorted(f.relative_to(tmp_path).as_posix() for f in files)
    assert names == relative, "published in path order, under the same relative paths"

    storage = BlobCaptureStorage.at(blob_location)
    listed = storage.all_files()
    assert sorted(f.path for f in listed) == relative
    for f in listed:
        data = storage.read_bytes(f.path)
        assert data == (tmp_path / f.path).read_bytes()
        assert f.size == len(data)
    total = sum(len(read_capture(storage.read_bytes(f.path))) for f in listed)
    assert total == 12  # 6 events from each of the two stores


def test_publishing_under_a_prefix(azurite: Azurite, tmp_path: Path) -> None:
    files = _write(tmp_path)
    with new_container(azurite, prefix="/landing/capture/") as location:
        names = CapturePublisher(location).publish_all(tmp_path, files)
        assert all(n.startswith("landing/capture/footfall-local/events/") for n in names)
        listed = BlobCaptureStorage.at(location).all_files()
        assert sorted(f.path for f in listed) == sorted(
            f.relative_to(tmp_path).as_posix() for f in files
        )


def test_publishing_again_is_a_no_op(blob_location: BlobLocation, tmp_path: Path) -> None:
    files = _write(tmp_path)
    publisher = CapturePublisher(blob_location)
    publisher.publish_all(tmp_path, files)
    client = blob_location.client()
    etags = {b.name: b.etag for b in client.list_blobs()}

    assert publisher.publish_all(tmp_path, files) == sorted(
        f.relative_to(tmp_path).as_posix() for f in files
    )
    assert {b.name: b.etag for b in client.list_blobs()} == etags, "a blob was rewritten"


def test_a_different_file_under_a_published_name_is_refused_and_the_blob_kept(
    blob_location: BlobLocation, tmp_path: Path
) -> None:
    first = _write(tmp_path / "a")[0]
    publisher = CapturePublisher(blob_location)
    name = publisher.publish(tmp_path / "a", first)

    other_root = tmp_path / "b"
    clash = other_root / first.relative_to(tmp_path / "a")
    clash.parent.mkdir(parents=True)
    clash.write_bytes(first.read_bytes()[:-7])  # same name, other bytes
    with pytest.raises(CapturePublishError, match=r"already exists with different content") as e:
        publisher.publish(other_root, clash)
    assert str(clash) in str(e.value) and "\n" not in str(e.value)
    blob = blob_location.client().get_blob_client(name).download_blob().readall()
    assert blob == first.read_bytes()


@pytest.mark.parametrize(
    ("relative", "problem"),
    [
        ("footfall-local/events/0/2026/10/05/09/00/00.avro.tmp", "not a Capture file path"),
        ("notes.txt", "not a Capture file path"),
    ],
)
def test_only_capture_files_inside_the_root_are_published(
    blob_location: BlobLocation, tmp_path: Path, relative: str, problem: str
) -> None:
    path = tmp_path / "root" / relative
    path.parent.mkdir(parents=True)
    path.write_bytes(b"x")
    publisher = CapturePublisher(blob_location)
    with pytest.raises(CapturePublishError, match=problem):
        publisher.publish(tmp_path / "root", path)
    with pytest.raises(CapturePublishError, match="not inside the capture folder"):
        publisher.publish(tmp_path / "elsewhere", path)
    assert list(blob_location.client().list_blobs()) == []
