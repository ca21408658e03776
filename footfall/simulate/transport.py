"""What happens to events between the edge and Event Hubs: delay, and (optionally) faults.

Every good event is enqueued 0.2-3 s after it happened. With a bad-input share, a random set of
events, that many per hundred good ones, is picked and each suffers one fault:

- kinds the platform must quarantine replace the event they were made from (the good original is
  never sent and is not in the ground truth): malformed_json, invalid_encoding, schema_violation,
  too_late (enqueued 25-48 h after the event) and future (event_time 1-48 h after enqueueing);
- late events (enqueued 1-23 h after the event, inside the 24 h lateness) are still accepted;
- duplicates are the same body sent again 1-600 s later; the original is sent too and the
  platform counts the event once.

Every delay stays at least an hour away from the platform's 24 h lateness and 5 min clock-skew
limits, so Capture's whole-second enqueued times cannot flip a decision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from footfall.simulate.clock import HOUR_MS, SECOND_MS
from footfall.simulate.corruption import misencode, shift_event_time, truncate, violate
from footfall.simulate.emit import Emitted
from footfall.simulate.ids import IdSource

# kind -> the quarantine reason the platform should give it (None: not quarantined)
EXPECTED_REASON: dict[str, str | None] = {
    "malformed_json": "malformed_json",
    "invalid_encoding": "invalid_encoding",
    "schema_violation": "schema_violation",
    "duplicate": None,
    "late": None,
    "too_late": "too_late",
    "future": "future_event_time",
}
_KIND_SHARE = {
    "malformed_json": 0.12,
    "invalid_encoding": 0.06,
    "schema_violation": 0.22,
    "duplicate": 0.25,
    "late": 0.15,
    "too_late": 0.10,
    "future": 0.10,
}


@dataclass(frozen=True)
class BadRecord:
    """One injected fault; quarantine-bound ones carry the SHA-256 of the exact body sent."""

    kind: str
    variant: str
    source_event_id: str
    """The good event the record was made from (for duplicates and late ones, its own id)."""
    body_sha256: str | None

    @property
    def expected_reason(self) -> str | None:
        return EXPECTED_REASON[self.kind]


@dataclass
class Transmission:
    """A store-day as it reaches Event Hubs."""

    messages: list[tuple[int, bytes]] = field(default_factory=list)
    """(enqueued epoch ms, body) of every message sent, good and bad."""
    accepted: list[Emitted] = field(default_factory=list)
    """The good events the platform should accept, each once."""
    bad: list[BadRecord] = field(default_factory=list)


def transmit(
    events: list[Emitted], rng: np.random.Generator, ids: IdSource, bad_share: float
) -> Transmission:
    """Enqueue one store-day's events, injecting `bad_share` bad records per good event."""
    delays = rng.integers(200, 3_001, size=len(events)).tolist()
    faults = _pick_faults(rng, len(events), bad_share)
    kept = [i for i in range(len(events)) if i not in faults]
    out = Transmission(
        messages=[(events[i].event_ms + delays[i], events[i].body) for i in kept],
        accepted=[events[i] for i in kept],
    )
    for i in sorted(faults):
        _send_faulty(out, faults[i], events[i], events[i].event_ms + delays[i], rng, ids)
    return out


def _pick_faults(rng: np.random.Generator, count: int, bad_share: float) -> dict[int, str]:
    """Which events (by index) get which fault."""
    if count == 0 or bad_share == 0:
        return {}
    total = int(rng.binomial(count, bad_share))
    per_kind = rng.multinomial(total, list(_KIND_SHARE.values()))
    victims = rng.choice(count, size=total, replace=False).tolist()
    kinds = [kind for kind, n in zip(_KIND_SHARE, per_kind, strict=True) for _ in range(n)]
    return dict(zip(victims, kinds, strict=True))


def _send_faulty(
    out: Transmission,
    kind: str,
    event: Emitted,
    enqueued_ms: int,
    rng: np.random.Generator,
    ids: IdSource,
) -> None:
    body, variant = event.body, kind
    if kind == "duplicate":
        out.accepted.append(event)
        out.messages.append((enqueued_ms, body))
        enqueued_ms += int(rng.integers(1, 601)) * SECOND_MS
    elif kind == "late":
        out.accepted.append(event)
        enqueued_ms = event.event_ms + _uniform_ms(rng, 1, 23)
    elif kind == "too_late":
        enqueued_ms = event.event_ms + _uniform_ms(rng, 25, 48)
    elif kind == "future":
        body = shift_event_time(body, _uniform_ms(rng, 1, 48))
    elif kind == "malformed_json":
        body, variant = truncate(body, rng)
    elif kind == "invalid_encoding":
        body, variant = misencode(body, rng)
    else:
        body, variant = violate(body, rng, ids.event_id())
    out.messages.append((enqueued_ms, body))
    quarantined = EXPECTED_REASON[kind] is not None
    out.bad.append(
        BadRecord(
            kind=kind,
            variant=variant,
            source_event_id=event.event_id,
            body_sha256=hashlib.sha256(body).hexdigest() if quarantined else None,
        )
    )


def _uniform_ms(rng: np.random.Generator, low_h: int, high_h: int) -> int:
    return int(rng.integers(low_h * HOUR_MS, high_h * HOUR_MS + 1))
