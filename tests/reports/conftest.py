"""A small simulated chain built once for the report suites, and a headless Chromium.

Two stores over two local days (the first store changes its display layout on the second day, so
`rpt_layout_change_impact` has a before and an after), ingested for a few hours of each day only:
every hourly Dagster run costs seconds, and a few busy hours per day fill every mart.

The browser is the Debian `chromium` package (`make chromium`) driven by playwright's bundled
driver; nothing is downloaded, and the tests cut the page off the network.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance

from tests.pipeline.conftest import Platform, simulated

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HOURS_PER_DAY = 2


def build_chain(root: Path) -> Path:
    """Simulate the chain into `root` and build its warehouse through the real pipeline."""
    platform = Platform(root, DagsterInstance.ephemeral())
    simulated(platform.root, stores=2, days=2, visitors_per_day=80)
    platform.run_layouts()
    requests, _, _ = platform.tick(None)
    by_day: dict[str, list[str]] = {}
    for key in sorted({r.partition_key for r in requests}):
        by_day.setdefault(key[:10], []).append(key)
    chosen = []
    for day_keys in by_day.values():
        # The middle hours of each UTC day, when both stores are open.
        start = max(0, len(day_keys) // 2 - HOURS_PER_DAY // 2)
        chosen += day_keys[start : start + HOURS_PER_DAY]
    assert len(chosen) >= 2 * HOURS_PER_DAY, by_day
    for key in chosen:
        platform.run_ingest(key)
    platform.run_dbt_range(chosen[0], chosen[-1])
    return platform.root


@pytest.fixture(scope="session")
def chain_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_chain(tmp_path_factory.mktemp("report") / "data")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs it", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
