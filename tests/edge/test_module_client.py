"""The glue between the module host and `azure-iot-device`'s module client.

A stand-in client, because no local implementation exists: the real client only talks to an
IoT Edge hub (MQTT over TLS, authenticated through the IoT Edge security daemon's workload
socket), and neither IoT Hub nor the Edge hub and daemon can run on this machine. The stand-in
has the real client's method and handler names (checked against the installed SDK below) and
calls handlers on its own thread, as the SDK does. Everything behind it is the real host and
pipeline, on the scripted store scene.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from azure.iot.device import IoTHubModuleClient

from edge_runtime.iot.client import TwinLink, serve_module
from edge_runtime.iot.host import ModuleHost, Report
from edge_runtime.pipeline import EdgeRun
from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
from edge_runtime.sources.base import Frame
from tests.edge.footage_runs import ListSink
from tests.edge.test_store_scenario import LAYOUT, START, ScriptedDetector, Visitor

ROOT = Path(__file__).resolve().parents[2]
LAYOUT_DOC = json.loads(LAYOUT.model_dump_json())
USED = (
    "connect",
    "get_twin",
    "patch_twin_reported_properties",
    "shutdown",
    "connected",
    "on_twin_desired_properties_patch_received",
    "on_connection_state_change",
)


class StandInClient:
    """Records what the glue does; delivers handler calls on a separate thread like the SDK."""

    def __init__(self, twin: dict[str, Any]) -> None:
        self.twin = twin
        self.calls: list[str] = []
        self.reported: list[dict[str, Any]] = []
        self.reporting_threads: set[str] = set()
        self.on_twin_desired_properties_patch_received = None
        self.on_connection_state_change = None
        self.connected = False
        self.fail_next_report = False
        self._changed = threading.Condition()

    def connect(self) -> None:
        self.calls.append("connect")
        self.connected = True

    def get_twin(self) -> dict[str, Any]:
        handler_set = self.on_twin_desired_properties_patch_received is not None
        self.calls.append(f"get_twin(patch handler set: {handler_set})")
        return json.loads(json.dumps(self.twin))

    def patch_twin_reported_properties(self, reported_properties_patch: dict[str, Any]) -> None:
        self.reporting_threads.add(threading.current_thread().name)
        if self.fail_next_report:
            self.fail_next_report = False
            raise ConnectionError("hub unreachable")
        with self._changed:
            self.reported.append(reported_properties_patch["config"])
            self._changed.notify_all()

    def shutdown(self) -> None:
        self.calls.append("shutdown")

    # --- the hub's side ---

    def send_patch(self, patch: dict[str, Any]) -> None:
        handler = self.on_twin_desired_properties_patch_received
        thread = threading.Thread(target=handler, args=(patch,), name="sdk-handler")
        thread.start()
        thread.join(60)

    def reconnect(self, twin: dict[str, Any]) -> None:
        self.twin = twin
        self.connected = True
        thread = threading.Thread(target=self.on_connection_state_change, name="sdk-handler")
        thread.start()
        thread.join(60)

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.reported) >= count, 60), self.reported
            return list(self.reported)


def test_the_stand_in_uses_only_what_the_real_client_has():
    members = dict(inspect.getmembers(IoTHubModuleClient))
    assert all(name in members for name in USED)
    signature = inspect.signature(IoTHubModuleClient.patch_twin_reported_properties)
    assert "reported_properties_patch" in signature.parameters


class Camera:
    """A live camera's blank frames: they keep coming, 10 per second of footage time, until the
    source is closed (as `LiveSource` ends when closed)."""

    live, fps, skipped = True, 10.0, 0

    def __init__(self) -> None:
        self.closed = threading.Event()

    def __iter__(self):
        image = np.zeros((480, 640, 3), dtype=np.uint8)
        index = 0
        while not self.closed.wait(0.005):  # paced, so the run does not spin a core
            yield Frame(index, START + dt.timedelta(seconds=index / 10), image)
            index += 1

    def close(self) -> None:
        self.closed.set()


configs: list = []  # what each run was started with, in order


class HeldDetector(ScriptedDetector):
    """The scripted detector, which the test can hold mid-frame (the run cannot end then)."""

    free = threading.Event()
    held = threading.Event()

    def detect(self, image):
        if not self.free.is_set():
            self.held.set()
            assert self.free.wait(60)
        return super().detect(image)


def host_factory(tmp_path: Path) -> tuple[Callable[[Report], ModuleHost], list, list[EdgeRun]]:
    """What `footfall edge module` passes to `serve_module`, on the scripted scene's detector."""
    runs: list[EdgeRun] = []
    hosts: list[ModuleHost] = []
    configs.clear()
    HeldDetector.free.set()

    def start_run(config, detector):
        configs.append(config)
        run = EdgeRun(
            config.layout,
            config.camera_id,
            detector,
            ListSink(),
            Pseudonymizer(DailyKeys(tmp_path / "keys"), config.camera_id),
            device_id="edge-test",
            settings=config.settings,
        )
        runs.append(run)
        return run, Camera()

    def make_host(report: Report) -> ModuleHost:
        host = ModuleHost(
            ROOT / "models",
            start_run,
            report,
            build=lambda config: HeldDetector([Visitor(0.5, 1.0)]),
        )
        hosts.append(host)
        return host

    return make_host, hosts, runs


def twin(version: int, **changes: Any) -> dict[str, Any]:
    desired = {"layout": LAYOUT_DOC, "camera_id": "cam-1", "source": str(ROOT / "media")}
    return {"desired": {**desired, **changes, "$version": version}, "reported": {}}


def test_the_module_reads_the_twin_follows_patches_and_reports_in_order(tmp_path):
    make_host, hosts, runs = host_factory(tmp_path)
    client = StandInClient(twin(1))
    serving = threading.Thread(target=serve_module, args=(make_host, client), name="module-main")
    serving.start()
    try:
        client.wait_for(1)
        client.send_patch({"$version": 2, "camera_id": "cam-2"})
        client.wait_for(2)
        client.fail_next_report = True  # lost in transit: logged, and later reports still go
        client.send_patch({"$version": 3, "detector": {"kind": "nope"}})
        client.send_patch({"$version": 4, "camera_id": "cam-1", "detector": None})
        client.wait_for(3)
        client.reconnect(twin(5, settings={"analytics": {"occupancy_period_s": 5}}))
        reported = client.wait_for(4)
    finally:
        for host in hosts:
            host.stop()
        serving.join(60)
    assert not serving.is_alive()
    # The patch handler is in place before the twin is read, so no update falls in between.
    # After reconnecting it reads the whole twin again: patches sent meanwhile are not replayed.
    assert client.calls == [
        "connect",
        "get_twin(patch handler set: True)",
        "get_twin(patch handler set: True)",
        "shutdown",
    ]
    assert [(r["status"], r["version"]) for r in reported] == [
        ("applied", 1),
        ("rejected", 2),
        ("applied", 4),  # the same configuration as version 1: nothing to restart
        ("applied", 5),  # read again after reconnecting, applied to the run in place
    ]
    assert reported[1]["error"].startswith("camera_id: camera 'cam-2' is not in the layout")
    assert reported[1]["applied_version"] == 1
    assert len(runs) == 1 and runs[0].settings.analytics.occupancy_period_s == 5
    # Reports never go out on the pipeline's or the SDK handler's thread.
    assert client.reporting_threads and all(
        name.startswith("twin-reported") for name in client.reporting_threads
    )


def test_reports_queued_before_closing_are_sent(tmp_path):
    make_host, _, _ = host_factory(tmp_path)
    client = StandInClient(twin(1, camera_id="cam-9"))
    link = TwinLink(client)
    link.start(make_host(link.report))
    link.close()
    assert [r["status"] for r in client.reported] == ["rejected"]
    assert client.calls[-1] == "shutdown"


def test_a_source_change_reverted_before_the_run_ended_still_gets_a_run(tmp_path):
    """The run is told to end for a new source, and the change is taken back before it has
    ended: a new run with the latest configuration must start all the same."""
    make_host, hosts, _ = host_factory(tmp_path)
    client = StandInClient(twin(1))
    serving = threading.Thread(target=serve_module, args=(make_host, client), name="module-main")
    serving.start()
    try:
        client.wait_for(1)
        HeldDetector.held.clear()
        HeldDetector.free.clear()
        assert HeldDetector.held.wait(60)  # the run is mid-frame and stays there
        client.send_patch({"$version": 2, "source": str(ROOT / "media" / "classroom.gif")})
        client.send_patch({"$version": 3, "source": str(ROOT / "media")})
        HeldDetector.free.set()
        reported = client.wait_for(2)
    finally:
        HeldDetector.free.set()
        for host in hosts:
            host.stop()
        serving.join(60)
    assert [(r["status"], r["version"]) for r in reported] == [("applied", 1), ("applied", 3)]
    assert [c.source.get_secret_value() for c in configs] == [str(ROOT / "media")] * 2
