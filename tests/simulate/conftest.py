"""Shared simulations and an independent reading of what they wrote.

Two small simulations run once per session: a clean one and one with bad input. Both start on
Saturday 2026-10-24, so the second day is the Sunday Europe leaves summer time and the Berlin
store is closed. Records are decoded with `read_capture` and judged by `judge`, a reference
implementation of the platform's acceptance rules written from the contract, not from the
simulator.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest

from footfall.capture import parse_capture_path, parse_enqueued_time, read_capture
from footfall.contract.models import parse_event
from footfall.contract.validate import validate_event
from footfall.simulate import SimulationResult, simulate

START = date(2026, 10, 24)
LATENESS = timedelta(hours=24)
MAX_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Record:
    partition: int
    path: str
    sequence_number: int
    enqueued_time: datetime
    body: bytes
    sha256: str


@dataclass(frozen=True)
class Run:
    result: SimulationResult
    truth: dict[str, Any]
    records: list[Record]

    @cached_property
    def quarantine_hashes(self) -> set[str]:
        return {q["body_sha256"] for q in self.truth["bad_input"]["quarantined"]}

    @cached_property
    def accepted(self) -> list[dict[str, Any]]:
        """Decoded events of records not listed as quarantine-bound, first copy of each id."""
        listed = self.quarantine_hashes
        seen: set[str] = set()
        out = []
        for rec in self.records:
            if rec.sha256 in listed:
                continue
            event = json.loads(rec.body)
            if event["event_id"] not in seen:
                seen.add(event["event_id"])
                out.append(event)
        return out


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def read_records(capture_root: Path) -> list[Record]:
    """Every record of every Capture file, in path order (the order the platform reads them)."""
    out = []
    for path in sorted(capture_root.rglob("*.avro")):
        rel = path.relative_to(capture_root).as_posix()
        parsed = parse_capture_path(rel)
        assert parsed is not None, rel
        recs = read_capture(path.read_bytes())
        assert recs.error is None, (rel, recs.error)
        columns = recs.table.to_pydict()
        for seq, enq, body in zip(
            columns["sequence_number"], columns["enqueued_time_utc"], columns["body"], strict=True
        ):
            assert body is not None
            out.append(
                Record(parsed.partition, rel, seq, parse_enqueued_time(enq), body, sha256(body))
            )
    return out


def judge(body: bytes, enqueued_time: datetime, *, full: bool) -> str | None:
    """The quarantine reason the platform gives a record, or None when it accepts it.

    `full` validates with the JSON Schema (slow); otherwise the typed models plus the
    exit-not-before-enter rule stand in for it.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_encoding"
    try:
        event = json.loads(text)
    except ValueError:
        return "malformed_json"
    if full:
        if validate_event(event):
            return "schema_violation"
    else:
        try:
            parsed = parse_event(text)
        except ValueError:
            return "schema_violation"
        if event["event_type"] == "zone_visit" and parsed.exit_time < parsed.enter_time:
            return "schema_violation"
    event_time = datetime.fromisoformat(event["event_time"]).astimezone(UTC)
    if enqueued_time - event_time > LATENESS:
        return "too_late"
    if event_time - enqueued_time > MAX_SKEW:
        return "future_event_time"
    return None


def _run(root: Path, **kwargs: Any) -> Run:
    result = simulate(root, **kwargs)
    truth = json.loads(result.truth_path.read_text(encoding="utf-8"))
    return Run(result, truth, read_records(result.capture_dir))


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """2 stores (London, Berlin) x 2 days, no bad input."""
    root = tmp_path_factory.mktemp("clean")
    return _run(root, stores=2, days=2, start=START, seed=11, visitors_per_day=250)


@pytest.fixture(scope="session")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """3 stores (London, Berlin, New York) x 2 days with 5 % bad input."""
    root = tmp_path_factory.mktemp("dirty")
    return _run(root, stores=3, days=2, start=START, seed=5, bad_share=0.05, visitors_per_day=250)
