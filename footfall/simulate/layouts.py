"""A plausible layout file per simulated store, written exactly as store staff would write one.

Each store gets an entrance camera (the `main-door` counting line and an entrance zone) and one or
two floor cameras with aisles, two to four product displays and a checkout. Zones on a camera sit
side by side across the frame so their polygons never overlap. Files go through the contract's
own parser before they are written, so every generated layout is one the platform accepts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from footfall.layout import StoreLayout, parse_layout
from footfall.simulate.stores import StoreProfile
from footfall.simulate.streams import stream

ENTRANCE_CAMERA = "cam-entrance"
ENTRANCE_LINE = "main-door"

_PRODUCTS = (
    "Winter coats",
    "Sneakers",
    "Denim",
    "Handbags",
    "Sunglasses",
    "Knitwear",
    "Fragrance",
    "Headphones",
    "Kids toys",
    "Home decor",
    "Watches",
    "Sportswear",
)
_AISLE_MIN_DWELL_S = 3.0
_CHECKOUT_MIN_DWELL_S = 5.0


def build_layout(profile: StoreProfile, version: date, seed: int, index: int) -> StoreLayout:
    """The layout of one store, effective from `version`."""
    return StoreLayout.model_validate(_layout_data(profile, version, seed, index))


def build_relayout(
    profile: StoreProfile, version: date, seed: int, index: int
) -> tuple[StoreLayout, str]:
    """A second layout version of a store, and the id of the display that changed.

    The store's first display is moved to the front of its camera's view (the column nearest
    the entrance) and re-signed; it keeps its zone id, product and `min_dwell_s`, so the
    before/after comparison is of the same display in a new place.
    """
    data = _layout_data(profile, version, seed, index)
    for camera in data["cameras"][1:]:
        displays = [z for z in camera["zones"] if z["type"] == "display"]
        if not displays:
            continue
        moved = {**displays[0], "name": f"{displays[0]['name']} (moved to the front)"}
        others = [z for z in camera["zones"] if z["id"] != moved["id"]]
        camera["zones"] = _side_by_side([moved, *others])
        return StoreLayout.model_validate(data), moved["id"]
    raise RuntimeError(f"{profile.store_id}: layout has no display to move")


def _layout_data(profile: StoreProfile, version: date, seed: int, index: int) -> dict[str, Any]:
    rng = stream(seed, "layout", index)
    floor_zones = [
        *_aisles(int(rng.integers(1, 4))),
        *_displays(rng, int(rng.integers(2, 5))),
        _zone("checkout", "Checkout", "checkout", _CHECKOUT_MIN_DWELL_S),
    ]
    floor_cameras = int(rng.integers(1, 3))
    split = (len(floor_zones) + 1) // 2 if floor_cameras == 2 else len(floor_zones)
    groups = [floor_zones[:split], floor_zones[split:]][:floor_cameras]
    cameras = [_entrance_camera()] + [
        {"id": f"cam-floor-{n}", "zones": _side_by_side(zones)}
        for n, zones in enumerate(groups, start=1)
    ]
    return {
        "store": {"id": profile.store_id, "name": profile.name, "timezone": profile.timezone},
        "layout_version": version.isoformat(),
        "cameras": cameras,
    }


def write_layouts(folder: Path, layouts: list[StoreLayout], *, versioned: bool = False) -> None:
    """Write each layout after checking it parses back to the same layout.

    A store's first layout is `{store_id}.yaml`; a later version (`versioned`) is
    `{store_id}@{layout_version}.yaml`, next to it, as staff would add one for a layout change.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for layout in layouts:
        suffix = f"@{layout.layout_version.isoformat()}" if versioned else ""
        path = folder / f"{layout.store.id}{suffix}.yaml"
        text = layout.to_yaml()
        if parse_layout(text, str(path)) != layout:
            raise RuntimeError(f"{path}: generated layout does not round-trip")
        path.write_text(text, encoding="utf-8")


def _entrance_camera() -> dict[str, Any]:
    # People walk into the store away from the camera mounted above the door, i.e. up the frame.
    return {
        "id": ENTRANCE_CAMERA,
        "lines": [
            {"id": ENTRANCE_LINE, "points": [[0.05, 0.85], [0.95, 0.85]], "in_direction": "up"}
        ],
        "zones": [
            {
                "id": "entrance",
                "name": "Entrance",
                "type": "entrance",
                "polygon": [[0.10, 0.40], [0.90, 0.40], [0.90, 0.80], [0.10, 0.80]],
                "min_dwell_s": 0.0,
            }
        ],
    }


def _aisles(count: int) -> list[dict[str, Any]]:
    return [
        _zone(f"aisle-{n}", f"Aisle {n}", "aisle", _AISLE_MIN_DWELL_S) for n in range(1, count + 1)
    ]


def _displays(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    products = rng.choice(len(_PRODUCTS), size=count, replace=False)
    out = []
    for p in products:
        product = _PRODUCTS[int(p)]
        min_dwell = float(rng.integers(4, 11)) / 2  # 2.0 .. 5.0 s in half seconds
        zone = _zone(
            f"display-{product.lower().replace(' ', '-')}",
            f"{product} display",
            "display",
            min_dwell,
        )
        out.append({**zone, "product": product})
    return out


def _zone(zone_id: str, name: str, kind: str, min_dwell_s: float) -> dict[str, Any]:
    return {"id": zone_id, "name": name, "type": kind, "min_dwell_s": min_dwell_s}


def _side_by_side(zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each zone a rectangle in its own column of the frame, floor area only (y 0.3..0.95)."""
    width = 0.9 / len(zones)
    out = []
    for n, zone in enumerate(zones):
        x0 = round(0.05 + n * width + 0.01, 4)
        x1 = round(0.05 + (n + 1) * width - 0.01, 4)
        polygon = [[x0, 0.30], [x1, 0.30], [x1, 0.95], [x0, 0.95]]
        out.append({**zone, "polygon": polygon})
    return out
