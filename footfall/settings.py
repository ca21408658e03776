"""Where a local run keeps its data, and the knobs the platform reads from the environment.

Every CLI command takes `--data-dir`; without it `$FOOTFALL_DATA_DIR` decides, else `./data`.
The platform reads Capture files from `{data_dir}/capture` unless `FOOTFALL_CAPTURE_*` points it
at a blob container (`capture_blob_location`); `footfall capture` keeps its checkpoints in the
container `FOOTFALL_CHECKPOINT_*` names (`checkpoint_location`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:  # the Azure SDK is imported only when blob storage is configured
    from footfall.capture.blob import BlobLocation

DATA_DIR_ENV = "FOOTFALL_DATA_DIR"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory: the explicit argument, else `$FOOTFALL_DATA_DIR`, else `./data`."""
    chosen = explicit or os.environ.get(DATA_DIR_ENV) or "data"
    return Path(chosen).expanduser().resolve()


def capture_dir(root: Path) -> Path:
    return root / "capture"


def warehouse_path(root: Path) -> Path:
    return root / "warehouse.duckdb"


def layouts_dir(root: Path) -> Path:
    return root / "layouts"


# -- where the platform reads Capture files --------------------------------------------------

CAPTURE_CONTAINER_ENV = "FOOTFALL_CAPTURE_CONTAINER"
CAPTURE_PREFIX_ENV = "FOOTFALL_CAPTURE_PREFIX"
CAPTURE_BLOB_URL_ENV = "FOOTFALL_CAPTURE_BLOB_URL"
CAPTURE_CONNECTION_STRING_ENV = "FOOTFALL_CAPTURE_CONNECTION_STRING"


class SettingsError(ValueError):
    """A setting from the environment is missing or wrong; the message names the variable."""


def capture_blob_location(environ: Mapping[str, str] | None = None) -> BlobLocation | None:
    """The blob container to read Capture files from, or None for the local capture folder.

    Blob storage is chosen by `FOOTFALL_CAPTURE_CONTAINER` with either `FOOTFALL_CAPTURE_BLOB_URL`
    (signs in with DefaultAzureCredential) or `FOOTFALL_CAPTURE_CONNECTION_STRING`, plus an
    optional `FOOTFALL_CAPTURE_PREFIX` (folder in the container). The connection string stays in
    the environment: the location keeps only the variable's name.
    """
    env = os.environ if environ is None else environ
    container = env.get(CAPTURE_CONTAINER_ENV, "")
    prefix = env.get(CAPTURE_PREFIX_ENV, "")
    url = env.get(CAPTURE_BLOB_URL_ENV, "")
    has_secret = bool(env.get(CAPTURE_CONNECTION_STRING_ENV))
    if not (container or prefix or url or has_secret):
        return None
    way_in = f"{CAPTURE_BLOB_URL_ENV} or {CAPTURE_CONNECTION_STRING_ENV}"
    if not container:
        raise SettingsError(
            f"{CAPTURE_CONTAINER_ENV} is not set: blob storage for Capture files needs the "
            f"container name (or unset {CAPTURE_PREFIX_ENV}, {way_in} for the local folder)"
        )
    return _blob_location(env, "FOOTFALL_CAPTURE", prefix=prefix)


# -- where `footfall capture` keeps its checkpoints ------------------------------------------

CHECKPOINT_CONTAINER_ENV = "FOOTFALL_CHECKPOINT_CONTAINER"
CHECKPOINT_BLOB_URL_ENV = "FOOTFALL_CHECKPOINT_BLOB_URL"
CHECKPOINT_CONNECTION_STRING_ENV = "FOOTFALL_CHECKPOINT_CONNECTION_STRING"


def checkpoint_location(environ: Mapping[str, str] | None = None) -> BlobLocation:
    """The blob container where `footfall capture` keeps checkpoints and partition ownership.

    Required (the consumer cannot resume without it): `FOOTFALL_CHECKPOINT_CONTAINER` with
    either `FOOTFALL_CHECKPOINT_BLOB_URL` (DefaultAzureCredential) or
    `FOOTFALL_CHECKPOINT_CONNECTION_STRING`. Only the variable's name is kept, as for Capture.
    """
    env = os.environ if environ is None else environ
    if not env.get(CHECKPOINT_CONTAINER_ENV):
        raise SettingsError(
            f"{CHECKPOINT_CONTAINER_ENV} is not set: footfall capture keeps its checkpoints in "
            f"a blob container (with {CHECKPOINT_BLOB_URL_ENV} or "
            f"{CHECKPOINT_CONNECTION_STRING_ENV})"
        )
    return _blob_location(env, "FOOTFALL_CHECKPOINT")


def _blob_location(env: Mapping[str, str], stem: str, prefix: str = "") -> BlobLocation:
    """A location from `{stem}_CONTAINER` and `{stem}_BLOB_URL` or `{stem}_CONNECTION_STRING`."""
    container_env, url_env = f"{stem}_CONTAINER", f"{stem}_BLOB_URL"
    secret_env = f"{stem}_CONNECTION_STRING"
    url = env.get(url_env, "")
    has_secret = bool(env.get(secret_env))
    way_in = f"{url_env} or {secret_env}"
    if url and has_secret:
        raise SettingsError(f"set only one of {way_in}, not both")
    if not (url or has_secret):
        raise SettingsError(
            f"{container_env} is set but neither {url_env} nor {secret_env} is: say how to "
            "reach the storage account"
        )
    from footfall.capture.blob import BlobLocation

    try:
        return BlobLocation(
            container=env[container_env],
            prefix=prefix,
            account_url=url or None,
            connection_string_env=secret_env if has_secret else None,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        where = {"container": container_env, "prefix": f"{stem}_PREFIX", "account_url": url_env}
        name = where.get(field, f"{stem} blob settings")
        raise SettingsError(f"{name}: {err['msg'].removeprefix('Value error, ')}") from None
