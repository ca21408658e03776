"""Store layout files (YAML contract): load, validate, and report problems in one line.

Store operations staff write these by hand, so every error names the file, the field (as a dotted
path such as `cameras[0].zones[1].polygon`) and the problem. Coordinates are normalised to the
camera frame (0..1, origin top-left) so a layout survives a change of camera resolution.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from footfall.config_files import first_problem, read_text, yaml_mapping

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)]
Point = tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]]


class LayoutError(ValueError):
    """A layout file that cannot be used; the message is one line naming file, field, problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Store(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9-]+$", max_length=64)]
    name: Annotated[str, Field(min_length=1)]
    timezone: str

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {value!r}") from exc
        return value


class Line(_Strict):
    """A counting line; crossing it in `in_direction` counts as an entry."""

    id: Identifier
    points: Annotated[list[Point], Field(min_length=2, max_length=2)]
    in_direction: Literal["up", "down", "left", "right"]

    @model_validator(mode="after")
    def _not_degenerate(self) -> Line:
        (x1, y1), (x2, y2) = self.points
        if (x1, y1) == (x2, y2):
            raise ValueError("line endpoints coincide")
        horizontal = abs(x2 - x1) >= abs(y2 - y1)
        if horizontal != (self.in_direction in ("up", "down")):
            raise ValueError(
                f"in_direction {self.in_direction!r} runs along the line, not across it"
            )
        return self


class Zone(_Strict):
    """A polygon on the floor; a person is in it when their feet (box bottom centre) are."""

    id: Identifier
    name: Annotated[str, Field(min_length=1)]
    type: Literal["entrance", "aisle", "display", "checkout", "other"]
    product: str | None = None
    polygon: Annotated[list[Point], Field(min_length=3)]
    min_dwell_s: Annotated[float, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _has_area(self) -> Zone:
        pts = self.polygon
        area2 = sum(
            pts[i][0] * pts[(i + 1) % len(pts)][1] - pts[(i + 1) % len(pts)][0] * pts[i][1]
            for i in range(len(pts))
        )
        if abs(area2) < 1e-9:
            raise ValueError("polygon has no area")
        return self


class Camera(_Strict):
    id: Identifier
    #: Age, gender and emotion from faces on this camera. Off means no face model runs and no
    #: `face_observation` is ever sent (e.g. a camera facing a pharmacy counter).
    face_analytics: bool = True
    lines: list[Line] = []
    zones: list[Zone] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Camera:
        for kind, items in (("line", self.lines), ("zone", self.zones)):
            ids = [item.id for item in items]
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} id {dupes[0]!r}")
        return self


class StoreLayout(_Strict):
    """One store's layout at one `layout_version` (its effective date)."""

    store: Store
    layout_version: dt.date
    cameras: Annotated[list[Camera], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_cameras_and_zones(self) -> StoreLayout:
        # Model-level checks have no field location of their own: the message names it.
        cams = [c.id for c in self.cameras]
        dupes = sorted({c for c in cams if cams.count(c) > 1})
        if dupes:
            raise ValueError(f"cameras: duplicate camera id {dupes[0]!r}")
        zones = [z.id for c in self.cameras for z in c.zones]
        dupes = sorted({z for z in zones if zones.count(z) > 1})
        if dupes:
            raise ValueError(f"cameras[*].zones: zone id {dupes[0]!r} used by more than one camera")
        return self

    def camera(self, camera_id: str) -> Camera:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise LayoutError(
            f"store {self.store.id}: no camera {camera_id!r} (has {[c.id for c in self.cameras]})"
        )

    @property
    def zones(self) -> list[Zone]:
        return [z for c in self.cameras for z in c.zones]

    @property
    def lines(self) -> list[Line]:
        return [ln for c in self.cameras for ln in c.lines]

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.safe_dump(data, sort_keys=False)


def parse_layout(text: str, source: str = "<string>") -> StoreLayout:
    """Validate layout YAML text; `source` names it in errors."""
    data = yaml_mapping(text, source, "store, layout_version, cameras", LayoutError)
    try:
        return StoreLayout.model_validate(data)
    except ValidationError as exc:
        raise LayoutError(f"{source}: {first_problem(exc)}") from exc


def load_layout(path: str | Path) -> StoreLayout:
    """Read and validate one layout file."""
    path = Path(path)
    return parse_layout(read_text(path, "layout file", LayoutError), str(path))


def load_layouts(folder: str | Path) -> list[StoreLayout]:
    """Every `*.yaml`/`*.yml` layout in a folder, sorted by store and version."""
    files = sorted([*Path(folder).glob("*.yaml"), *Path(folder).glob("*.yml")])
    layouts = [load_layout(p) for p in files]
    return sorted(layouts, key=lambda lay: (lay.store.id, lay.layout_version))
