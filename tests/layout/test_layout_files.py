"""The example layouts in layouts/ are valid, round-trip, and bad layouts fail in one line."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from footfall.layout import LayoutError, StoreLayout, load_layout, load_layouts, parse_layout

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
FILES = sorted([*LAYOUTS.glob("*.yaml"), *LAYOUTS.glob("*.yml")])


def test_example_folder_has_three_stores_and_a_readme() -> None:
    assert [f.name for f in FILES] == ["store-001.yaml", "store-002.yaml", "store-003.yaml"]
    readme = (LAYOUTS / "README.md").read_text(encoding="utf-8")
    for word in (
        "normalised",
        "0..1",
        "feet",
        "bottom-centre",
        "min_dwell_s",
        "in_direction",
        "timezone",
    ):
        assert word in readme, word


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_example_file_loads(path: Path) -> None:
    layout = load_layout(path)
    assert layout.store.id == path.stem
    assert layout.cameras and layout.zones
    assert all(0 <= v <= 1 for z in layout.zones for pt in z.polygon for v in pt)


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_round_trip_through_to_yaml(path: Path) -> None:
    layout = load_layout(path)
    text = layout.to_yaml()
    again = parse_layout(text, "<round trip>")
    assert again == layout
    assert again.to_yaml() == text
    assert isinstance(again.layout_version, dt.date)


def test_load_layouts_reads_the_folder_sorted() -> None:
    layouts = load_layouts(LAYOUTS)
    assert [lay.store.id for lay in layouts] == ["store-001", "store-002", "store-003"]
    assert len({lay.store.timezone for lay in layouts}) == 3


def test_flagship_has_entrance_line_and_two_product_displays() -> None:
    flagship = load_layout(LAYOUTS / "store-001.yaml")
    assert flagship.store.name.startswith("Flagship")
    assert flagship.store.timezone == "Europe/London"
    entrance = flagship.camera("cam-entrance")
    assert [ln.id for ln in entrance.lines] == ["main-door"]
    assert entrance.lines[0].in_direction in ("up", "down")
    displays = [z for z in flagship.zones if z.type == "display"]
    assert len(displays) >= 2 and all(z.product for z in displays)
    assert all(z.min_dwell_s > 0 for z in displays)
    assert {z.type for z in flagship.zones} >= {"entrance", "aisle", "display", "checkout"}


def test_other_stores_are_in_other_time_zones() -> None:
    zones = {p.stem: load_layout(p).store.timezone for p in FILES}
    assert zones["store-002"] != "Europe/London" and zones["store-003"] != "Europe/London"


# -- bad files --------------------------------------------------------------------------------

BASE: dict[str, Any] = yaml.safe_load((LAYOUTS / "store-001.yaml").read_text(encoding="utf-8"))


def _edit(**changes: Any) -> dict[str, Any]:
    """A copy of the flagship layout with `a__b__0__c=value` style edits (None deletes)."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        keys: list[Any] = [int(k) if k.isdigit() else k for k in dotted.split("__")]
        node = data
        for key in keys[:-1]:
            node = node[key]
        if value is None:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return data


def _zone(zone_id: str) -> dict[str, Any]:
    return {
        "id": zone_id,
        "name": "Z",
        "type": "aisle",
        "polygon": [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]],
    }


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    # (case, data, field path, words of the problem)
    (
        "unknown-timezone",
        _edit(store__timezone="Europe/Atlantis"),
        "store.timezone",
        "unknown IANA timezone 'Europe/Atlantis'",
    ),
    (
        "coordinate-above-1",
        _edit(cameras__1__zones__0__polygon=[[0.1, 0.1], [1.2, 0.1], [0.5, 0.5]]),
        "cameras[1].zones[0].polygon[1][0]",
        "less than or equal to 1",
    ),
    (
        "negative-coordinate",
        _edit(cameras__0__lines__0__points=[[0.1, -0.2], [0.9, 0.8]]),
        "cameras[0].lines[0].points[0][1]",
        "greater than or equal to 0",
    ),
    (
        "polygon-two-points",
        _edit(cameras__1__zones__1__polygon=[[0.1, 0.1], [0.2, 0.2]]),
        "cameras[1].zones[1].polygon",
        "at least 3",
    ),
    (
        "polygon-no-area",
        _edit(cameras__1__zones__1__polygon=[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]),
        "cameras[1].zones[1]",
        "no area",
    ),
    (
        "duplicate-zone-in-camera",
        _edit(cameras__1__zones=[_zone("promo-table"), _zone("x"), _zone("promo-table")]),
        "cameras[1]",
        "duplicate zone id 'promo-table'",
    ),
    (
        "in-direction-along-line",
        _edit(cameras__0__lines__0__in_direction="left"),
        "cameras[0].lines[0]",
        "runs along the line",
    ),
    (
        "bad-in-direction",
        _edit(cameras__0__lines__0__in_direction="inwards"),
        "cameras[0].lines[0].in_direction",
        "'up', 'down', 'left' or 'right'",
    ),
    ("bad-store-id", _edit(store__id="Store_001"), "store.id", "pattern"),
    ("missing-cameras", _edit(cameras=None), "cameras", "Field required"),
    ("empty-cameras", _edit(cameras=[]), "cameras", "at least 1"),
    ("bad-layout-version", _edit(layout_version="2026-02-30"), "layout_version", "date"),
    (
        "bad-zone-type",
        _edit(cameras__1__zones__0__type="shelf"),
        "cameras[1].zones[0].type",
        "'entrance', 'aisle', 'display', 'checkout' or 'other'",
    ),
    (
        "negative-min-dwell",
        _edit(cameras__1__zones__0__min_dwell_s=-1),
        "cameras[1].zones[0].min_dwell_s",
        "greater than or equal to 0",
    ),
    (
        "unknown-key",
        _edit(cameras__1__zones__0__colour="red"),
        "cameras[1].zones[0].colour",
        "Extra inputs are not permitted",
    ),
]

_LINE = re.compile(r"^(?P<file>.+?): (?P<field>[^:]+): (?P<problem>.+)$")


def _error_for(tmp_path: Path, text: str, name: str = "store-x.yaml") -> tuple[Path, str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    return path, str(info.value)


@pytest.mark.parametrize(
    ("data", "field", "problem"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_layout_is_one_line_naming_file_field_and_problem(
    tmp_path: Path, data: dict[str, Any], field: str, problem: str
) -> None:
    path, message = _error_for(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert "\n" not in message
    m = _LINE.match(message)
    assert m, message
    assert m["file"] == str(path)
    assert m["field"] == field, message
    assert problem in m["problem"], message


def test_zone_id_shared_by_two_cameras_names_the_field(tmp_path: Path) -> None:
    """A zone id must be unique in the store; the error must point at the zones, not <root>."""
    data = _edit(cameras__0__zones__0__id="checkout")  # cam-floor-2 already has `checkout`
    path, message = _error_for(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert "\n" not in message
    assert message.startswith(f"{path}: cameras"), message
    assert "'checkout'" in message


def test_duplicate_camera_id_is_rejected(tmp_path: Path) -> None:
    data = _edit(cameras__2__id="cam-floor-1")
    path, message = _error_for(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert message.startswith(f"{path}: ") and "duplicate camera id" in message
    assert "\n" not in message


def test_several_problems_are_counted_on_the_same_line(tmp_path: Path) -> None:
    data = _edit(store__id="BAD ID", store__timezone="Nowhere/Town")
    _, message = _error_for(tmp_path, yaml.safe_dump(data, sort_keys=False))
    assert "\n" not in message and "store.id" in message and "(and 1 more)" in message


@pytest.mark.parametrize(
    "text",
    [
        "store: [unclosed\n",
        "store:\n  id: store-001\n    name: bad indent\n",
        "a: b: c\n",
        "cameras:\n\t- id: tab\n",
    ],
    ids=["unclosed-flow", "bad-indent", "nested-colon", "tab"],
)
def test_invalid_yaml(tmp_path: Path, text: str) -> None:
    path, message = _error_for(tmp_path, text)
    assert "\n" not in message
    assert re.match(rf"^{re.escape(str(path))}: line \d+: not valid YAML: \S", message), message


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"], ids=["empty", "list", "scalar"])
def test_yaml_that_is_not_a_mapping(tmp_path: Path, text: str) -> None:
    path, message = _error_for(tmp_path, text)
    assert message.startswith(f"{path}: <root>: expected a mapping"), message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value) == f"{path}: cannot read layout file: No such file or directory"


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(LayoutError) as info:
        load_layout(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: cannot read layout file: ")
    assert "\n" not in str(info.value)


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    """A layout saved in Latin-1 (e.g. "Café" from a spreadsheet) is unreadable, not a crash."""
    path = tmp_path / "store-009.yaml"
    text = yaml.safe_dump(
        _edit(store__name="Caf\u00e9 corner"), sort_keys=False, allow_unicode=True
    )
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(LayoutError) as info:
        load_layout(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_load_layouts_stops_at_the_bad_file(tmp_path: Path) -> None:
    for src in FILES:
        (tmp_path / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    bad = tmp_path / "store-004.yml"
    bad.write_text(
        yaml.safe_dump(_edit(store__id="store-004", store__timezone="Mars/Base")), encoding="utf-8"
    )
    with pytest.raises(LayoutError, match=rf"^{re.escape(str(bad))}: store.timezone: "):
        load_layouts(tmp_path)
    bad.unlink()
    assert len(load_layouts(tmp_path)) == 3


def test_boundary_coordinates_are_accepted() -> None:
    data = _edit(cameras__1__zones__0__polygon=[[0, 0], [1, 0], [1, 1], [0, 1]])
    layout = parse_layout(yaml.safe_dump(data), "edge.yaml")
    assert isinstance(layout, StoreLayout)
    assert layout.zones[1].polygon[2] == (1.0, 1.0)
