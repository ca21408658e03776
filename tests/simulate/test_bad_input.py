"""Injected bad input: the requested share, every kind, and each record's fate as listed."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime

from footfall.simulate import simulate
from tests.simulate.conftest import START, judge, read_records

KINDS = {
    "malformed_json",
    "invalid_encoding",
    "schema_violation",
    "duplicate",
    "late",
    "too_late",
    "future",
}


def test_share_and_kinds(dirty) -> None:
    bad = dirty.truth["bad_input"]
    good = dirty.truth["good_events"]["generated"]
    assert 0.04 < bad["total"] / good < 0.06
    counts = {kind: v["count"] for kind, v in bad["kinds"].items()}
    assert set(counts) == KINDS
    assert all(n > 10 for n in counts.values()), counts
    assert sum(counts.values()) == bad["total"]
    listed = Counter(q["kind"] for q in bad["quarantined"])
    for kind in ("malformed_json", "invalid_encoding", "schema_violation", "too_late", "future"):
        assert listed[kind] == counts[kind]
    assert {q["variant"] for q in bad["quarantined"] if q["kind"] == "schema_violation"} == {
        "missing_field",
        "enum_value",
        "negative_dwell",
        "bad_event_id",
        "extra_field",
        "no_milliseconds",
        "exit_before_enter",
    }


def test_every_quarantine_bound_record_is_listed_with_its_reason(dirty) -> None:
    """Judge every listed record with the full JSON Schema, and the rest with the typed models."""
    expected = Counter(
        (q["body_sha256"], q["expected_reason"]) for q in dirty.truth["bad_input"]["quarantined"]
    )
    listed = {sha for sha, _ in expected}
    found: Counter[tuple[str, str]] = Counter()
    accepted = []
    for rec in dirty.records:
        sha = rec.sha256
        reason = judge(rec.body, rec.enqueued_time, full=sha in listed)
        if reason is None:
            accepted.append(rec)
        else:
            found[(sha, reason)] += 1
    assert found == expected
    assert all(r.sha256 not in listed for r in accepted)
    sample = random.Random(1).sample(accepted, 300)
    assert all(judge(r.body, r.enqueued_time, full=True) is None for r in sample)


def test_duplicates_are_exact_redeliveries(dirty) -> None:
    bodies: dict[str, list] = {}
    for rec in dirty.records:
        if rec.sha256 in dirty.quarantine_hashes:
            continue
        bodies.setdefault(json.loads(rec.body)["event_id"], []).append(rec)
    twice = {eid: recs for eid, recs in bodies.items() if len(recs) > 1}
    dup = dirty.truth["bad_input"]["duplicates"]
    assert sorted(twice) == sorted(dup["event_ids"]) and dup["count"] == len(twice)
    for recs in twice.values():
        first, again = sorted(recs, key=lambda r: r.enqueued_time)
        assert first.body == again.body
        assert 0 < (again.enqueued_time - first.enqueued_time).total_seconds() <= 603


def test_late_events_arrive_late_but_within_lateness(dirty) -> None:
    late = set(dirty.truth["bad_input"]["late"]["event_ids"])
    assert len(late) == dirty.truth["bad_input"]["kinds"]["late"]["count"] > 0
    delays = []
    for rec in dirty.records:
        if rec.sha256 in dirty.quarantine_hashes:
            continue
        event = json.loads(rec.body)
        if event["event_id"] in late:
            delays.append(
                (rec.enqueued_time - datetime.fromisoformat(event["event_time"])).total_seconds()
                / 3600
            )
    assert len(delays) == len(late)
    assert min(delays) > 0.99 and max(delays) < 23.01


def test_good_events_do_not_depend_on_bad_share(clean, tmp_path) -> None:
    """Same seed with bad input: every event not rewritten by a fault is byte-identical."""
    result = simulate(
        tmp_path, stores=1, days=1, start=START, seed=11, visitors_per_day=250, bad_share=0.2
    )
    kinds = json.loads(result.truth_path.read_text())["bad_input"]["kinds"]
    rewritten = sum(
        kinds[k]["count"]
        for k in ("malformed_json", "invalid_encoding", "schema_violation", "future")
    )
    assert rewritten > 100
    first_day = [
        r.body
        for r in clean.records
        if json.loads(r.body)["store_id"] == "store-001"
        and json.loads(r.body)["event_time"] < "2026-10-25"
    ]
    with_faults = {r.body for r in read_records(result.capture_dir)}
    assert sum(b in with_faults for b in first_day) == len(first_day) - rewritten
