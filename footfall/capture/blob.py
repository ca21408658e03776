"""Capture files in Azure Blob Storage (or ADLS Gen2 through its Blob API): where, and publishing.

`BlobLocation` names a container (and an optional folder prefix in it) and how to sign in: an
account URL with `DefaultAzureCredential` (managed identity, workload identity, `az login`), or a
connection string. The connection string is a secret, so a location holds only the *name* of
the environment variable that carries it: the location can be shown (Dagster's UI shows
resource configuration) and logged without leaking anything.

`CapturePublisher` uploads finished Capture files from a local folder to the same relative path
in a container, the way Event Hubs Capture lays them out, so the platform reads them with the
same code whether Azure Capture or a local consumer wrote them.

This module imports the Azure SDK; `footfall.capture` does not import it, so the edge only pays
for it when it publishes to blob storage.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import ContainerClient, ContentSettings
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from footfall.capture.format import parse_capture_path

# Azure's rule: 3-63 characters, lowercase letters, digits and single hyphens, starting and
# ending with a letter or digit.
_CONTAINER_RE = re.compile(r"^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$")


class BlobConfigError(ValueError):
    """The blob location cannot be used (missing secret, malformed connection string)."""


class CapturePublishError(RuntimeError):
    """A Capture file could not be published; the message names the file and the blob."""


class BlobLocation(BaseModel):
    """A folder of Capture files in a blob container, and how to sign in to its account."""

    # Errors never quote the input: an account URL may carry a SAS token by mistake.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    container: str = Field(description="Blob container name.")
    prefix: str = Field(
        default="",
        description="Folder inside the container that holds `{namespace}/{eventhub}/...` "
        "(empty: the container root, where Event Hubs Capture writes by default).",
    )
    account_url: str | None = Field(
        default=None,
        description="Blob endpoint of the account, e.g. `https://myaccount.blob.core.windows.net`; "
        "signs in with DefaultAzureCredential.",
    )
    connection_string_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding the account's connection string "
        "(the secret itself is never part of the configuration).",
    )

    @field_validator("container")
    @classmethod
    def _container_name(cls, value: str) -> str:
        if not _CONTAINER_RE.match(value):
            raise ValueError(
                f"{value!r} is not a container name (3-63 lowercase letters, digits and single "
                "hyphens)"
            )
        return value

    @field_validator("prefix")
    @classmethod
    def _folder(cls, value: str) -> str:
        value = value.strip("/")
        if "//" in value or any(part in (".", "..") for part in value.split("/")):
            raise ValueError(f"{value!r} is not a folder path (no empty, '.' or '..' parts)")
        return value

    @field_validator("account_url")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "expected an http(s) URL such as https://myaccount.blob.core.windows.net"
            )
        if parts.query or parts.fragment:
            # Never echo the query: it would be a SAS token.
            raise ValueError(
                "must not carry a query (a SAS token belongs in the connection string)"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_way_in(self) -> BlobLocation:
        if (self.account_url is None) == (self.connection_string_env is None):
            raise ValueError("set exactly one of account_url and connection_string_env")
        return self

    def blob_name(self, relative: str) -> str:
        """The blob name of a path relative to the capture root."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, blob_name: str) -> str:
        """Inverse of `blob_name`."""
        return blob_name[len(self.prefix) + 1 :] if self.prefix else blob_name

    def client(self) -> ContainerClient:
        """A client for the container (no request is made until it is used)."""
        if self.connection_string_env is not None:
            name = self.connection_string_env
            secret = os.environ.get(name)
            if not secret:
                raise BlobConfigError(
                    f"{name} is not set: it must hold the connection string of the storage "
                    f"account of container {self.container}"
                )
            try:
                return ContainerClient.from_connection_string(secret, self.container)
            except ValueError:
                # `from None`: the SDK's message or a chained traceback could quote the secret.
                raise BlobConfigError(f"{name}: not a valid storage connection string") from None
        from azure.identity import DefaultAzureCredential  # costs ~0.3 s; only this path needs it

        return ContainerClient(
            self.account_url, self.container, credential=DefaultAzureCredential()
        )

    def describe(self, client: ContainerClient) -> str:
        """`container/prefix at scheme://host`: where the files are, with no credential in it.

        Built from the host rather than `client.url`, which includes a SAS token when the
        connection string has one.
        """
        where = f"{self.container}/{self.prefix}" if self.prefix else self.container
        return f"blob container {where} at {client.scheme}://{client.primary_hostname}"


class CapturePublisher:
    """Upload finished Capture files to a container, never overwriting a different file.

    A file keeps its path relative to the local capture root (`{namespace}/{eventhub}/...`),
    below the location's prefix. Publish a file only once it is complete (the `CaptureWriter`
    links a file into place when it is): a single upload becomes visible whole, so the
    platform never lists half a file. Publishing is idempotent: a blob that already holds the
    same bytes (compared by MD5, which the upload stores) counts as published, so a consumer
    that crashed between uploading and recording it can simply publish again; a blob holding
    different bytes is an error, and is left as it was.
    """

    def __init__(self, location: BlobLocation, client: ContainerClient | None = None) -> None:
        self.location = location
        self._client = client or location.client()

    def describe(self) -> str:
        return self.location.describe(self._client)

    def publish(self, root: Path, path: Path) -> str:
        """Upload `path` (below the capture folder `root`); returns the blob name."""
        try:
            relative = Path(path).relative_to(root).as_posix()
        except ValueError:
            raise CapturePublishError(f"{path}: not inside the capture folder {root}") from None
        if parse_capture_path(relative) is None:
            raise CapturePublishError(
                f"{path}: not a Capture file path "
                "({namespace}/{eventhub}/{partition}/{YYYY}/{MM}/{DD}/{HH}/{mm}/{ss}.avro)"
            )
        data = Path(path).read_bytes()
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        name = self.location.blob_name(relative)
        try:
            self._client.upload_blob(
                name, data, overwrite=False, content_settings=ContentSettings(content_md5=md5)
            )
        except ResourceExistsError:
            existing = self._client.get_blob_client(name).get_blob_properties()
            if bytes(existing.content_settings.content_md5 or b"") != md5:
                raise CapturePublishError(
                    f"{path}: blob {name} in {self.describe()} already exists with different "
                    "content; it was not overwritten"
                ) from None
        return name

    def publish_all(self, root: Path, paths: Iterable[Path]) -> list[str]:
        """Upload the files in path order, which is time order within each stream.

        Order matters: the capture-arrival sensor keeps a cursor per stream and does not look
        behind it, so an older file uploaded after a newer one could be missed.
        """
        return [self.publish(root, path) for path in sorted(map(Path, paths))]
