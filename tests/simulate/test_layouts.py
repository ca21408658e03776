"""Generated layouts are valid contract files with the structure the simulation relies on."""

from __future__ import annotations

from datetime import date

from footfall.layout import load_layouts, parse_layout
from footfall.simulate import simulate
from footfall.simulate.layouts import build_layout
from footfall.simulate.stores import make_stores


def test_every_written_layout_loads(clean) -> None:
    layouts = load_layouts(clean.result.layouts_dir)
    versions = [(lay.store.id, lay.layout_version) for lay in layouts]
    # The first store's layout changes half-way through the two days: a second version.
    assert versions == [
        ("store-001", date(2026, 10, 24)),
        ("store-001", date(2026, 10, 25)),
        ("store-002", date(2026, 10, 24)),
    ]


def test_layout_change_moves_one_display_and_is_in_the_truth(clean) -> None:
    before, after = load_layouts(clean.result.layouts_dir)[:2]
    (change,) = clean.truth["layout_changes"]
    assert change["store_id"] == "store-001"
    assert (change["from_version"], change["to_version"]) == ("2026-10-24", "2026-10-25")
    old = {z.id: z for z in before.zones}
    new = {z.id: z for z in after.zones}
    assert old.keys() == new.keys()
    moved = change["zone_id"]
    assert new[moved].type == "display" and new[moved].polygon != old[moved].polygon
    assert (new[moved].product, new[moved].min_dwell_s) == (
        old[moved].product,
        old[moved].min_dwell_s,
    )
    # events carry the version in effect on their local date
    by_date = {
        (e["event_time"][:10], e["layout_version"])
        for e in clean.accepted
        if e["store_id"] == "store-001" and e["event_type"] == "zone_visit"
    }
    assert by_date == {("2026-10-24", "2026-10-24"), ("2026-10-25", "2026-10-25")}


def test_no_layout_change_in_a_one_day_run(tmp_path) -> None:
    result = simulate(tmp_path, stores=1, days=1, start=date(2026, 10, 5), visitors_per_day=5)
    assert [p.name for p in result.layouts_dir.iterdir()] == ["store-001.yaml"]


def test_layout_structure_for_many_stores() -> None:
    profiles = make_stores(seed=3, count=30)
    for i, profile in enumerate(profiles):
        layout = build_layout(profile, date(2026, 1, 1), seed=3, index=i)
        assert parse_layout(layout.to_yaml(), profile.store_id) == layout
        entrance = layout.camera("cam-entrance")
        assert [ln.id for ln in entrance.lines] == ["main-door"]
        assert entrance.lines[0].in_direction == "up"
        assert [z.type for z in entrance.zones] == ["entrance"]
        floor = [c for c in layout.cameras if c.id != "cam-entrance"]
        assert 1 <= len(floor) <= 2
        zones = [z for c in floor for z in c.zones]
        displays = [z for z in zones if z.type == "display"]
        assert 2 <= len(displays) <= 4
        assert all(z.product and 2 <= z.min_dwell_s <= 5 for z in displays)
        assert sum(z.type == "checkout" for z in zones) == 1
        assert any(z.type == "aisle" for z in zones)


def test_stores_are_spread_over_time_zones() -> None:
    profiles = make_stores(seed=0, count=14)
    assert [p.store_id for p in profiles][:2] == ["store-001", "store-002"]
    assert profiles[-1].store_id == "store-014"
    assert len({p.timezone for p in profiles[:5]}) == 5
    assert len({p.name for p in profiles}) == 14
    for p in profiles:
        assert p.hours[0] is not None and p.hours[0][0] < p.hours[0][1]
        sunday = p.hours[6]
        assert sunday is None or sunday[1] - sunday[0] < p.hours[0][1] - p.hours[0][0]
