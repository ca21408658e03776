"""The insights report's charts: plotly figures with a title and a caption that answers a question.

Each builder takes the `ReportData` and returns a `Chart`; a chart whose data is empty has no
figure and the page shows "no data" in its place. Captions are written from the numbers, so they
say what the chart shows (which store was busiest, which display held people longest).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from footfall_assets.reports.queries import AGE_BANDS, EMOTIONS, GENDERS, ReportData

PALETTE = ["#2563eb", "#ea580c", "#059669", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777"]
BEFORE, AFTER = "#94a3b8", "#2563eb"
SUPPRESSED = "#d4d4d8"
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
EMOTION_COLOURS = {
    "happy": "#16a34a",
    "surprise": "#84cc16",
    "neutral": "#a1a1aa",
    "sad": "#3b82f6",
    "fear": "#8b5cf6",
    "disgust": "#a16207",
    "angry": "#dc2626",
}
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


@dataclass
class Chart:
    """One panel of the report: `figure` is None when there is nothing to show."""

    key: str
    section: str
    title: str
    caption: str
    figure: go.Figure | None = None
    attrs: dict[str, str] = field(default_factory=dict)


def _layout(fig: go.Figure, height: int, **kwargs: object) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        font={"family": FONT, "size": 12, "color": "#1f2937"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        legend={"orientation": "h", "y": -0.18, "x": 0},
        hoverlabel={"font": {"family": FONT}},
        **kwargs,
    )
    fig.update_xaxes(showgrid=False, linecolor="#d1d5db", zeroline=False)
    fig.update_yaxes(gridcolor="#eef0f3", zeroline=False)
    return fig


def _store_colours(data: ReportData) -> dict[str, str]:
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(data.store_ids)}


def _hour(h: float) -> str:
    return f"{int(h):02d}:00"


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 90 else f"{s / 60:.1f} min"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _label(df: pd.DataFrame, multi_store: bool) -> pd.Series:
    zone = df["zone"].fillna(df["zone_id"]).astype(str)
    return df["store"].astype(str) + " · " + zone if multi_store else zone


def visitors_per_store(data: ReportData) -> Chart:
    df = data.footfall_by_store
    chart = Chart(
        "visitors-per-store",
        "Footfall",
        "Visitors per store",
        "How many people came in? No entries have been counted yet.",
    )
    if df.empty:
        return chart
    colours = _store_colours(data)
    top = df.sort_values("visitors", ascending=False).iloc[0]
    days = int(df["days"].max())
    chart.caption = (
        f"How many people came in? {int(df['visitors'].sum()):,} visitors over {days} "
        f"day{'s' if days != 1 else ''} across {len(df)} store{'s' if len(df) != 1 else ''}, "
        f"most at {top['store']} ({int(top['visitors']):,})."
    )
    fig = go.Figure(
        go.Bar(
            x=df["store"],
            y=df["visitors"],
            marker_color=[colours[s] for s in df["store_id"]],
            text=[f"{int(v):,}" for v in df["visitors"]],
            textposition="outside",
            customdata=df["days"],
            hovertemplate="%{x}<br>%{y:,} visitors over %{customdata} days<extra></extra>",
        )
    )
    chart.figure = _layout(fig, 320, yaxis_title="visitors (entries)", showlegend=False)
    return chart


def footfall_by_hour(data: ReportData) -> Chart:
    df = data.footfall_hour_of_day
    chart = Chart(
        "footfall-by-hour",
        "Footfall",
        "Footfall by hour of day",
        "When do people come in? No entries have been counted yet.",
    )
    if df.empty:
        return chart
    colours = _store_colours(data)
    total = df.groupby("local_hour")["avg_entries"].sum()
    busiest = int(total.idxmax())
    chart.caption = (
        f"When do people come in? Busiest between {_hour(busiest)} and {_hour(busiest + 1)} "
        "local time; each line is a store's average entries per hour of an open day."
    )
    fig = go.Figure()
    for store_id, g in df.groupby("store_id", sort=True):
        fig.add_trace(
            go.Scatter(
                x=g["local_hour"],
                y=g["avg_entries"],
                name=str(g["store"].iloc[0]),
                mode="lines+markers",
                line={"color": colours[store_id], "width": 2},
                hovertemplate="%{x}:00  %{y:.1f} entries<extra>%{fullData.name}</extra>",
            )
        )
    _layout(fig, 340, yaxis_title="average entries per hour", xaxis_title="local hour")
    fig.update_xaxes(tickmode="linear", dtick=2, range=[-0.5, 23.5])
    chart.figure = fig
    return chart


def weekday_heatmap(data: ReportData) -> Chart:
    df = data.footfall_weekday_hour
    chart = Chart(
        "weekday-heatmap",
        "Footfall",
        "Footfall by weekday and hour",
        "Which days and hours are busiest? No entries have been counted yet.",
    )
    if df.empty:
        return chart
    stores = list(dict.fromkeys(df.sort_values("store_id")["store"]))
    top = df.sort_values("avg_entries", ascending=False).iloc[0]
    chart.caption = (
        "Which days and hours are busiest? The darker the cell, the more entries on average; "
        f"the peak is {WEEKDAYS[int(top['weekday']) - 1]} {_hour(top['local_hour'])} "
        f"at {top['store']}."
    )
    fig = make_subplots(
        rows=len(stores), cols=1, shared_xaxes=True, subplot_titles=stores, vertical_spacing=0.08
    )
    zmax = float(df["avg_entries"].max()) or 1.0
    hours = list(range(24))
    for row, store in enumerate(stores, start=1):
        g = df[df["store"] == store]
        days = sorted(int(d) for d in g["weekday"].unique())
        z = [[_cell(g, day, hour) for hour in hours] for day in days]
        fig.add_trace(
            go.Heatmap(
                x=hours,
                y=[WEEKDAYS[d - 1] for d in days],
                z=z,
                zmin=0,
                zmax=zmax,
                colorscale="Blues",
                showscale=row == 1,
                colorbar={"title": {"text": "entries"}, "len": 0.6},
                hovertemplate="%{y} %{x}:00<br>%{z:.1f} entries<extra>" + store + "</extra>",
                xgap=1,
                ygap=1,
            ),
            row=row,
            col=1,
        )
    _layout(fig, 110 + 150 * len(stores))
    fig.update_xaxes(tickmode="linear", dtick=2, range=[-0.5, 23.5])
    fig.update_xaxes(title_text="local hour", row=len(stores), col=1)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    chart.figure = fig
    return chart


def _cell(g: pd.DataFrame, day: int, hour: int) -> float | None:
    hit = g[(g["weekday"] == day) & (g["local_hour"] == hour)]["avg_entries"]
    return float(hit.iloc[0]) if len(hit) else None


def occupancy(data: ReportData) -> Chart:
    df = data.occupancy_time_of_day
    chart = Chart(
        "occupancy",
        "In the store",
        "Occupancy through the day",
        "How busy is the floor through the day? No occupancy samples yet.",
    )
    if df.empty:
        return chart
    colours = _store_colours(data)
    df = df.assign(t=df["local_hour"] + df["minute"] / 60.0)
    top = df.sort_values("avg_occupancy", ascending=False).iloc[0]
    chart.caption = (
        "How busy is the floor through the day? People in view of the cameras per 15 minutes "
        f"(average over the days, dotted: the peak); fullest at {top['store']} around "
        f"{int(top['local_hour']):02d}:{int(top['minute']):02d} with "
        f"{top['avg_occupancy']:.1f} people on average."
    )
    fig = go.Figure()
    for store_id, g in df.groupby("store_id", sort=True):
        name = str(g["store"].iloc[0])
        labels = [
            f"{int(h):02d}:{int(m):02d}" for h, m in zip(g["local_hour"], g["minute"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=g["t"],
                y=g["avg_occupancy"],
                name=name,
                mode="lines",
                line={"color": colours[store_id], "width": 2, "shape": "hv"},
                customdata=labels,
                hovertemplate="%{customdata}  %{y:.1f} people on average<extra>"
                + name
                + "</extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=g["t"],
                y=g["max_occupancy"],
                name=f"{name} (peak)",
                mode="lines",
                showlegend=False,
                line={"color": colours[store_id], "width": 1, "dash": "dot", "shape": "hv"},
                customdata=labels,
                hovertemplate="%{customdata}  peak %{y:.0f} people<extra>" + name + "</extra>",
            )
        )
    _layout(fig, 340, yaxis_title="people in view", xaxis_title="local time")
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(0, 25, 2)),
        ticktext=[f"{h:02d}:00" for h in range(0, 25, 2)],
    )
    chart.figure = fig
    return chart


def dwell_by_zone(data: ReportData) -> Chart:
    df = data.dwell_by_zone
    chart = Chart(
        "dwell-by-zone",
        "In the store",
        "Dwell by zone",
        "Where do people spend their time? No zone visits yet.",
    )
    if df.empty:
        return chart
    colours = _store_colours(data)
    multi = df["store_id"].nunique() > 1
    df = df.assign(label=_label(df, multi)).sort_values("avg_dwell_s")
    top = df.iloc[-1]
    chart.caption = (
        "Where do people spend their time? Average time per visit in each zone; longest at "
        f"{top['label']} ({_seconds(top['avg_dwell_s'])} over {int(top['visits']):,} visits)."
    )
    fig = go.Figure(
        go.Bar(
            y=df["label"],
            x=df["avg_dwell_s"],
            orientation="h",
            marker_color=[colours[s] for s in df["store_id"]],
            text=[_seconds(s) for s in df["avg_dwell_s"]],
            textposition="outside",
            cliponaxis=False,
            customdata=df["visits"],
            hovertemplate="%{y}<br>%{x:.0f} s per visit, %{customdata:,} visits<extra></extra>",
        )
    )
    _layout(fig, 90 + 24 * len(df), xaxis_title="average dwell per visit (s)", showlegend=False)
    fig.update_layout(margin={"l": 200, "r": 70})
    fig.update_xaxes(showgrid=True, gridcolor="#eef0f3")
    chart.figure = fig
    return chart


def display_engagement(data: ReportData) -> Chart:
    df = data.display_engagement
    chart = Chart(
        "display-engagement",
        "Displays",
        "Display engagement",
        "Which displays make people stop? No display visits yet.",
    )
    if df.empty:
        return chart
    colours = _store_colours(data)
    multi = df["store_id"].nunique() > 1
    df = df.assign(label=_label(df, multi), rate=df["engagement_rate"].astype(float).fillna(0.0))
    df = df.sort_values("rate")
    top = df.iloc[-1]
    chart.caption = (
        "Which displays make people stop? Share of visits long enough to count as engaged; "
        f"best is {top['label']} with {_pct(top['rate'])} of {int(top['visits']):,} visits."
    )
    fig = go.Figure(
        go.Bar(
            y=df["label"],
            x=df["rate"],
            orientation="h",
            marker_color=[colours[s] for s in df["store_id"]],
            text=[
                f"{_pct(r)} of {int(v):,}" for r, v in zip(df["rate"], df["visits"], strict=True)
            ],
            textposition="outside",
            cliponaxis=False,
            customdata=list(
                zip(df["engaged"], df["visits"], df["product"].fillna("-"), strict=True)
            ),
            hovertemplate=(
                "%{y} (%{customdata[2]})<br>%{customdata[0]:,} engaged of %{customdata[1]:,}"
                " visits<extra></extra>"
            ),
        )
    )
    _layout(fig, 90 + 28 * len(df), xaxis_title="engagement rate", showlegend=False)
    fig.update_layout(margin={"l": 200, "r": 80})
    fig.update_xaxes(tickformat=".0%", range=[0, 1.0])
    fig.update_layout(margin={"l": 200, "r": 110})
    chart.figure = fig
    return chart


def display_valence(data: ReportData) -> Chart:
    df = data.display_sentiment
    chart = Chart(
        "display-valence",
        "Displays",
        "Mood at each display",
        "How do people feel at each display? No face observations at displays yet.",
    )
    if df.empty:
        return chart
    multi = df["store_id"].nunique() > 1
    df = df.assign(label=_label(df, multi)).sort_values("label", ascending=False)
    visible = df[df["avg_valence"].notna()]
    hidden = df[df["avg_valence"].isna()]
    if len(visible):
        top = visible.sort_values("avg_valence").iloc[-1]
        answer = f"warmest at {top['label']} ({top['avg_valence']:+.2f} on a -1 to +1 scale)"
    else:
        answer = f"every display had fewer than {data.k} visitors' faces, so none is shown"
    chart.caption = (
        f"How do people feel at each display? Average facial valence, {answer}; hours with "
        f"fewer than {data.k} visitors are left out."
    )
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=visible["label"],
            x=visible["avg_valence"],
            orientation="h",
            marker_color=["#16a34a" if v >= 0 else "#dc2626" for v in visible["avg_valence"]],
            text=[f"{v:+.2f}" for v in visible["avg_valence"]],
            textposition="outside",
            customdata=list(zip(visible["observations"], visible["suppressed_hours"], strict=True)),
            hovertemplate=(
                "%{y}<br>valence %{x:+.2f} from %{customdata[0]:,} observations"
                "<br>%{customdata[1]} hours suppressed<extra></extra>"
            ),
            name="average valence",
        )
    )
    if len(hidden):
        fig.add_trace(_suppressed_bars(hidden["label"], data.k, width=0.03))
    _layout(fig, 90 + 28 * len(df), xaxis_title="average valence (-1 negative .. +1 positive)")
    fig.update_layout(margin={"l": 200}, barmode="overlay", showlegend=False)
    fig.update_xaxes(range=[-1, 1], zeroline=True, zerolinecolor="#9ca3af")
    chart.figure = fig
    return chart


def emotion_mix(data: ReportData) -> Chart:
    df = data.display_sentiment
    chart = Chart(
        "emotion-mix",
        "Displays",
        "Emotion mix at each display",
        "What expressions do people show at the displays? No face observations at displays yet.",
    )
    if df.empty:
        return chart
    multi = df["store_id"].nunique() > 1
    df = df.assign(label=_label(df, multi)).sort_values("label", ascending=False)
    visible = df[df["observations"] > 0]
    hidden = df[df["observations"] <= 0]
    if len(visible):
        mix = {e: float((visible[f"share_{e}"] * visible["observations"]).sum()) for e in EMOTIONS}
        total = sum(mix.values()) or 1.0
        top = max(mix, key=mix.get)
        answer = f"overall the most common is {top} ({mix[top] / total:.0%})"
    else:
        answer = f"every display had fewer than {data.k} visitors' faces, so none is shown"
    chart.caption = (
        "What expressions do people show at the displays? Share of face observations by dominant "
        f"emotion; {answer}."
    )
    fig = go.Figure()
    for e in EMOTIONS:
        fig.add_trace(
            go.Bar(
                y=visible["label"],
                x=visible[f"share_{e}"].astype(float),
                name=e,
                orientation="h",
                marker_color=EMOTION_COLOURS[e],
                hovertemplate="%{y}<br>" + e + " %{x:.0%}<extra></extra>",
            )
        )
    if len(hidden):
        fig.add_trace(_suppressed_bars(hidden["label"], data.k, width=1.0))
    _layout(fig, 150 + 28 * len(df), barmode="stack")
    fig.update_layout(margin={"l": 200}, legend={"y": -0.3})
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    chart.figure = fig
    return chart


def _suppressed_bars(labels: pd.Series, k: int, width: float) -> go.Bar:
    """Grey hatched bars standing in for displays whose measures are suppressed."""
    return go.Bar(
        y=labels,
        x=[width] * len(labels),
        orientation="h",
        marker={"color": SUPPRESSED, "pattern": {"shape": "/", "fgcolor": "#a1a1aa"}},
        text=[f"suppressed: fewer than {k} visitors"] * len(labels),
        textposition="inside" if width >= 0.5 else "outside",
        insidetextanchor="middle",
        textfont={"color": "#3f3f46"},
        hoverinfo="text",
        hovertext=[f"fewer than {k} visitors' faces in every hour: not shown"] * len(labels),
        name="suppressed",
    )


def demographics(data: ReportData) -> Chart:
    df = data.demographics
    k = data.k
    chart = Chart(
        "demographics",
        "Visitors",
        "Visitors by age band and gender",
        "Who are the visitors? No face summaries yet.",
    )
    if df.empty:
        chart.attrs["data-suppressed-cells"] = "0"
        return chart
    stores = list(dict.fromkeys(df.sort_values("store_id")["store"]))
    fig = make_subplots(
        rows=1, cols=len(stores), subplot_titles=stores, shared_yaxes=True, horizontal_spacing=0.04
    )
    zmax = float(df["visitors"].max()) if df["visitors"].notna().any() else 1.0
    suppressed_cells = 0
    for col, store in enumerate(stores, start=1):
        g = df[df["store"] == store].set_index(["age_band", "gender"])
        genders = [x for x in GENDERS if x in set(g.index.get_level_values(1))] or GENDERS
        extra = sorted(set(g.index.get_level_values(1)) - set(genders))
        genders += extra
        z, text, hidden_z, hidden_text = [], [], [], []
        for band in AGE_BANDS:
            zr, tr, hz, ht = [], [], [], []
            for gender in genders:
                row = g.loc[(band, gender)] if (band, gender) in g.index else None
                visible = None if row is None or pd.isna(row["visitors"]) else int(row["visitors"])
                hidden_days = 0 if row is None else int(row["suppressed_days"])
                if row is not None and visible is None:
                    # Every day of the cell was suppressed: show it, greyed, never drop it.
                    suppressed_cells += 1
                    zr.append(None)
                    tr.append("")
                    hz.append(1)
                    ht.append(f"fewer than {k}")
                else:
                    zr.append(visible)
                    mark = "*" if hidden_days else ""
                    tr.append("" if visible is None else f"{visible:,}{mark}")
                    hz.append(None)
                    ht.append("")
            z.append(zr)
            text.append(tr)
            hidden_z.append(hz)
            hidden_text.append(ht)
        fig.add_trace(
            go.Heatmap(
                x=genders,
                y=AGE_BANDS,
                z=z,
                text=text,
                texttemplate="%{text}",
                zmin=0,
                zmax=zmax,
                colorscale="Purples",
                showscale=col == 1,
                colorbar={"title": {"text": "visitors"}, "len": 0.8},
                hovertemplate="%{y} %{x}: %{z:,} visitors<extra>" + store + "</extra>",
                xgap=2,
                ygap=2,
                name="visitors",
            ),
            row=1,
            col=col,
        )
        fig.add_trace(
            go.Heatmap(
                x=genders,
                y=AGE_BANDS,
                z=hidden_z,
                text=hidden_text,
                texttemplate="%{text}",
                textfont={"color": "#3f3f46"},
                zmin=0,
                zmax=1,
                colorscale=[[0, SUPPRESSED], [1, SUPPRESSED]],
                showscale=False,
                hovertemplate=(
                    "%{y} %{x}: suppressed, fewer than " + str(k) + " visitors<extra>"
                    f"{store}</extra>"
                ),
                xgap=2,
                ygap=2,
                name="suppressed",
            ),
            row=1,
            col=col,
        )
    partial = int(((df["suppressed_days"] > 0) & df["visitors"].notna()).sum())
    chart.attrs["data-suppressed-cells"] = str(suppressed_cells)
    ranked = df.dropna(subset=["visitors"]).sort_values("visitors", ascending=False)
    if len(ranked):
        top = ranked.iloc[0]
        answer = f"the largest group is {top['gender']} {top['age_band']} at {top['store']}"
    else:
        answer = "every group is too small to show"
    chart.caption = (
        f"Who are the visitors? Distinct visitors per age band and gender; {answer}. "
        f"Grey cells had fewer than {k} visitors and are suppressed to protect privacy"
        + (f"; * marks {partial} cells with some suppressed days not counted." if partial else ".")
    )
    _layout(fig, 380)
    fig.update_yaxes(showgrid=False, autorange=True)
    fig.update_yaxes(title_text="age band", row=1, col=1)
    chart.figure = fig
    return chart


METRICS = [
    ("visits_per_day", "visits per day", ",.1f"),
    ("engagement_rate", "engagement rate", ".0%"),
    ("avg_dwell_s", "mean dwell (s)", ",.0f"),
    ("avg_valence", "mean valence", "+.2f"),
]


def layout_change(data: ReportData) -> Chart:
    df = data.layout_change
    chart = Chart(
        "layout-change",
        "Layout change",
        "Before and after the layout change",
        "Did the layout change help? No store has changed its layout in the data yet.",
    )
    if df.empty:
        return chart
    multi = df["store_id"].nunique() > 1 or df["change_date"].nunique() > 1
    df = df.assign(label=[_wrap(x) for x in _label(df, multi)])
    verdict = layout_verdict(df)
    sides = df[["store", "change_date", "days_before", "days_after"]].drop_duplicates()
    behind = "; ".join(
        f"{r.store} changed on {str(r.change_date)[:10]}: {int(r.days_before or 0)} trading "
        f"day{'s' if (r.days_before or 0) != 1 else ''} before, {int(r.days_after or 0)} after"
        for r in sides.itertuples()
    )
    chart.caption = f"Did the layout change help? {verdict}. {behind}."
    fig = make_subplots(
        rows=1,
        cols=len(METRICS),
        subplot_titles=[m[1] for m in METRICS],
        horizontal_spacing=0.07,
    )
    for col, (metric, _title, fmt) in enumerate(METRICS, start=1):
        for side, colour in (("before", BEFORE), ("after", AFTER)):
            values = df[f"{metric}_{side}"].astype(float)
            text = ["n/a" if math.isnan(v) else f"{v:{fmt}}" for v in values]
            if metric == "avg_valence":
                hidden = df[f"valence_suppressed_{side}"].fillna(False).astype(bool)
                text = ["suppressed" if h else t for h, t in zip(hidden, text, strict=True)]
                shown = ["" if h else t for h, t in zip(hidden, text, strict=True)]
            else:
                shown = text
            days = df[f"days_{side}"].fillna(0).astype(int)
            fig.add_trace(
                go.Bar(
                    x=df["label"],
                    y=values.fillna(0.0),
                    name=f"{side} the change",
                    legendgroup=side,
                    showlegend=col == 1,
                    marker_color=colour,
                    text=shown,
                    textposition="outside",
                    cliponaxis=False,
                    customdata=list(zip(days, text, strict=True)),
                    hovertemplate=f"%{{x}}<br>{side}: %{{customdata[1]}} (%{{customdata[0]}} days)"
                    "<extra></extra>",
                ),
                row=1,
                col=col,
            )
        if metric == "engagement_rate":
            fig.update_yaxes(tickformat=".0%", row=1, col=col)
    valence_hidden = df[["valence_suppressed_before", "valence_suppressed_after"]].fillna(False)
    if valence_hidden.to_numpy().any():
        fig.update_yaxes(range=[-1, 1], row=1, col=len(METRICS))
        fig.add_annotation(
            text=f"valence suppressed where<br>fewer than {data.k} visitors' faces",
            xref=f"x{len(METRICS)} domain",
            yref=f"y{len(METRICS)} domain",
            x=0.5,
            y=0.85,
            showarrow=False,
            font={"size": 11, "color": "#52525b"},
            bgcolor=SUPPRESSED,
        )
    _layout(fig, 430, barmode="group")
    fig.update_layout(legend={"orientation": "h", "y": 1.18, "x": 0}, margin={"t": 70, "b": 80})
    fig.update_xaxes(tickangle=0, tickfont={"size": 10})
    chart.figure = fig
    return chart


def _wrap(text: str, width: int = 14) -> str:
    """Break a long axis label into lines (plotly's `<br>`)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def layout_verdict(df: pd.DataFrame) -> str:
    """One phrase: did engagement at the changed store's displays go up after the change?"""
    if df.empty:
        return "no layout change yet"
    phrases = []
    for (store, _change), g in df.groupby(["store", "change_date"], sort=True):
        if int(g["days_after"].fillna(0).max()) == 0 or int(g["days_before"].fillna(0).max()) == 0:
            phrases.append(f"too early to tell at {store}")
            continue
        before = _weighted(g, "engagement_rate_before", "visits_before")
        after = _weighted(g, "engagement_rate_after", "visits_after")
        vpd_b = float(g["visits_per_day_before"].fillna(0).sum())
        vpd_a = float(g["visits_per_day_after"].fillna(0).sum())
        if before is None or after is None:
            phrases.append(f"not enough display visits at {store} to tell")
            continue
        if after > before + 0.005:
            word = "Yes"
        elif after < before - 0.005:
            word = "No"
        else:
            word = "Not clearly"
        phrases.append(
            f"{word} at {store}: displays' engagement went from {_pct(before)} to "
            f"{_pct(after)} and display visits per day from {vpd_b:,.0f} to {vpd_a:,.0f}"
        )
    return "; ".join(phrases)


def _weighted(g: pd.DataFrame, rate: str, weight: str) -> float | None:
    w = g[weight].fillna(0).astype(float)
    if w.sum() == 0:
        return None
    return float((g[rate].fillna(0).astype(float) * w).sum() / w.sum())


def device_health(data: ReportData) -> Chart:
    df = data.device_health
    chart = Chart(
        "device-health",
        "Devices",
        "Device health",
        "Are the cameras' devices keeping up? No heartbeats yet.",
    )
    if df.empty:
        return chart
    devices = sorted(df["device_id"].unique())
    dropped = df.groupby("device_id")["frames_dropped"].sum()
    fps = df.groupby("device_id")["avg_fps"].mean()
    worst = dropped.idxmax()
    state = (
        f"{worst} dropped the most frames ({int(dropped[worst]):,})"
        if dropped[worst] > 0
        else "no device dropped frames"
    )
    chart.caption = (
        f"Are the cameras' devices keeping up? {len(devices)} device"
        f"{'s' if len(devices) != 1 else ''} at {fps.min():.1f} to {fps.max():.1f} frames per "
        f"second on average per hour (store-local time); {state}."
    )
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12,
        subplot_titles=["frames per second", "frames dropped per hour"],
    )
    for i, device in enumerate(devices):
        g = _with_gaps(df[df["device_id"] == device].sort_values("local_time"))
        colour = PALETTE[i % len(PALETTE)]
        label = f"{device} ({g['store'].iloc[0]})"
        fig.add_trace(
            go.Scatter(
                x=g["local_time"],
                y=g["avg_fps"],
                name=label,
                legendgroup=device,
                mode="lines+markers",
                marker={"size": 4},
                line={"color": colour, "width": 1.5},
                hovertemplate="%{x|%a %H:00}  %{y:.1f} fps<extra>" + device + "</extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Bar(
                x=g["local_time"],
                y=g["frames_dropped"],
                name=label,
                legendgroup=device,
                showlegend=False,
                marker_color=colour,
                hovertemplate="%{x|%a %H:00}  %{y:,} dropped<extra>" + device + "</extra>",
            ),
            row=2,
            col=1,
        )
    _layout(fig, 480, barmode="group")
    fig.update_layout(legend={"y": -0.12}, margin={"b": 90})
    fig.update_yaxes(rangemode="tozero")
    chart.figure = fig
    return chart


def _with_gaps(g: pd.DataFrame) -> pd.DataFrame:
    """Rows of one device with an empty row wherever an hour is missing, so lines break there."""
    if len(g) < 2:
        return g
    times = pd.to_datetime(g["local_time"])
    gaps = times.diff() > pd.Timedelta(hours=1)
    if not gaps.any():
        return g
    blanks = g[gaps.to_numpy()].copy()
    blanks["local_time"] = (times[gaps] - pd.Timedelta(minutes=30)).to_numpy()
    blanks[["avg_fps", "frames_dropped"]] = None
    return pd.concat([g, blanks]).sort_values("local_time")


BUILDERS: list[Callable[[ReportData], Chart]] = [
    visitors_per_store,
    footfall_by_hour,
    weekday_heatmap,
    occupancy,
    dwell_by_zone,
    display_engagement,
    display_valence,
    emotion_mix,
    demographics,
    layout_change,
    device_health,
]


def build_charts(data: ReportData) -> list[Chart]:
    return [build(data) for build in BUILDERS]
