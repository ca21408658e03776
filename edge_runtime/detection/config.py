"""Which person detector the edge runtime runs, chosen in a YAML file by `kind`.

    kind: yolov8                  # ssd (built in) | yolov8 | custom_vision
    model: models/yolov8n.onnx    # relative paths are relative to this file's folder
    sha256: 3f2a…                 # optional: refuse the model if its bytes differ
    person_class: 0               # COCO's person

The built-in SSD needs no model (the vendored, hash-checked one is used); a user's own YOLOv8 or
Custom Vision export names its file, and for Custom Vision the label (or index) meaning "person".
Errors are one line naming the file, the field and the problem, as for store layouts, because the
people who write this file read the message on a device's console. Each detector module is
imported only when built, so loading a config does not import every detector's dependencies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from edge_runtime.detection.base import Detector
from footfall.config_files import first_problem, read_text, yaml_mapping


class DetectorConfigError(ValueError):
    """A detector config that cannot be used; one line naming the file, field and problem."""


def _against_config_folder(path: Path, info: ValidationInfo) -> Path:
    """Resolve a relative path against the config file's folder, not the runtime's working dir."""
    folder = (info.context or {}).get("config_folder")
    return folder / path if folder is not None and not path.is_absolute() else path


def _label_or_index(value: object) -> str | int:
    """A labels.txt name or a class index; YAML's quoting decides which (`"7"` is a name)."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ValueError("expected a label name from labels.txt or a class index >= 0")


ModelPath = Annotated[Path, AfterValidator(_against_config_folder)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]
Probability = Annotated[float, Field(ge=0, le=1)]
Threads = Annotated[int, Field(ge=1)]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SsdConfig(_Config):
    """The built-in SSD MobileNetV2 person detector; `model` swaps in another file of that kind."""

    kind: Literal["ssd"]
    model: ModelPath | None = None
    sha256: Sha256 | None = None
    # Person scores from this model are mostly 0.3 to 0.5 on indoor footage; boxes from 0.2 feed
    # ByteTrack's second stage, which only uses them to continue existing tracks.
    score_threshold: Probability = 0.2
    iou_threshold: Probability = 0.3
    threads: Threads = 1

    @model_validator(mode="after")
    def _hash_needs_model(self) -> SsdConfig:
        if self.sha256 is not None and self.model is None:
            raise ValueError("sha256: only applies with model (the vendored model has its own)")
        return self

    def build(self) -> Detector:
        from edge_runtime.detection.ssd import SsdPersonDetector

        model, sha256 = (
            (self.model, self.sha256) if self.model else SsdPersonDetector.default_model()
        )
        return SsdPersonDetector(
            model_path=model,
            sha256=sha256,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            threads=self.threads,
        )


class YoloV8Config(_Config):
    """A user's Ultralytics YOLOv8 ONNX export; `person_class` is its person index."""

    kind: Literal["yolov8"]
    model: ModelPath
    sha256: Sha256 | None = None
    person_class: Annotated[int, Field(ge=0)] = 0
    score_threshold: Probability = 0.35
    iou_threshold: Probability = 0.5
    threads: Threads = 1

    def build(self) -> Detector:
        from edge_runtime.detection.yolo import YoloV8Detector

        return YoloV8Detector(
            model_path=self.model,
            sha256=self.sha256,
            person_class=self.person_class,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            threads=self.threads,
        )


class CustomVisionConfig(_Config):
    """A user's Azure Custom Vision ONNX export; `person_label` is a labels.txt name or index."""

    kind: Literal["custom_vision"]
    model: ModelPath
    sha256: Sha256 | None = None
    labels: ModelPath | None = None  # None: labels.txt next to the model, as exported
    person_label: Annotated[str | int, PlainValidator(_label_or_index)] = "person"
    score_threshold: Probability = 0.35
    iou_threshold: Probability = 0.5
    threads: Threads = 1

    def build(self) -> Detector:
        from edge_runtime.detection.custom_vision import CustomVisionDetector

        return CustomVisionDetector(
            model_path=self.model,
            sha256=self.sha256,
            labels_path=self.labels,
            person_label=self.person_label,
            score_threshold=self.score_threshold,
            iou_threshold=self.iou_threshold,
            threads=self.threads,
        )


DetectorConfig = Annotated[
    SsdConfig | YoloV8Config | CustomVisionConfig, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[DetectorConfig] = TypeAdapter(DetectorConfig)


def build_detector(config: DetectorConfig) -> Detector:
    """The detector a config describes (opens and verifies its model file)."""
    return config.build()


def load_detector_config(path: str | Path) -> DetectorConfig:
    """Read and validate a detector config file; relative paths resolve against its folder."""
    path = Path(path)
    text = read_text(path, "detector config", DetectorConfigError)
    data = yaml_mapping(text, str(path), "kind and settings", DetectorConfigError)
    try:
        return _ADAPTER.validate_python(data, context={"config_folder": path.parent})
    except ValidationError as exc:
        raise DetectorConfigError(f"{path}: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    """The first problem; the union's `kind` tag is not a level of the file."""
    err = exc.errors()[0]
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    if err["type"] == "union_tag_not_found":
        return f"kind: Field required (ssd, yolov8 or custom_vision){more}"
    if err["type"] == "union_tag_invalid":
        return f"kind: {err['msg']}{more}"
    return first_problem(exc, skip=1)
