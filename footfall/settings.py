"""Where a local run keeps its data, and the knobs the platform reads from the environment.

Every CLI command takes `--data-dir`; without it `$FOOTFALL_DATA_DIR` decides, else `./data`.
The platform reads Capture files from `{data_dir}/capture` unless `FOOTFALL_CAPTURE_*` points it
at a blob container (`capture_blob_location`).
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
_CAPTURE_ENV_OF_FIELD = {
    "container": CAPTURE_CONTAINER_ENV,
    "prefix": CAPTURE_PREFIX_ENV,
    "account_url": CAPTURE_BLOB_URL_ENV,
}


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
    if url and has_secret:
        raise SettingsError(f"set only one of {way_in}, not both")
    if not (url or has_secret):
        raise SettingsError(
            f"{CAPTURE_CONTAINER_ENV} is set but neither {CAPTURE_BLOB_URL_ENV} nor "
            f"{CAPTURE_CONNECTION_STRING_ENV} is: say how to reach the storage account"
        )
    from footfall.capture.blob import BlobLocation

    try:
        return BlobLocation(
            container=container,
            prefix=prefix,
            account_url=url or None,
            connection_string_env=CAPTURE_CONNECTION_STRING_ENV if has_secret else None,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        where = _CAPTURE_ENV_OF_FIELD.get(field, "capture blob settings")
        raise SettingsError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None
