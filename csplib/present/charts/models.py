"""Charts for the threat chapter: series with trend and expected band, SPC, seasonal profile.

Each function takes ``ax=None`` (a new house-size Axes is made), returns the Axes and never
calls ``plt.show()``. Colours are Okabe & Ito's colour-blind-safe palette
(:data:`csplib.present.charts.style.PALETTE`); the SPC chart follows the NHS Making Data Count look:
grey common-cause points, orange for concern, blue for improvement, purple where
the measure has no better direction. Inputs are the tables the model results hold, so a
chart can be redrawn from a saved table.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from csplib.present.charts.style import PALETTE, finish, new_axes

__all__ = ["plot_series", "plot_spc", "plot_seasonal_profile", "plot_its", "plot_screen"]

BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILION = PALETTE[:6]
GREY = "#7B7D7D"
DARK = "#333333"
VARIATION_COLOURS = {
    "common_cause": GREY,
    "special_cause_concern": ORANGE,
    "special_cause_improvement": BLUE,
    "special_cause_neither": PURPLE,
}
VARIATION_LABELS = {
    "common_cause": "Common cause",
    "special_cause_concern": "Special cause: concern",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_neither": "Special cause: neither",
}


def _month_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plot_series(
    observed: pd.Series,
    trend: pd.Series | None = None,
    expected: pd.DataFrame | None = None,
    ax=None,
    title: str | None = None,
    ylabel: str = "Count per month",
    xlabel: str = "Month",
    band_label: str = "Expected range",
    source: str | None = None,
):
    """Monthly counts with an optional trend line and expected (or forecast) band.

    Parameters
    ----------
    observed : Series
        Monthly counts (missing months show as gaps).
    trend : Series, optional
        A trend line on the same or a shorter index.
    expected : DataFrame, optional
        ``lower``, ``upper`` and optionally ``median`` by month (an expected range or a
        forecast). With ``above`` / ``below`` columns, months outside the band are marked.
    ax : matplotlib Axes, optional
        Where to draw; a new one by default.
    title, ylabel, xlabel, band_label, source : str
        Title (state the finding), axis labels, legend label of the band, source note.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="MS")
    >>> ax = plot_series(pd.Series([3, 5, None, 4], index=idx), title="Stable")
    >>> ax.get_title(loc="left"), ax.get_ylabel()
    ('Stable', 'Count per month')
    """
    if ax is None:
        ax = new_axes()
    handles = []
    if expected is not None:
        band = ax.fill_between(
            expected.index,
            expected["lower"].to_numpy(float),
            expected["upper"].to_numpy(float),
            color=SKY,
            alpha=0.35,
            linewidth=0,
            label=band_label,
            step=None,
        )
        handles.append(band)
        if "median" in expected:
            (line,) = ax.plot(
                expected.index,
                expected["median"].to_numpy(float),
                color=BLUE,
                linestyle="--",
                linewidth=1.2,
                label="Expected (median)",
            )
            handles.append(line)
    (obs_line,) = ax.plot(
        observed.index,
        observed.to_numpy(float),
        color=DARK,
        linewidth=1.4,
        marker="o",
        markersize=3,
        label="Recorded",
    )
    handles.insert(0, obs_line)
    if trend is not None:
        (trend_line,) = ax.plot(
            trend.index, trend.to_numpy(float), color=VERMILION, linewidth=2.0, label="Trend"
        )
        handles.append(trend_line)
    if expected is not None and {"above", "below"} <= set(expected.columns):
        value = observed.reindex(expected.index)
        for flag, colour, label in (
            ("above", VERMILION, "Above range"),
            ("below", BLUE, "Below range"),
        ):
            mask = expected[flag].to_numpy(bool)
            if mask.any():
                pts = ax.scatter(
                    expected.index[mask],
                    value[mask],
                    s=45,
                    color=colour,
                    zorder=5,
                    edgecolor="white",
                    label=label,
                )
                handles.append(pts)
    ax.set_ylim(bottom=0)
    _month_axis(ax)
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="best")
    return finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def plot_spc(
    table: pd.DataFrame,
    ax=None,
    title: str | None = None,
    ylabel: str = "Count per month",
    xlabel: str = "Month",
    source: str | None = None,
    target: float | None = None,
):
    """An SPC chart in the Making Data Count look, from :attr:`SPCResults.table`.

    Points are coloured by ``variation``; the mean is a solid line, process limits dashed and
    the two-sigma lines dotted; a ``target`` is a red dash-dot line. Limits may vary by month
    (Laney u' and p' charts).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> t = pd.DataFrame({"value": [1.0, 2, 9], "centre": 2.0, "lower": 0.0, "upper": 8.0,
    ...                   "lower_2sigma": 0.0, "upper_2sigma": 6.0,
    ...                   "variation": ["common_cause", "common_cause",
    ...                                 "special_cause_concern"]}, index=idx)
    >>> plot_spc(t).get_ylabel()
    'Count per month'
    """
    if ax is None:
        ax = new_axes()
    x = table.index
    ax.plot(x, table["value"].to_numpy(float), color=GREY, linewidth=1.2, zorder=2)
    ax.plot(x, table["centre"].to_numpy(float), color=DARK, linewidth=1.2)
    for col in ("lower", "upper"):
        ax.plot(x, table[col].to_numpy(float), color=GREY, linewidth=1.0, linestyle="--")
    for col in ("lower_2sigma", "upper_2sigma"):
        if col in table:
            ax.plot(x, table[col].to_numpy(float), color=GREY, linewidth=0.7, linestyle=":")
    handles = [
        Line2D([], [], color=DARK, linewidth=1.2, label="Mean"),
        Line2D([], [], color=GREY, linewidth=1.0, linestyle="--", label="Process limits"),
    ]
    if target is not None:
        ax.axhline(target, color=VERMILION, linewidth=1.0, linestyle="-.")
        handles.append(
            Line2D([], [], color=VERMILION, linewidth=1.0, linestyle="-.", label="Target")
        )
    variation = table["variation"].fillna("")
    for kind, colour in VARIATION_COLOURS.items():
        mask = (variation == kind).to_numpy()
        if mask.any():
            ax.scatter(
                x[mask],
                table["value"].to_numpy(float)[mask],
                s=28,
                color=colour,
                zorder=3,
                edgecolor="white",
                linewidth=0.5,
            )
            handles.append(
                Line2D([], [], color=colour, marker="o", linestyle="", label=VARIATION_LABELS[kind])
            )
    ax.set_ylim(bottom=0)
    _month_axis(ax)
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="best")
    return finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def plot_seasonal_profile(
    table: pd.DataFrame,
    ax=None,
    title: str | None = None,
    ylabel: str = "Index (1 = typical month)",
    xlabel: str = "Month of year",
    source: str | None = None,
):
    """Month-of-year index with its interval, from :attr:`ProfileResults.table`.

    Examples
    --------
    >>> t = pd.DataFrame({"month": ["Jan", "Feb"], "index": [0.9, 1.1],
    ...                   "lower": [0.8, 1.0], "upper": [1.0, 1.2]}, index=[1, 2])
    >>> [t.get_text() for t in plot_seasonal_profile(t).get_xticklabels()]
    ['Jan', 'Feb']
    """
    if ax is None:
        ax = new_axes()
    pos = np.arange(len(table))
    index = table["index"].to_numpy(float)
    lower = table["lower"].to_numpy(float)
    upper = table["upper"].to_numpy(float)
    ax.axhline(1.0, color=GREY, linewidth=1.0)
    has_ci = ~np.isnan(lower) & ~np.isnan(upper)
    if has_ci.any():
        ax.errorbar(
            pos[has_ci],
            index[has_ci],
            yerr=[index[has_ci] - lower[has_ci], upper[has_ci] - index[has_ci]],
            fmt="none",
            ecolor=SKY,
            elinewidth=2.5,
            capsize=0,
            label="Confidence interval",
        )
    ax.plot(pos, index, color=BLUE, marker="o", linewidth=1.2, label="Index")
    ax.set_xticks(pos, table["month"].astype(str).tolist())
    ax.legend(frameon=False, fontsize=8, loc="best")
    return finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def plot_its(
    observed: pd.Series,
    fitted: pd.Series,
    counterfactual: pd.Series,
    intervention,
    ax=None,
    title: str | None = None,
    ylabel: str = "Count per month",
    xlabel: str = "Month",
    source: str | None = None,
):
    """Interrupted time series: data, fitted model and the no-change counterfactual.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="MS")
    >>> s = pd.Series([5.0, 6, 3, 2], index=idx)
    >>> cf = pd.Series([None, None, 6.0, 6.0], index=idx)
    >>> len(plot_its(s, s, cf, idx[2]).get_lines()) >= 3
    True
    """
    if ax is None:
        ax = new_axes()
    ax.plot(
        observed.index,
        observed.to_numpy(float),
        color=DARK,
        linewidth=1.2,
        marker="o",
        markersize=3,
        label="Recorded",
    )
    ax.plot(fitted.index, fitted.to_numpy(float), color=BLUE, linewidth=2.0, label="Model")
    ax.plot(
        counterfactual.index,
        counterfactual.to_numpy(float),
        color=BLUE,
        linewidth=1.5,
        linestyle="--",
        label="Had nothing changed",
    )
    ax.axvline(pd.Timestamp(intervention), color=ORANGE, linewidth=1.5, label="Intervention")
    ax.set_ylim(bottom=0)
    _month_axis(ax)
    ax.legend(frameon=False, fontsize=8, loc="best")
    return finish(ax, title=title, xlabel=xlabel, ylabel=ylabel, source=source)


def plot_screen(
    table: pd.DataFrame,
    ax=None,
    title: str | None = None,
    top: int = 15,
    xlabel: str = "Rate ratio, recent months vs expected (log scale)",
    source: str | None = None,
):
    """Rate ratios with intervals for the ``top`` ranked series of a screen.

    Flagged series are orange (increase) or blue (decrease); the rest grey.

    Examples
    --------
    >>> t = pd.DataFrame({"rank": [1, 2], "rate_ratio": [2.0, 1.1], "rr_lower": [1.5, 0.8],
    ...                   "rr_upper": [2.7, 1.5], "flagged": [True, False],
    ...                   "change": ["increase", "increase"]}, index=["A", "B"])
    >>> [t.get_text() for t in plot_screen(t).get_yticklabels()]
    ['A', 'B']
    """
    if ax is None:
        ax = new_axes(height=max(2.5, 0.3 * min(top, len(table)) + 1))
    shown = table.sort_values("rank").head(top)
    labels = [" / ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in shown.index]
    pos = np.arange(len(shown))[::-1]
    colours = [
        (ORANGE if c == "increase" else BLUE) if f else GREY
        for f, c in zip(shown["flagged"], shown["change"], strict=True)
    ]
    rr = shown["rate_ratio"].to_numpy(float)
    lo = shown["rr_lower"].to_numpy(float)
    hi = shown["rr_upper"].to_numpy(float)
    finite_hi = np.where(np.isfinite(hi), hi, np.nanmax(np.where(np.isfinite(hi), hi, rr)) * 2)
    ax.hlines(pos, np.maximum(lo, 1e-3), finite_hi, color=colours, linewidth=2)
    ax.scatter(np.where(np.isfinite(rr), rr, finite_hi), pos, color=colours, zorder=3, s=30)
    ax.axvline(1.0, color=DARK, linewidth=1.0)
    ax.set_xscale("log")
    # plain numbers (0.8, 1, 1.5) rather than powers of ten on the rate-ratio axis
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_yticks(pos, labels)
    handles = [
        Line2D([], [], color=ORANGE, marker="o", label="Flagged: increase"),
        Line2D([], [], color=BLUE, marker="o", label="Flagged: decrease"),
        Line2D([], [], color=GREY, marker="o", label="Not flagged"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="best")
    ax = finish(ax, title=title, xlabel=xlabel, source=source)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    return ax
