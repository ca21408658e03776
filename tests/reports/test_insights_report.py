"""The insights report: built through Dagster from a real warehouse, rendered in headless Chromium.

The page is opened from file:// with every other request aborted, so a chart that needed the
internet (a CDN script, a web font) would show up as a request or a console error here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, materialize
from PIL import Image, ImageStat

from footfall_assets.assets.reports import INSIGHTS_REPORT_KEY, insights_report, report_path
from footfall_assets.definitions import build_definitions, build_resources
from footfall_assets.reports.queries import TABLES

PANELS = 11  # charts the page has room for; those without data are "no data" panels


def build_report(root: Path) -> dict:
    """Materialize the report asset through Dagster; its materialization metadata by name."""
    result = materialize(
        [insights_report],
        resources={"warehouse": build_resources(root)["warehouse"]},
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    meta = event.materialization.metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def open_offline(browser, path: Path) -> tuple[object, dict]:
    """A page showing `path`, cut off the network; what it tried to reach and what it logged."""
    seen: dict[str, list[str]] = {"blocked": [], "errors": [], "requests": []}
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def route(r) -> None:
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("request", lambda req: seen["requests"].append(req.url))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, seen


def rendered_charts(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => {
             const svg = el.querySelector('.main-svg');
             const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
             return {id: el.id, width: box.width, height: box.height};
           })"""
    )


@pytest.fixture(scope="module")
def built(chain_root: Path) -> tuple[Path, dict]:
    meta = build_report(chain_root)
    return report_path(chain_root), meta


def test_asset_is_in_group_reports_downstream_of_the_marts(tmp_path: Path) -> None:
    defs = build_definitions(tmp_path)
    graph = defs.resolve_asset_graph()
    node = graph.get(INSIGHTS_REPORT_KEY)
    assert node.group_name == "reports"
    assert node.owners == ["team:data-platform"]
    assert {"html", "plotly"} <= set(node.kinds)
    assert node.description
    parents = {k.path[-1] for k in node.parent_keys}
    assert set(TABLES) <= parents
    assert AssetKey(["marts", "fact_footfall_hourly"]) in node.parent_keys


def test_metadata_describes_the_file(built: tuple[Path, dict]) -> None:
    path, meta = built
    assert path.is_file()
    assert meta["path"] == str(path)
    assert meta["dagster/uri"] == path.as_uri()
    assert meta["size_bytes"] == path.stat().st_size
    assert meta["charts"] == PANELS, meta["panels_without_data"]
    assert meta["stores"] == ["store-001", "store-002"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \.\. \d{4}-\d\d-\d\d", meta["date_range"])
    assert meta["suppressed_demographic_cells"] > 0


def test_page_is_self_contained(built: tuple[Path, dict]) -> None:
    text = built[0].read_text(encoding="utf-8")
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", text, flags=re.I)
    external = [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", t)]
    assert external == []
    assert not re.search(r"<script[^>]*\bsrc=", text, flags=re.I), "every script is inline"
    assert not re.search(r"<link[^>]*stylesheet", text, flags=re.I)
    assert not re.search(r"@import|@font-face", text)
    # plotly.js is inlined once, not once per chart.
    assert text.count("* plotly.js v") == 1


def test_report_renders_offline_in_chromium(browser, built: tuple[Path, dict], tmp_path: Path):
    path, meta = built
    page, seen = open_offline(browser, path)
    try:
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {meta['charts']}",
            timeout=30_000,
        )
        charts = rendered_charts(page)
        assert len(charts) == meta["charts"]
        assert all(c["width"] > 100 and c["height"] > 100 for c in charts), charts
        assert page.locator("figure.chart").count() == PANELS
        assert page.locator(".no-data").count() == PANELS - meta["charts"]
        for card in page.locator(".headline .value").all_inner_texts():
            assert card and card != "no data"

        # Suppressed demographic cells are on the chart, labelled, not dropped.
        panel = page.locator("[data-chart=demographics]")
        suppressed = int(panel.get_attribute("data-suppressed-cells"))
        assert suppressed == meta["suppressed_demographic_cells"] > 0
        labels = panel.locator("svg text", has_text=re.compile(r"^fewer than \d+$"))
        assert labels.count() == suppressed
        assert labels.first.is_visible()
        assert "suppressed" in panel.locator("figcaption").inner_text()

        # The layout change panel says how many days are behind each side.
        caption = page.locator("[data-chart=layout-change] figcaption").inner_text()
        assert re.search(r"\d+ trading days? before, \d+ after", caption), caption

        shot = tmp_path / "insights.png"
        page.screenshot(path=str(shot), full_page=True)
    finally:
        page.close()
    assert seen["errors"] == []
    assert seen["blocked"] == []
    assert all(u.startswith(("file://", "data:", "blob:")) for u in seen["requests"]), seen
    assert_real_screenshot(shot)


def assert_real_screenshot(shot: Path) -> None:
    """A PNG of a long page with real content: not blank, not one flat colour."""
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000
    with Image.open(shot) as img:
        width, height = img.size
        assert width >= 1200 and height > 2500, img.size
        rgb = img.convert("RGB")
        small = rgb.resize((width // 4, height // 4))
        colours = small.getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 200
        stat = ImageStat.Stat(rgb.convert("L"))
        assert stat.stddev[0] > 10


def test_empty_tables_render_no_data_panels(browser, chain_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(chain_root / "warehouse.duckdb", root / "warehouse.duckdb")
    with duckdb.connect(str(root / "warehouse.duckdb")) as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM marts.{table}")
    _assert_empty_report(browser, root)


def test_fresh_warehouse_renders_no_data_panels(browser, tmp_path: Path) -> None:
    root = tmp_path / "data"
    _assert_empty_report(browser, root)


def _assert_empty_report(browser, root: Path) -> None:
    meta = build_report(root)
    assert meta["charts"] == 0
    assert len(meta["panels_without_data"]) == PANELS
    assert meta["date_range"] == "none"
    page, seen = open_offline(browser, report_path(root))
    try:
        assert page.locator(".no-data").count() == PANELS
        assert page.locator(".js-plotly-plot").count() == 0
        assert "no data" in page.locator(".headlines").inner_text().lower()
    finally:
        page.close()
    assert seen["errors"] == [] and seen["blocked"] == []
