"""Charts for the performance chapter: each target measure against its baseline and path.

The chapter gives the data (:class:`csplib.chapters.performance.charts.TargetChart`, in
``result.charts``); these functions draw it in the house style. :func:`target_panel` takes
``ax=None`` (a new Axes is made) and returns the Axes; neither calls ``plt.show()``.

Examples
--------
>>> import pandas as pd
>>> from csplib.chapters.performance import (PerformanceData, target_chart,
...                                          track_framework_targets)
>>> from csplib.methods.measures import get_measure
>>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
...     "change": "-25%", "assessment": "2019/20 - 2022/23", "text": "Reduce ASB by 25%"})
>>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
>>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
>>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
...                               [(asb, None)])
>>> ax = target_panel(target_chart(t))
>>> ax.get_title(loc="left")
'Police-recorded ASB: not on track (24 in 2019/20)'
>>> [line.get_label() for line in ax.get_lines()][:3]
['Volume of Police Recorded Incidents', 'Baseline 2018/19', 'Target path (Reduce ASB by 25%)']
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from csplib.present.charts.style import PALETTE, finish, new_axes

__all__ = ["target_panel", "target_panels"]

GREY = "#888888"


def target_panel(chart, *, ax: Axes | None = None) -> Axes:
    """One target measure by financial year: values, baseline and the path to the target.

    The line is the yearly value (gaps where there is none, with the reason written at the
    foot), the grey dashed line the baseline, the orange dashed line the straight path from
    the baseline to the target value (a diamond) at the end of the target period, a star the
    latest 12 months when the measure is judged on them, and a ring a year that includes a
    month flagged implausible. The title states where the measure stands.

    Parameters
    ----------
    chart : csplib.chapters.performance.charts.TargetChart
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = ax if ax is not None else new_axes(6.0, 3.5)
    points = chart.points
    x = np.arange(len(points))
    ax.plot(x, points["value"].to_numpy(float), marker="o", color=PALETTE[0], label=chart.name)
    if chart.baseline is not None:
        ax.axhline(
            chart.baseline, color=GREY, linestyle="--", linewidth=1, label=chart.baseline_label
        )
    if chart.path is not None:
        x0, y0, x1, y1 = chart.path
        ax.plot([x0, x1], [y0, y1], color=PALETTE[1], linestyle="--", label=chart.path_label)
        ax.plot([x1], [y1], marker="D", color=PALETTE[1], linestyle="none")
    if chart.latest is not None:
        xl, yl, label = chart.latest
        ax.plot(
            [xl], [yl], marker="*", markersize=12, color=PALETTE[5], linestyle="none", label=label
        )
    flagged = np.flatnonzero(points["flagged"].to_numpy(bool))
    if len(flagged):
        ax.plot(
            flagged,
            points["value"].to_numpy(float)[flagged],
            marker="o",
            markersize=11,
            markerfacecolor="none",
            color=PALETTE[5],
            linestyle="none",
            label="Includes an implausible month",
        )
    for i, note in enumerate(points["note"]):
        if note:
            ax.annotate(
                note,
                (i, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                color="#555555",
                rotation=90,
            )
    ax.set_xticks(x, list(points.index), rotation=45, ha="right")
    fmt = "{:.1f}%" if chart.percent else "{:,.0f}"
    ax.yaxis.set_major_formatter(lambda v, _: fmt.format(v))
    ax.legend(fontsize=7, frameon=False, loc="best")
    return finish(ax, title=chart.title, ylabel=chart.ylabel)


def target_panels(charts: Sequence, *, ncols: int = 2) -> np.ndarray:
    """:func:`target_panel` for each chart, on a grid; an empty array when there is none.

    Returns
    -------
    numpy.ndarray of Axes
        One per chart drawn (the grid's spare Axes are hidden).
    """
    charts = list(charts)
    if not charts:
        return np.array([], dtype=object)
    nrows = math.ceil(len(charts) / ncols)
    _, axes = plt.subplots(
        nrows, ncols, figsize=(6 * ncols, 3.6 * nrows), layout="constrained", squeeze=False
    )
    flat = axes.ravel()
    for chart, ax in zip(charts, flat, strict=False):
        target_panel(chart, ax=ax)
    for ax in flat[len(charts) :]:
        ax.set_visible(False)
    return flat[: len(charts)]
