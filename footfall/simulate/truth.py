"""The ground truth of a simulation: what was sent, and what the platform should conclude.

Aggregates are computed from the simulation's own facts, only over events the platform should
accept (good and late ones, each once), at the grain of the curated tables, so a platform run can
be checked number for number. Bad input is listed record by record: quarantine-bound records by
the SHA-256 of their exact body and the reason the platform should give, duplicates and late
events by event id.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from footfall.simulate.clock import HOUR_MS, to_datetime
from footfall.simulate.emit import Emitted, FaceFact, LineFact, ZoneFact
from footfall.simulate.plan import StorePlan
from footfall.simulate.transport import EXPECTED_REASON, BadRecord, Transmission

POLICY = (
    "Every bad record except a duplicate replaces the good event it was made from: the good "
    "original is not sent. Quarantine-bound records (malformed_json, invalid_encoding, "
    "schema_violation, too_late, future) are therefore absent from the aggregates; late events "
    "(enqueued 1-23 h after event_time) are in them, in their event-time hour; duplicates are "
    "extra copies of an event the platform should count once. Schema-violating records carry a "
    "fresh (or deliberately malformed) event_id. Demographics count distinct visitor_id per store "
    "and local date before any k-anonymity suppression."
)

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class LayoutChange:
    """A store's second layout version: from `effective` (a local date) it runs on `plan`."""

    before: StorePlan
    plan: StorePlan
    effective: date
    display: str
    """The display that moved (same zone id in both versions)."""


class GroundTruth:
    """Accumulates the truth store-day by store-day; `write` renders truth.json."""

    def __init__(self, plans: list[StorePlan], changes: list[LayoutChange] | None = None) -> None:
        self._plans = {p.store_id: p for p in plans}
        self._changes = changes or []
        self._generated: Counter[str] = Counter()
        self._accepted: Counter[str] = Counter()
        self._footfall: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0])
        self._dwell: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        self._demographics: Counter[tuple[str, str, str, str]] = Counter()
        self._bad: list[BadRecord] = []

    def record(
        self, plan: StorePlan, day: date, generated: list[Emitted], sent: Transmission
    ) -> None:
        """Add one store-day: the good events generated and how they were transmitted."""
        self._generated.update(e.event_type for e in generated)
        self._accepted.update(e.event_type for e in sent.accepted)
        self._bad.extend(sent.bad)
        store = plan.store_id
        visitors: dict[str, tuple[str, str]] = {}  # a visitor id lives for one store-day only
        for event in sent.accepted:
            fact = event.fact
            hour = event.event_ms - event.event_ms % HOUR_MS
            if isinstance(fact, LineFact):
                self._footfall[(store, fact.line_id, hour)][fact.direction == "out"] += 1
            elif isinstance(fact, ZoneFact):
                cell = self._dwell[(store, fact.zone_id, hour)]
                cell[0] += 1
                cell[1] += fact.engaged
                cell[2] += fact.dwell_ms
            elif isinstance(fact, FaceFact):
                visitors[fact.visitor_id] = (fact.age_band, fact.gender)
        local_date = day.isoformat()
        self._demographics.update((store, local_date, a, g) for a, g in visitors.values())

    def write(self, path: Path, parameters: dict[str, Any], capture: dict[str, int]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = self._document(parameters, capture)
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        return path

    def _document(self, parameters: dict[str, Any], capture: dict[str, int]) -> dict[str, Any]:
        quarantined = [b for b in self._bad if b.body_sha256 is not None]
        duplicates = [b.source_event_id for b in self._bad if b.kind == "duplicate"]
        return {
            "truth_version": 1,
            "parameters": parameters,
            "stores": {
                p.store_id: {
                    "name": p.profile.name,
                    "timezone": p.profile.timezone,
                    "layout_version": p.layout_version,
                    "layout_versions": [p.layout_version]
                    + [c.plan.layout_version for c in self._changes if c.plan.store_id == s],
                    "opening_hours": {
                        day: f"{h[0]:02d}:00-{h[1]:02d}:00" if h else None
                        for day, h in zip(_WEEKDAYS, p.profile.hours, strict=True)
                    },
                }
                for s, p in self._plans.items()
            },
            "layout_changes": [
                {
                    "store_id": c.plan.store_id,
                    "zone_id": c.display,
                    "from_version": c.before.layout_version,
                    "to_version": c.plan.layout_version,
                    "effective_local_date": c.effective.isoformat(),
                    "change": "display moved to the front of its camera view",
                    "expected_effect": (
                        "a larger share of visitors stop (reach) and a higher engagement rate"
                    ),
                }
                for c in self._changes
            ],
            "capture": capture,
            "good_events": {
                "generated": sum(self._generated.values()),
                "by_type": dict(sorted(self._generated.items())),
            },
            "bad_input": {
                "policy": POLICY,
                "total": len(self._bad),
                "kinds": {
                    kind: {
                        "count": sum(b.kind == kind for b in self._bad),
                        "expected_reason": reason,
                    }
                    for kind, reason in EXPECTED_REASON.items()
                },
                "quarantined": [
                    {
                        "kind": b.kind,
                        "variant": b.variant,
                        "expected_reason": b.expected_reason,
                        "body_sha256": b.body_sha256,
                        "source_event_id": b.source_event_id,
                    }
                    for b in quarantined
                ],
                "duplicates": {"count": len(duplicates), "event_ids": duplicates},
                "late": {
                    "count": sum(b.kind == "late" for b in self._bad),
                    "event_ids": [b.source_event_id for b in self._bad if b.kind == "late"],
                },
            },
            "expected": {
                "accepted_events": sum(self._accepted.values()),
                "quarantined_records": len(quarantined),
                "duplicate_records": len(duplicates),
            },
            "events_by_type": dict(sorted(self._accepted.items())),
            "footfall_hourly": self._footfall_rows(),
            "zone_dwell_hourly": self._dwell_rows(),
            "demographics_daily": self._demographic_rows(),
        }

    def _footfall_rows(self) -> list[dict[str, Any]]:
        rows = []
        for (store, line, hour), (entries, exits) in sorted(self._footfall.items()):
            local = to_datetime(hour).astimezone(self._plans[store].profile.tz)
            rows.append(
                {
                    "store_id": store,
                    "line_id": line,
                    "hour_start_utc": _hour_text(hour),
                    "local_date": local.date().isoformat(),
                    "local_hour": local.hour,
                    "entries": entries,
                    "exits": exits,
                }
            )
        return rows

    def _dwell_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "store_id": store,
                "zone_id": zone,
                "hour_start_utc": _hour_text(hour),
                "visits": visits,
                "engaged_visits": engaged,
                "total_dwell_s": dwell_ms / 1000,
            }
            for (store, zone, hour), (visits, engaged, dwell_ms) in sorted(self._dwell.items())
        ]

    def _demographic_rows(self) -> list[dict[str, Any]]:
        return [
            {"store_id": s, "local_date": d, "age_band": a, "gender": g, "visitors": n}
            for (s, d, a, g), n in sorted(self._demographics.items())
        ]


def _hour_text(hour_ms: int) -> str:
    return to_datetime(hour_ms).strftime("%Y-%m-%dT%H:00:00Z")
