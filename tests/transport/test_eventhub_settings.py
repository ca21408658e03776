"""Event Hubs settings: checked at start-up with one-line errors that never contain a secret."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge_runtime.sinks.eventhub_settings import EventHubConfigError, load_eventhub_settings

KEY = "c2VjcmV0LWtleS10aGF0LW11c3QtbmV2ZXItbGVhaw=="
SIG = "SharedAccessSignature sr=x&sig=c2lnbmF0dXJlLXNlY3JldA%3D&se=4102444800&skn=send"
GOOD = f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey={KEY}"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch) -> None:
    for name in list(os.environ):
        if name.startswith("FOOTFALL_EVENTHUB_"):
            monkeypatch.delenv(name)


def load(monkeypatch, **values: str):
    for name, value in values.items():
        monkeypatch.setenv(f"FOOTFALL_EVENTHUB_{name.upper()}", value)
    return load_eventhub_settings()


def test_connection_string_with_entity_path(monkeypatch) -> None:
    settings = load(monkeypatch, connection_string=GOOD + ";EntityPath=footfall")
    assert settings.eventhub_name == "footfall"
    assert settings.describe() == "ns.servicebus.windows.net/footfall (connection string)"
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())


def test_connection_string_with_name_variable(monkeypatch) -> None:
    assert load(monkeypatch, connection_string=GOOD, name="footfall").eventhub_name == "footfall"


def test_shared_access_signature_is_accepted(monkeypatch) -> None:
    conn = f"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessSignature={SIG}"
    assert load(monkeypatch, connection_string=conn, name="hub").eventhub_name == "hub"


def test_namespace_and_name_for_entra_id(monkeypatch) -> None:
    settings = load(monkeypatch, namespace="ns.servicebus.windows.net", name="footfall")
    assert settings.describe() == "ns.servicebus.windows.net/footfall (Entra ID)"


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (
            {},
            "set exactly one of FOOTFALL_EVENTHUB_CONNECTION_STRING or FOOTFALL_EVENTHUB_NAMESPACE",
        ),
        (
            {"connection_string": GOOD, "namespace": "ns.servicebus.windows.net", "name": "h"},
            "set exactly one of",
        ),
        ({"connection_string": GOOD}, "name the event hub: FOOTFALL_EVENTHUB_NAME or EntityPath"),
        (
            {"connection_string": GOOD + ";EntityPath=a", "name": "b"},
            "FOOTFALL_EVENTHUB_NAME (b) differs from the connection string's EntityPath (a)",
        ),
        ({"connection_string": KEY.rstrip("=")}, "is not a connection string"),
        ({"connection_string": f"SharedAccessKey={KEY};EntityPath=h"}, "has no Endpoint=sb://"),
        (
            {"connection_string": "Endpoint=sb://ns/;SharedAccessKeyName=k", "name": "h"},
            "neither SharedAccessKeyName/SharedAccessKey nor SharedAccessSignature",
        ),
        ({"namespace": "ns.servicebus.windows.net"}, "FOOTFALL_EVENTHUB_NAME is required"),
        (
            {"namespace": "ns.servicebus.windows.net", "name": "h", "send_timeout_s": "-1"},
            "FOOTFALL_EVENTHUB_SEND_TIMEOUT_S: Input should be greater than 0",
        ),
    ],
)
def test_bad_settings_are_one_line_without_secrets(monkeypatch, values, says) -> None:
    with pytest.raises(EventHubConfigError) as caught:
        load(monkeypatch, **values)
    message = str(caught.value)
    assert says in message
    assert "\n" not in message
    assert KEY not in message and "c2lnbmF0dXJl" not in message


def test_cli_rejects_bad_settings_in_one_line_without_the_key(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_")}
    env["FOOTFALL_EVENTHUB_CONNECTION_STRING"] = f"Endpoint=https://x/;SharedAccessKey={KEY}"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "footfall"), "edge", "run", "--sink", "eventhub"]
        + ["--layout", str(ROOT / "media/layouts/store-aisle.yaml"), "--camera", "cam-aisle"]
        + ["--source", str(ROOT / "media/store-aisle.gif"), "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "footfall edge: Event Hubs settings: "
        "FOOTFALL_EVENTHUB_CONNECTION_STRING has no Endpoint=sb://..."
    )
    assert KEY not in done.stdout + done.stderr


def test_a_failing_endpoint_never_logs_the_key(tmp_path, caplog) -> None:
    """Retries against a closed port log warnings; none may carry the key."""
    import socket

    from edge_runtime.outbox import Outbox, OutboxSettings
    from edge_runtime.sinks.eventhub import EventHubSink
    from edge_runtime.sinks.eventhub_settings import EventHubSettings

    from .helpers import crossings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    conn = (
        f"Endpoint=sb://127.0.0.1:{port}/;SharedAccessKeyName=send;SharedAccessKey={KEY};"
        "EntityPath=footfall-events;UseDevelopmentEmulator=true"
    )
    sink = EventHubSink(EventHubSettings(connection_string=conn, client_retries=0))
    settings = OutboxSettings(retry_initial_s=0.05, retry_max_s=0.1)
    with caplog.at_level(logging.DEBUG):
        outbox = Outbox(tmp_path / "o.sqlite", sink, settings)
        outbox.send(crossings(3))
        stats = outbox.close(drain_timeout_s=1.0)
    assert stats.depth == 3  # nothing was acknowledged, so nothing was deleted
    assert outbox.last_error is not None and KEY not in outbox.last_error
    assert any("sending 3 events failed" in r.getMessage() for r in caplog.records)
    assert all(KEY not in r.getMessage() for r in caplog.records)
