"""Capture files in an Azure Blob Storage / ADLS Gen2 container, read through the Blob API.

The listing keeps the local folder's pruning: each folder level down to the hours is one
hierarchical list call (`walk_blobs` with a `/` delimiter and the folder as prefix), so a sensor
tick lists only the folders on or after its cursor, never the whole container. An hour folder is
then listed flat in one call (its minute folders hold about a dozen files per stream), and that
listing already carries each blob's size and last-modified time: a file costs no request of its
own until it is read. Ingesting one hour reads a window of ~25 hours of file names, which is
~25 list calls per stream this way instead of ~325 folder by folder.

Last-modified is what the sensor's settling rule (`min_file_age_s`) compares with, as the local
folder's modification time is: a blob Capture is still writing keeps getting newer and waits.

ADLS Gen2 accounts (hierarchical namespace) serve this Blob API too; their directories can also
be listed as blobs of their own, so folder names are de-duplicated.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobPrefix, BlobProperties, ContainerClient
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from footfall.capture import parse_capture_path
from footfall.capture.blob import BlobLocation
from footfall_assets.resources.capture_storage import CaptureFile, CaptureStorage


class BlobCaptureStorage(CaptureStorage):
    """Capture files in a blob container (Event Hubs Capture's destination, or a copy)."""

    container: str = Field(description="Blob container name.")
    prefix: str = Field(
        default="",
        description="Folder in the container above `{namespace}/{eventhub}/...` (empty: root).",
    )
    account_url: str | None = Field(
        default=None,
        description="Blob endpoint, e.g. https://myaccount.blob.core.windows.net; signs in with "
        "DefaultAzureCredential. Set this or connection_string_env.",
    )
    connection_string_env: str | None = Field(
        default=None,
        description="Name of the environment variable that holds the connection string.",
    )

    model_config = ConfigDict(hide_input_in_errors=True)  # see BlobLocation

    _client: ContainerClient | None = PrivateAttr(default=None)

    @classmethod
    def at(cls, location: BlobLocation) -> BlobCaptureStorage:
        return cls(**location.model_dump())

    @model_validator(mode="after")
    def _valid_location(self) -> BlobCaptureStorage:
        """The fields must make a valid `BlobLocation` (valid names, one way to sign in)."""
        _ = self.location
        return self

    @property
    def location(self) -> BlobLocation:
        return BlobLocation(
            container=self.container,
            prefix=self.prefix,
            account_url=self.account_url,
            connection_string_env=self.connection_string_env,
        )

    def client(self) -> ContainerClient:
        if self._client is None:
            self._client = self.location.client()
        return self._client

    def _listing(self, prefix: str) -> list[BlobProperties | BlobPrefix]:
        """One hierarchical list call: blobs and sub-folders directly below `prefix`."""
        parts = [p for p in (self.location.prefix, prefix.strip("/")) if p]
        start = "/".join(parts) + "/" if parts else None
        return list(self.client().walk_blobs(name_starts_with=start, delimiter="/"))

    def _folders(self, prefix: str) -> list[str]:
        return sorted({_leaf(i.name) for i in self._listing(prefix) if isinstance(i, BlobPrefix)})

    def streams(self) -> list[str]:
        return sorted(
            f"{ns}/{hub}/{part}"
            for ns in self._folders("")
            if not ns.startswith(".")
            for hub in self._folders(ns)
            for part in self._folders(f"{ns}/{hub}")
            if part.isdigit()
        )

    def list_dir(self, prefix: str) -> list[str]:
        return sorted({_leaf(item.name) for item in self._listing(prefix)})

    def hour_files(self, hour: str) -> list[CaptureFile]:
        # One flat listing of the hour (its minute folders hold ~12 files per stream); each
        # entry carries size and last-modified, so no file costs a request of its own.
        location = self.location
        files = []
        for blob in self.client().list_blobs(name_starts_with=location.blob_name(hour) + "/"):
            rel = location.relative(blob.name)
            if parse_capture_path(rel) is not None:
                files.append(CaptureFile(rel, blob.size, blob.last_modified.astimezone(UTC)))
        return files

    def stat(self, path: str) -> CaptureFile:
        blob = self.client().get_blob_client(self.location.blob_name(path))
        try:
            props = blob.get_blob_properties()
        except ResourceNotFoundError:
            raise FileNotFoundError(f"{path}: no such blob in {self.describe()}") from None
        return CaptureFile(path, props.size, props.last_modified.astimezone(UTC))

    def read_bytes(self, path: str) -> bytes:
        # A blob that vanished since it was listed reads like a vanished local file: an OSError,
        # which ingestion records as an unreadable file. Any other failure (network, access)
        # propagates and fails the run, to be retried, instead of quarantining a good file.
        blob = self.client().get_blob_client(self.location.blob_name(path))
        try:
            return blob.download_blob().readall()
        except ResourceNotFoundError:
            raise FileNotFoundError(f"{path}: no such blob in {self.describe()}") from None

    def delete(self, path: str) -> None:
        # Blob storage has no folders to tidy: a prefix disappears with its last blob.
        blob = self.client().get_blob_client(self.location.blob_name(path))
        with suppress(ResourceNotFoundError):
            blob.delete_blob()

    def describe(self) -> str:
        return self.location.describe(self.client())


def _leaf(name: str) -> str:
    """The last part of a blob name or of a folder prefix (`a/b/` -> `b`)."""
    return name.rstrip("/").rsplit("/", 1)[-1]
