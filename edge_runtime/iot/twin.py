"""The module twin's desired document as IoT Hub holds it, and the status the module reports.

At start (and after a reconnect) the module reads the whole twin; afterwards it receives
patches. IoT Hub merges a patch into the desired document as a JSON merge patch (RFC 7386):
objects merge key by key, `null` removes a key, any other value (arrays included) replaces it.
`DesiredState` keeps that merged document even when it is invalid, so that a later patch fixing
the bad field makes the whole document valid again, exactly as the hub sees it.

Every decision is reported under `config` in the reported properties:

    {"config": {"status": "applied", "version": 7, "applied_version": 7, "error": null,
                "store_id": "store-001", "camera_id": "cam-entrance",
                "layout_version": "2026-11-01", "detector": "ssd"}}
    {"config": {"status": "rejected", "version": 8, "applied_version": 7,
                "error": "layout.cameras[0].zones[1].polygon: polygon has no area"}}

Reported properties merge too, so after a rejection the store and camera still describe what
runs (`applied_version`). `source` is never reported: it may carry camera credentials.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_runtime.iot.desired import DesiredPropertiesError, ModuleConfig, parse_desired

log = logging.getLogger(__name__)

REPORTED_KEY = "config"


@dataclass(frozen=True, slots=True)
class Accepted:
    """Desired properties at `version` form a valid configuration."""

    version: int | None
    config: ModuleConfig


@dataclass(frozen=True, slots=True)
class Rejected:
    """Desired properties at `version` cannot be applied; `error` is one line."""

    version: int | None
    error: str


Decision = Accepted | Rejected


def merge_patch(document: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`document` with `patch` merged in as IoT Hub merges desired-property patches."""
    merged = copy.deepcopy(dict(document))
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_patch(merged[key], value)
        elif isinstance(value, Mapping):
            merged[key] = merge_patch({}, value)  # nulls inside a new object are dropped too
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class DesiredState:
    """Follows the desired document through full reads and patches; not thread-safe."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self.document: dict[str, Any] = {}
        self.version: int | None = None

    def replace(self, desired: Mapping[str, Any]) -> Decision:
        """The whole desired document, as `get_twin()["desired"]` returns it."""
        self.document = {k: copy.deepcopy(v) for k, v in desired.items() if not k.startswith("$")}
        self.version = desired.get("$version")
        return self._decide()

    def patch(self, patch: Mapping[str, Any]) -> Decision | None:
        """A desired-properties patch; None if the document already includes it.

        Patches carry the version of the document they produce. One at or below the version
        already held arrived late (a reconnect's full read overtook it) and changes nothing.
        """
        version = patch.get("$version")
        if self.version is not None and version is not None and version <= self.version:
            log.info("desired properties patch %s ignored: version %s held", version, self.version)
            return None
        changes = {k: v for k, v in patch.items() if not k.startswith("$")}
        self.document = merge_patch(self.document, changes)
        self.version = version
        return self._decide()

    def _decide(self) -> Decision:
        try:
            return Accepted(self.version, parse_desired(self.document, self.models_dir))
        except DesiredPropertiesError as exc:
            return Rejected(self.version, str(exc))


def reported_applied(accepted: Accepted) -> dict[str, Any]:
    """The reported-properties patch saying `accepted` is what now runs."""
    config = accepted.config
    return {
        REPORTED_KEY: {
            "status": "applied",
            "version": accepted.version,
            "applied_version": accepted.version,
            "error": None,
            "store_id": config.layout.store.id,
            "camera_id": config.camera_id,
            "layout_version": config.layout.layout_version.isoformat(),
            "detector": config.detector.kind,
        }
    }


def reported_rejected(rejected: Rejected, applied_version: int | None) -> dict[str, Any]:
    """The reported-properties patch saying `rejected` was refused and what still runs."""
    return {
        REPORTED_KEY: {
            "status": "rejected",
            "version": rejected.version,
            "applied_version": applied_version,
            "error": rejected.error,
        }
    }


def reported_failed(error: str, applied_version: int | None) -> dict[str, Any]:
    """The reported-properties patch saying the running configuration stopped on an error."""
    return {REPORTED_KEY: {"status": "failed", "applied_version": applied_version, "error": error}}
