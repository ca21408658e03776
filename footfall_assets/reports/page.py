"""The insights report as one self-contained HTML page.

plotly.js is inlined once in the page's head; each chart is a `<div>` plus a small script that
draws it, so the file opens offline (no script, stylesheet or font from the internet). Headline
numbers come first, then the charts by section; a chart without data is a "no data" panel.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import plotly
import plotly.io as pio
from plotly.offline import get_plotlyjs

from footfall_assets.reports.figures import Chart, build_charts, layout_verdict
from footfall_assets.reports.queries import ReportData

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": "hover"}

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f5f6f8; color: #1f2937;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { background: #111827; color: #f9fafb; padding: 24px 32px; }
header h1 { margin: 0 0 4px; font-size: 26px; }
header p { margin: 0; color: #cbd5e1; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }
.headlines { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr));
  gap: 12px; margin: 16px 0 8px; }
.headline { background: white; border-radius: 10px; padding: 14px 16px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.headline .label { font-size: 12px; text-transform: uppercase; letter-spacing: .05em;
  color: #6b7280; }
.headline .value { font-size: 24px; font-weight: 650; margin: 4px 0; }
.headline .detail { font-size: 13px; color: #4b5563; }
section h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 1px solid #e5e7eb;
  padding-bottom: 4px; }
figure.chart { background: white; border-radius: 10px; margin: 12px 0; padding: 14px 16px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); }
figure.chart h3 { margin: 0 0 2px; font-size: 16px; }
figure.chart figcaption { color: #4b5563; font-size: 14px; margin: 0 0 8px; }
.no-data { border: 2px dashed #d1d5db; border-radius: 8px; color: #6b7280; padding: 28px;
  text-align: center; font-size: 15px; }
footer { color: #6b7280; font-size: 12px; margin-top: 32px; }
"""


@dataclass
class Report:
    """What was written, for the asset's metadata."""

    path: Path
    size_bytes: int
    charts: int
    panels: int
    empty_panels: list[str]
    stores: list[str]
    date_range: tuple[str, str] | None
    suppressed_cells: int


def headlines(data: ReportData) -> list[tuple[str, str, str]]:
    """(label, value, detail) for the header cards."""
    cards = []
    fs = data.footfall_by_store
    if fs.empty:
        cards.append(("Visitors", "no data", "no entries counted yet"))
    else:
        days = int(fs["days"].max())
        cards.append(
            (
                "Visitors",
                f"{int(fs['visitors'].sum()):,}",
                f"entries over {days} day{'s' if days != 1 else ''} in {len(fs)} "
                f"store{'s' if len(fs) != 1 else ''}",
            )
        )
    hod = data.footfall_hour_of_day
    if hod.empty:
        cards.append(("Busiest hour", "no data", "no entries counted yet"))
    else:
        total = hod.groupby("local_hour")["avg_entries"].sum()
        h = int(total.idxmax())
        cards.append(
            (
                "Busiest hour",
                f"{h:02d}:00–{(h + 1) % 24:02d}:00",
                f"{total.max():,.0f} entries on an average day, all stores, local time",
            )
        )
    de = data.display_engagement.dropna(subset=["avg_dwell_s"])
    if de.empty:
        cards.append(("Longest dwell display", "no data", "no display visits yet"))
    else:
        top = de.sort_values("avg_dwell_s").iloc[-1]
        zone = top["zone"] if isinstance(top["zone"], str) else top["zone_id"]
        product = f" ({top['product']})" if isinstance(top["product"], str) else ""
        cards.append(
            (
                "Longest dwell display",
                f"{zone}",
                f"{top['store']}{product}: {top['avg_dwell_s']:.0f} s per visit",
            )
        )
    lc = data.layout_change
    if lc.empty:
        cards.append(("Did the layout change help?", "no change yet", "no layout change in data"))
    else:
        verdict = layout_verdict(lc)
        value = next(
            (v for v in ("Yes", "Not clearly", "No") if verdict.startswith(v + " ")),
            "Too early to tell",
        )
        cards.append(("Did the layout change help?", value, verdict))
    return cards


def _chart_html(chart: Chart) -> str:
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in chart.attrs.items())
    head = (
        f'<figure class="chart" id="panel-{chart.key}" data-chart="{chart.key}"{attrs}>'
        f"<h3>{html.escape(chart.title)}</h3>"
        f"<figcaption>{html.escape(chart.caption)}</figcaption>"
    )
    if chart.figure is None:
        return head + '<div class="no-data">No data yet</div></figure>'
    body = pio.to_html(
        chart.figure,
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"chart-{chart.key}",
        config=PLOTLY_CONFIG,
        default_width="100%",
    )
    return head + body + "</figure>"


def render(data: ReportData, charts: list[Chart], generated: datetime) -> str:
    stores = data.stores["store"].tolist() if not data.stores.empty else data.store_ids
    dr = data.date_range
    period = f"{dr[0]} to {dr[1]}" if dr else "no data yet"
    subtitle = (
        f"{len(stores)} store{'s' if len(stores) != 1 else ''}"
        + (f": {', '.join(stores)}" if stores else "")
        + f" · {period} (store-local dates)"
    )
    cards = "".join(
        f'<div class="headline"><div class="label">{html.escape(label)}</div>'
        f'<div class="value">{html.escape(value)}</div>'
        f'<div class="detail">{html.escape(detail)}</div></div>'
        for label, value, detail in headlines(data)
    )
    sections: dict[str, list[Chart]] = {}
    for chart in charts:
        sections.setdefault(chart.section, []).append(chart)
    body = "".join(
        f"<section><h2>{html.escape(name)}</h2>{''.join(_chart_html(c) for c in group)}</section>"
        for name, group in sections.items()
    )
    n = sum(1 for c in charts if c.figure is not None)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="footfall-charts" content="{n}">
<title>Footfall insights</title>
<style>{CSS}</style>
<script>{get_plotlyjs()}</script>
</head>
<body>
<header><h1>Footfall insights</h1><p>{html.escape(subtitle)}</p></header>
<main>
<div class="headlines">{cards}</div>
{body}
<footer>Generated {generated:%Y-%m-%d %H:%M} UTC from schema marts by the Dagster asset
insights_report (plotly {plotly.__version__}). Demographic and sentiment cells with fewer than
{data.k} visitors are suppressed (k-anonymity).</footer>
</main>
</body>
</html>
"""


def write_report(data: ReportData, path: Path, generated: datetime | None = None) -> Report:
    """Build the charts from `data` and write the page to `path` (atomically)."""
    charts = build_charts(data)
    text = render(data, charts, generated or datetime.now(UTC))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    suppressed = next(
        (
            int(c.attrs["data-suppressed-cells"])
            for c in charts
            if "data-suppressed-cells" in c.attrs
        ),
        0,
    )
    return Report(
        path=path,
        size_bytes=path.stat().st_size,
        charts=sum(1 for c in charts if c.figure is not None),
        panels=len(charts),
        empty_panels=[c.key for c in charts if c.figure is None],
        stores=data.store_ids,
        date_range=data.date_range,
        suppressed_cells=suppressed,
    )
