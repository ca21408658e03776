"""`footfall edge run --sink eventhub` as a user runs it, against the local endpoint.

Run 1 finds the hub down: its events stay in the camera's outbox and its heartbeats report the
backlog growing. Run 2 finds the hub up and delivers both runs' events.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from footfall.contract.validate import validate_event

ROOT = Path(__file__).resolve().parents[2]
FOOTFALL = str(Path(sys.executable).parent / "footfall")


def edge_run(endpoint, data_dir: Path, start: str) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOOTFALL_")}
    env.update(endpoint.environ())
    env["FOOTFALL_OUTBOX_DRAIN_TIMEOUT_S"] = "1"
    env["FOOTFALL_EVENTHUB_CLIENT_RETRIES"] = "0"
    done = subprocess.run(
        [FOOTFALL, "edge", "run", "--sink", "eventhub", "--no-progress"]
        + ["--layout", str(ROOT / "media/layouts/store-aisle.yaml"), "--camera", "cam-aisle"]
        + ["--source", str(ROOT / "media/store-aisle.gif"), "--data-dir", str(data_dir)]
        + ["--start-time", start],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "SharedAccessKey" not in done.stderr and "test-only-key" not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_footage_to_event_hubs_through_the_outbox(eventhub_endpoint_factory, tmp_path) -> None:
    endpoint = eventhub_endpoint_factory()
    with socket.socket() as sock:  # the hub's port, with nothing listening during run 1
        sock.bind(("127.0.0.1", 0))
        endpoint.port = sock.getsockname()[1]

    first, stderr = edge_run(endpoint, tmp_path, "2026-11-02T09:00:00Z")
    assert "footfall-events (connection string)" in stderr
    waiting = re.search(r"(\d+) events are still in the outbox (\S+)", stderr)
    assert waiting is not None, stderr
    assert int(waiting[1]) == first["events"] > 0
    assert waiting[2] == str(tmp_path / "edge" / "outbox" / "cam-aisle.sqlite")

    endpoint.start()
    second, stderr = edge_run(endpoint, tmp_path, "2026-11-02T10:00:00Z")
    assert f"{first['events']} events waiting from before" in stderr
    assert "still in the outbox" not in stderr

    received = endpoint.read_all()
    bodies = [json.loads(e.body) for e in received]
    assert len({b["event_id"] for b in bodies}) == first["events"] + second["events"]
    assert all(validate_event(b) == [] for b in bodies)
    assert {e.partition_key for e in received} == {"store-901"}
    assert len({e.partition_id for e in received}) == 1

    run1 = [
        b for b in bodies if b["event_type"] == "heartbeat" and b["event_time"] < "2026-11-02T10"
    ]
    depths = [b["outbox_depth"] for b in run1]
    assert len(depths) >= 2 and depths[0] == 0  # nothing before the first frame's events
    assert depths == sorted(depths) and depths[-1] >= first["events"] // 2  # nothing delivered
    assert all(b["outbox_dropped"] == 0 for b in bodies if b["event_type"] == "heartbeat")
