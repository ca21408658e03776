"""A store as the generator sees it: its layout flattened into indexed zones, cameras and devices.

Generation works on arrays indexed by zone, so the nested layout model is resolved once per store
into this plan instead of being searched per visitor or per event.
"""

from __future__ import annotations

from dataclasses import dataclass

from footfall.layout import StoreLayout, Zone
from footfall.simulate.clock import HOUR_MS
from footfall.simulate.layouts import ENTRANCE_CAMERA, ENTRANCE_LINE
from footfall.simulate.stores import StoreProfile
from footfall.simulate.streams import stream

Box = tuple[float, float, float, float]
"""Bounding box of a zone polygon in frame coordinates: x0, y0, x1, y1."""


@dataclass(frozen=True)
class ZoneSpec:
    """What generation needs to know about one zone."""

    id: str
    type: str
    camera_id: str
    min_dwell_s: float
    box: Box
    featured: bool = False
    """A display given a better place by a layout change: it draws more, and fewer pass-bys."""


@dataclass(frozen=True)
class StorePlan:
    """One store's profile and layout, resolved for generation."""

    profile: StoreProfile
    layout_version: str
    line_id: str
    entrance_camera: str
    zones: tuple[ZoneSpec, ...]
    entrance_zone: int
    floor_zones: tuple[int, ...]
    """Indices of aisles and displays: where a visitor browses."""
    checkout_zone: int | None
    cameras: tuple[str, ...]
    boot_ms: tuple[int, ...]
    """Per camera (same order): when its edge device last booted, for heartbeat uptime."""

    @property
    def store_id(self) -> str:
        return self.profile.store_id

    def device_id(self, camera_id: str) -> str:
        """One edge device per camera, named after store and camera."""
        return f"edge-{self.store_id}-{camera_id}"


def make_plan(
    profile: StoreProfile,
    layout: StoreLayout,
    seed: int,
    index: int,
    start_ms: int,
    featured: str | None = None,
) -> StorePlan:
    """Resolve a layout; its devices booted 1-72 h before `start_ms` (the simulation start).

    `featured` names a display that a layout change has moved somewhere more prominent.
    """
    zones = tuple(
        ZoneSpec(z.id, z.type, cam.id, z.min_dwell_s, _box(z), z.id == featured)
        for cam in layout.cameras
        for z in cam.zones
    )
    types = [z.type for z in zones]
    rng = stream(seed, "devices", index)
    boot = rng.integers(1 * HOUR_MS, 72 * HOUR_MS, size=len(layout.cameras))
    return StorePlan(
        profile=profile,
        layout_version=layout.layout_version.isoformat(),
        line_id=ENTRANCE_LINE,
        entrance_camera=ENTRANCE_CAMERA,
        zones=zones,
        entrance_zone=types.index("entrance"),
        floor_zones=tuple(i for i, t in enumerate(types) if t in ("aisle", "display")),
        checkout_zone=types.index("checkout") if "checkout" in types else None,
        cameras=tuple(cam.id for cam in layout.cameras),
        boot_ms=tuple(start_ms - int(b) for b in boot),
    )


def _box(zone: Zone) -> Box:
    xs = [p[0] for p in zone.polygon]
    ys = [p[1] for p in zone.polygon]
    return min(xs), min(ys), max(xs), max(ys)
