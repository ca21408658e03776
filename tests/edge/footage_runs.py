"""Runs a labelled clip through the edge pipeline once per test session and keeps the result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

import yaml

from edge_runtime.detection.config import SsdConfig, build_detector
from edge_runtime.pipeline import EdgeRun, RunSummary
from edge_runtime.pseudonyms import DailyKeys, Pseudonymizer
from edge_runtime.sources import open_source
from footfall.contract.models import Event
from footfall.layout import load_layout

ROOT = Path(__file__).resolve().parents[2]
FOOTAGE = Path(__file__).resolve().parent / "footage"
START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class ListSink:
    events: list[Event] = field(default_factory=list)

    def send(self, events) -> None:
        self.events.extend(events)

    def close(self) -> None:
        pass


@dataclass
class FootageRun:
    truth: dict
    summary: RunSummary
    events: list[Event]
    in_view: list[int]  # confirmed people in view, per frame


@cache
def run_footage(name: str) -> FootageRun:
    truth = yaml.safe_load((FOOTAGE / f"{name}.truth.yaml").read_text())
    layout = load_layout(ROOT / "media" / "layouts" / f"{name}.yaml")
    in_view: list[int] = []
    sink = ListSink()
    run = EdgeRun(
        layout,
        layout.cameras[0].id,
        build_detector(SsdConfig(kind="ssd")),
        sink,
        Pseudonymizer(DailyKeys(Path(mkdtemp()) / "keys"), layout.cameras[0].id),
        device_id="edge-test",
        progress=lambda frames, fps, people: in_view.append(people),
    )
    summary = run.run(open_source(str(ROOT / "media" / truth["clip"]), start_time=START))
    return FootageRun(truth, summary, sink.events, in_view)
