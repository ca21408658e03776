"""Where the Event Hubs sink sends, and as whom: read from the environment, checked at start-up.

Two ways in, exactly one of them:

- `FOOTFALL_EVENTHUB_CONNECTION_STRING` (a shared access key or signature), with the hub named by
  `FOOTFALL_EVENTHUB_NAME` or by the string's `EntityPath`;
- `FOOTFALL_EVENTHUB_NAMESPACE` (`<name>.servicebus.windows.net`) and `FOOTFALL_EVENTHUB_NAME`,
  signing in with Entra ID through `azure-identity`'s `DefaultAzureCredential` (managed identity
  on the device, environment variables, or a developer's `az login`).

The connection string is a secret: it is held as a `SecretStr`, errors never quote it (pydantic
is told to hide inputs, and `load_eventhub_settings` reports field names and reasons only).
"""

from __future__ import annotations

from collections.abc import Mapping

from azure.core.utils import parse_connection_string
from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "FOOTFALL_EVENTHUB_"


class EventHubConfigError(ValueError):
    """The Event Hubs settings are missing or inconsistent; the message never holds a secret."""


class EventHubSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    connection_string: SecretStr | None = None
    namespace: str | None = Field(
        None, pattern=r"^[A-Za-z0-9.-]+(:[0-9]+)?$", description="fully qualified namespace"
    )
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]{1,256}$", description="event hub")
    send_timeout_s: float = Field(30.0, gt=0, description="one send's wait for the service's ack")
    client_retries: int = Field(
        2, ge=0, le=10, description="the client's own quick retries before the outbox backs off"
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> EventHubSettings:
        if (self.connection_string is None) == (self.namespace is None):
            raise ValueError(
                f"set exactly one of {ENV_PREFIX}CONNECTION_STRING or {ENV_PREFIX}NAMESPACE"
            )
        if self.connection_string is not None:
            entity = _entity_path(self.connection_string)
            if self.name is None and entity is None:
                raise ValueError(
                    f"name the event hub: {ENV_PREFIX}NAME or EntityPath in the connection string"
                )
            if self.name is not None and entity is not None and entity != self.name:
                raise ValueError(
                    f"{ENV_PREFIX}NAME ({self.name}) differs from the connection string's "
                    f"EntityPath ({entity})"
                )
        elif self.name is None:
            raise ValueError(f"{ENV_PREFIX}NAME is required with {ENV_PREFIX}NAMESPACE")
        return self

    @property
    def eventhub_name(self) -> str:
        if self.name is not None:
            return self.name
        assert self.connection_string is not None
        entity = _entity_path(self.connection_string)
        assert entity is not None
        return entity

    def describe(self) -> str:
        """Where events go, safe to print: namespace or endpoint host and hub, no secret."""
        if self.namespace is not None:
            return f"{self.namespace}/{self.eventhub_name} (Entra ID)"
        assert self.connection_string is not None
        parts = parse_connection_string(self.connection_string.get_secret_value())
        host = parts.get("endpoint", "").split("://", 1)[-1].rstrip("/")
        return f"{host}/{self.eventhub_name} (connection string)"


def _entity_path(secret: SecretStr) -> str | None:
    """The hub named in a connection string; checks the string's shape without quoting it."""
    try:
        parts = parse_connection_string(secret.get_secret_value())
    except ValueError:
        raise ValueError(
            f"{ENV_PREFIX}CONNECTION_STRING is not a connection string (key=value pairs)"
        ) from None
    if not parts.get("endpoint", "").startswith("sb://"):
        raise ValueError(f"{ENV_PREFIX}CONNECTION_STRING has no Endpoint=sb://...")
    has_key = "sharedaccesskeyname" in parts and "sharedaccesskey" in parts
    if not has_key and "sharedaccesssignature" not in parts:
        raise ValueError(
            f"{ENV_PREFIX}CONNECTION_STRING has neither SharedAccessKeyName/SharedAccessKey "
            "nor SharedAccessSignature"
        )
    return parts.get("entitypath") or None


def load_eventhub_settings() -> EventHubSettings:
    """Settings from the environment, or a one-line error naming the variable at fault."""
    try:
        return EventHubSettings()
    except ValidationError as exc:
        reasons = "; ".join(_reason(error) for error in exc.errors(include_input=False))
        raise EventHubConfigError(f"Event Hubs settings: {reasons}") from None


def _reason(error: Mapping[str, object]) -> str:
    loc = error.get("loc") or ()
    where = f"{ENV_PREFIX}{str(loc[0]).upper()}: " if loc else ""
    message = str(error.get("msg", "invalid"))
    return where + message.removeprefix("Value error, ")
