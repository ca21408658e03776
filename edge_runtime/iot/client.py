"""The thin glue between `ModuleHost` and IoT Edge: `azure-iot-device`'s module client.

Inside an IoT Edge module container the client authenticates through the IoT Edge security
daemon (`create_from_edge_environment`), so no connection string or key passes through this
code. The order matters: the patch handler is set before the twin is read, so no update can fall
between the two (a patch the full read already includes is recognised by its version and
ignored). Reported properties go out on a single worker thread, in order, so that neither the
pipeline's thread nor the client's handler thread ever waits on the network.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from edge_runtime.iot.host import ModuleHost, Report

log = logging.getLogger(__name__)


class ModuleClient(Protocol):
    """The part of `azure.iot.device.IoTHubModuleClient` the module uses."""

    on_twin_desired_properties_patch_received: Any
    on_connection_state_change: Any

    @property
    def connected(self) -> bool: ...

    def connect(self) -> None: ...

    def get_twin(self) -> dict[str, Any]: ...

    def patch_twin_reported_properties(self, reported_properties_patch: dict[str, Any]) -> None: ...

    def shutdown(self) -> None: ...


def edge_client() -> ModuleClient:
    """The module client configured by the IoT Edge runtime's environment variables."""
    from azure.iot.device import IoTHubModuleClient

    return IoTHubModuleClient.create_from_edge_environment()


class TwinLink:
    """Connects a host to a module client: twin in (`start`), reported properties out."""

    def __init__(self, client: ModuleClient) -> None:
        self.client = client
        self._outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="twin-reported")
        self._host: ModuleHost | None = None

    def report(self, patch: dict[str, Any]) -> None:
        """Queue a reported-properties patch; sent in order on the outbox thread."""
        self._outbox.submit(self._send, patch)

    def _send(self, patch: dict[str, Any]) -> None:
        try:
            self.client.patch_twin_reported_properties(patch)
        except Exception as exc:  # the client retries on its own; a loss here is only logged
            log.error("reported properties not sent (%s): %s", type(exc).__name__, exc)

    def start(self, host: ModuleHost) -> None:
        """Connect, subscribe to patches, then give `host` the whole twin, read once."""
        self.client.on_twin_desired_properties_patch_received = host.on_patch
        self.client.on_connection_state_change = self._connection_changed
        self.client.connect()
        self._host = host
        host.on_twin(self.client.get_twin()["desired"])

    def _connection_changed(self) -> None:
        # Patches sent while the module was offline are not replayed: read the whole twin again.
        if self._host is not None and self.client.connected:
            self._outbox.submit(self._reread, self._host)

    def _reread(self, host: ModuleHost) -> None:
        try:
            host.on_twin(self.client.get_twin()["desired"])
        except Exception as exc:
            log.error("twin not re-read after reconnecting (%s): %s", type(exc).__name__, exc)

    def close(self) -> None:
        """Send what is queued, then disconnect."""
        self._outbox.shutdown(wait=True)
        self.client.shutdown()


def serve_module(make_host: Callable[[Report], ModuleHost], client: ModuleClient) -> None:
    """Run the module until SIGTERM/SIGINT (IoT Edge stops modules with SIGTERM).

    `make_host` receives the function that sends reported properties.
    """
    link = TwinLink(client)
    host = make_host(link.report)

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %s: ending the run, closing open visits", signum)
        host.stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    try:
        link.start(host)
        host.serve()
    finally:
        link.close()
