"""What a module twin's desired properties may set, validated like the files they stand in for.

    {
      "camera_id": "cam-entrance",
      "source": "rtsp://user:pass@192.0.2.10/stream1",
      "layout": {"store": {...}, "layout_version": "2026-11-01", "cameras": [...]},
      "detector": {"kind": "ssd"},
      "settings": {"analytics": {"occupancy_period_s": 30}}
    }

`layout` has the schema of a store layout file (or is that file's YAML text, for hubs or tools
that keep arrays out of twins); `detector` that of a `--detector` file, with relative model
paths resolved against the module's models folder; `settings` overrides `EdgeSettings`. Unknown
properties are refused rather than ignored: a misspelt key must not silently do nothing.

Errors are one line naming the property path, e.g.
`layout.cameras[0].zones[1].polygon[2][1]: Input should be less than or equal to 1`, because the
operator reads them in the twin's reported properties. `source` may carry camera credentials, so
it is a `SecretStr` (never printed) and no error message repeats it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from edge_runtime.detection.config import DetectorConfig, SsdConfig
from edge_runtime.settings import EdgeSettings
from edge_runtime.sources import STREAM_SCHEMES
from footfall.config_files import error_location
from footfall.layout import StoreLayout

DETECTOR_KINDS = ("ssd", "yolov8", "custom_vision")


class DesiredPropertiesError(ValueError):
    """Desired properties that cannot be applied; one line naming the property and problem."""


def _layout_document(value: Any) -> Any:
    """A layout given as YAML text is parsed here; a mapping goes to the model as it is."""
    if not isinstance(value, str):
        return value
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ValueError(f"{where}not valid YAML: {problem}") from exc


class ModuleConfig(BaseModel):
    """One camera's complete configuration as the twin sets it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    layout: Annotated[StoreLayout, BeforeValidator(_layout_document)]
    camera_id: str
    source: SecretStr
    detector: DetectorConfig = SsdConfig(kind="ssd")
    settings: EdgeSettings = EdgeSettings()

    @field_validator("camera_id")
    @classmethod
    def _camera_in_layout(cls, value: str, info: ValidationInfo) -> str:
        layout = info.data.get("layout")
        if layout is not None and value not in (ids := [c.id for c in layout.cameras]):
            raise ValueError(
                f"camera {value!r} is not in the layout of {layout.store.id} ({', '.join(ids)})"
            )
        return value

    @field_validator("source")
    @classmethod
    def _usable_source(cls, value: SecretStr) -> SecretStr:
        # Checked as `open_source` would, in words that never repeat the value (a password).
        spec = value.get_secret_value()
        if not spec.strip():
            raise ValueError("must name a video file, image folder, stream URL or webcam index")
        scheme = urlsplit(spec).scheme.lower()
        if scheme in STREAM_SCHEMES or spec.isdigit():
            return value
        if "://" in spec:
            raise ValueError(f"unsupported URL scheme {scheme!r}; use rtsp, rtsps, http or https")
        if not Path(spec).exists():
            raise ValueError("no such file or folder on the device (nor a stream URL or webcam)")
        return value


def parse_desired(properties: Mapping[str, Any], models_dir: Path) -> ModuleConfig:
    """Validate desired properties (IoT Hub's `$version` and other `$` keys are not settings)."""
    document = {key: value for key, value in properties.items() if not key.startswith("$")}
    try:
        return ModuleConfig.model_validate(document, context={"config_folder": models_dir})
    except ValidationError as exc:
        raise DesiredPropertiesError(_describe(exc)) from exc


def _describe(exc: ValidationError) -> str:
    """The first problem as `property.path: message`, plus how many more there are."""
    err = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    loc = list(err["loc"])
    if err["type"] == "union_tag_not_found":
        return f"{error_location(tuple(loc))}.kind: Field required ({', '.join(DETECTOR_KINDS)})"
    if err["type"] == "union_tag_invalid":
        return f"{error_location(tuple(loc))}.kind: {err['msg']}{more}"
    if loc[:1] == ["detector"] and len(loc) > 1 and loc[1] in DETECTOR_KINDS:
        del loc[1]  # the union's tag is not a level of the document
    message = err["msg"].removeprefix("Value error, ")
    return f"{error_location(tuple(loc))}: {message}{more}"
