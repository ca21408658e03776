"""Where the Delta export goes besides `{data_dir}/lake/`: an Azure container, when configured.

`FOOTFALL_LAKE_URL` names the folder (`az://container/prefix`, or
`abfss://container@account.dfs.core.windows.net/prefix`); `FOOTFALL_LAKE_CONNECTION_STRING`
optionally signs in with an account key or SAS. Without it the Delta writer (delta-rs,
`object_store`) uses its own Azure credential chain (`AZURE_STORAGE_ACCOUNT_NAME`, a service
principal in `AZURE_*`, managed identity). The connection string stays in the environment: the
target keeps only the variable's name, so neither the Dagster UI nor a log or an error shows it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from footfall.settings import SettingsError

LAKE_URL_ENV = "FOOTFALL_LAKE_URL"
LAKE_CONNECTION_STRING_ENV = "FOOTFALL_LAKE_CONNECTION_STRING"
_SCHEMES = ("az", "abfs", "abfss")
# Hosts that mean "the local emulator" (Azurite): delta-rs must then speak plain HTTP.
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class AzureLakeTarget(BaseModel):
    """An Azure folder that receives one Delta table per mart, `{url}/{table}`."""

    model_config = ConfigDict(frozen=True)

    url: str
    connection_string_env: str | None = None

    @field_validator("url")
    @classmethod
    def _azure_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in _SCHEMES or not parsed.netloc:
            raise ValueError(
                f"{value!r} is not an Azure storage URL: use az://container/prefix or "
                "abfss://container@account.dfs.core.windows.net/prefix"
            )
        return value.rstrip("/")

    def table_url(self, table: str) -> str:
        return f"{self.url}/{table}"

    def describe(self) -> str:
        """What the UI and logs may show: the URL, never a credential."""
        return self.url

    def storage_options(self) -> dict[str, str]:
        """delta-rs storage options: account, key or SAS and endpoint from the connection string.

        Read from the environment at the moment of writing, never stored on the target.
        """
        if self.connection_string_env is None:
            return {}
        raw = os.environ.get(self.connection_string_env, "")
        if not raw:
            raise SettingsError(f"{self.connection_string_env} is empty or not set")
        parts = dict(
            (k.strip().lower(), v.strip())
            for k, _, v in (p.partition("=") for p in raw.split(";") if p.strip())
        )
        options: dict[str, str] = {}
        if account := parts.get("accountname"):
            options["account_name"] = account
        if key := parts.get("accountkey"):
            options["account_key"] = key
        if sas := parts.get("sharedaccesssignature"):
            options["sas_token"] = sas
        if not ("account_key" in options or "sas_token" in options):
            raise SettingsError(
                f"{self.connection_string_env}: needs AccountKey or SharedAccessSignature"
            )
        if endpoint := parts.get("blobendpoint"):
            host = urlparse(endpoint).hostname or ""
            if host in _LOCAL_HOSTS:
                # Azurite: path-style URLs over plain HTTP at the emulator's own port.
                options["endpoint"] = endpoint.rstrip("/")
                options["allow_http"] = "true"
            else:
                options["endpoint"] = endpoint.rstrip("/")
        elif "account_name" not in options:
            raise SettingsError(f"{self.connection_string_env}: needs AccountName or BlobEndpoint")
        return options


def azure_lake_target(environ: Mapping[str, str] | None = None) -> AzureLakeTarget | None:
    """The Azure target from `FOOTFALL_LAKE_*`, or None when only the local lake is wanted."""
    env = os.environ if environ is None else environ
    url = env.get(LAKE_URL_ENV, "")
    has_secret = bool(env.get(LAKE_CONNECTION_STRING_ENV))
    if not url:
        if has_secret:
            raise SettingsError(
                f"{LAKE_CONNECTION_STRING_ENV} is set but {LAKE_URL_ENV} is not: name the "
                "container folder to export to (az://container/prefix)"
            )
        return None
    try:
        return AzureLakeTarget(
            url=url, connection_string_env=LAKE_CONNECTION_STRING_ENV if has_secret else None
        )
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise SettingsError(f"{LAKE_URL_ENV}: {msg}") from None
