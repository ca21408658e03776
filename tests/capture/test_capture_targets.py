"""The blob target's spool: a file never takes a name already published (Azurite).

A window can end up in several files (a quiet partition's window is closed on the clock, then a
late event of that window arrives); each later file takes the next free second, which with a
short window runs past the window's end. The spool must still hold every published name a new
file could try, within one run and after a restart rebuilds it from the container.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from footfall.capture import CaptureWriter, read_capture
from footfall.capture.blob import BlobLocation
from footfall.capture.targets import BlobTarget

T = datetime(2026, 10, 5, 9, 3, 7, 250_000, tzinfo=UTC)


def _land_one(target: BlobTarget, writer: CaptureWriter, sequence_number: int) -> str:
    """One record of the same second, written as a file of its own and published."""
    writer.append(b"x", partition=0, enqueued_time=T, sequence_number=sequence_number, offset="0")
    path = writer.flush(0)
    target.commit(path)
    return path.relative_to(target.root).as_posix()


def test_files_of_one_window_never_reuse_a_published_name(
    blob_location: BlobLocation, tmp_path: Path
) -> None:
    def open_target() -> tuple[BlobTarget, CaptureWriter]:
        target = BlobTarget(blob_location, tmp_path / "spool", window_s=1)
        target.prepare("ns", "hub", 1)
        return target, CaptureWriter(
            target.root, namespace="ns", eventhub="hub", partition_count=1, window_s=1
        )

    target, writer = open_target()
    names = [_land_one(target, writer, n) for n in range(3)]
    assert names == [f"ns/hub/0/2026/10/05/09/03/{s:02d}.avro" for s in (7, 8, 9)]
    names.append(_land_one(target, writer, 3))  # 07 is two names behind the newest

    target, writer = open_target()  # a restart rebuilds the spool from the container
    assert target.last_sequence_number("ns", "hub", 0) == 3
    names.append(_land_one(target, writer, 4))
    assert names[3:] == [f"ns/hub/0/2026/10/05/09/03/{s:02d}.avro" for s in (10, 11)]

    client = blob_location.client()
    blobs = sorted(b.name for b in client.list_blobs())
    assert blobs == names
    numbers = [
        read_capture(client.download_blob(name).readall()).table["sequence_number"][0].as_py()
        for name in blobs
    ]
    assert numbers == [0, 1, 2, 3, 4]


def test_a_stream_crossing_into_a_new_minute_prunes_the_old_minute_folder(
    blob_location: BlobLocation, tmp_path: Path
) -> None:
    # Pruning empties the previous minute's folder; walking the spool while removing it used
    # to fail with FileNotFoundError naming that folder (`footfall capture` stopped with it).
    target = BlobTarget(blob_location, tmp_path / "spool", window_s=1)
    target.prepare("ns", "hub", 1)
    writer = CaptureWriter(
        target.root, namespace="ns", eventhub="hub", partition_count=1, window_s=1
    )
    for n, at in enumerate([datetime(2026, 10, 5, 9, 3, 59, tzinfo=UTC), T.replace(minute=4)]):
        writer.append(b"x", partition=0, enqueued_time=at, sequence_number=n, offset="0")
        target.commit(writer.flush(0))
    spool = sorted(p.relative_to(target.root).as_posix() for p in target.root.rglob("*.avro"))
    assert spool == ["ns/hub/0/2026/10/05/09/04/07.avro"]
    assert not (target.root / "ns/hub/0/2026/10/05/09/03").exists()
    assert sorted(b.name for b in blob_location.client().list_blobs()) == [
        "ns/hub/0/2026/10/05/09/03/59.avro",
        "ns/hub/0/2026/10/05/09/04/07.avro",
    ]
