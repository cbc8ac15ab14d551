"""Charts for the harm, risk and priorities chapters.

Each function takes ``ax=None`` (a new house-style Axes is made) and returns the Axes; none
calls ``plt.show()``. Colours are colour-blind-safe: the Okabe-Ito palette for categories and
``cividis`` (designed for colour-vision deficiency) for the threat score.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"rate_per_1000_a_year": [30.0, 3.0], "harm_per_offence": [330.0, 120.0],
...                   "threat": [4.0, 2.0]}, index=["Violence", "Hate crime"])
>>> ax = volume_harm_chart(t)
>>> sorted(a.get_text() for a in ax.texts)
['Hate crime', 'Violence']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from csplib.present.charts.style import PALETTE, finish, new_axes
from csplib.present.charts.style import need_columns as _need

__all__ = ["THREAT_CMAP", "volume_harm_chart", "lorenz_chart", "rank_range_chart"]

#: Colour map for threat scores (perceptually uniform and colour-blind-safe).
THREAT_CMAP = "cividis"


def volume_harm_chart(
    table: pd.DataFrame,
    *,
    volume: str = "rate_per_1000_a_year",
    harm: str = "harm_per_offence",
    threat: str = "threat",
    scale: tuple[float, float] = (1, 5),
    logx: bool = False,
    logy: bool = False,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Themes placed by volume (x) and harm (y), coloured by threat score, labelled.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per theme (the index labels the points), e.g. from
        :func:`csplib.methods.scoring.score_themes`.
    volume, harm, threat : str
        Columns for x, y and colour.
    scale : (float, float)
        Range of the threat colour scale (the scoring scale).
    logx, logy : bool
        Log axes (volumes often span orders of magnitude).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(table, [volume, harm, threat], "volume_harm_chart")
    ax = ax if ax is not None else new_axes(7.5, 5.0)
    x = table[volume].astype(float).to_numpy()
    y = table[harm].astype(float).to_numpy()
    c = table[threat].astype(float).to_numpy()
    points = ax.scatter(
        x,
        y,
        c=c,
        cmap=THREAT_CMAP,
        vmin=scale[0],
        vmax=scale[1],
        s=70,
        edgecolors="#333333",
        linewidths=0.6,
        zorder=3,
    )
    for label, xi, yi in zip(table.index, x, y, strict=True):
        if np.isfinite(xi) and np.isfinite(yi):
            ax.annotate(
                str(label),
                (xi, yi),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
                color="#222222",
            )
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    bar = ax.figure.colorbar(points, ax=ax, pad=0.02)
    bar.set_label("threat score")
    return finish(
        ax,
        title=title,
        xlabel=volume.replace("_", " "),
        ylabel=harm.replace("_", " "),
        source=source,
    )


def lorenz_chart(
    lorenz: pd.DataFrame,
    *,
    label: str | None = None,
    color: str | None = None,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A Lorenz curve (:func:`csplib.methods.concentration.lorenz_curve`) against equality.

    Call again with the same ``ax`` to overlay another curve (e.g. ASB and crime).

    Examples
    --------
    >>> from csplib.methods.risk import lorenz_curve
    >>> ax = lorenz_chart(lorenz_curve(pd.Series({"A": 9, "B": 1}), ["A", "B", "C"]),
    ...                   label="ASB")
    >>> ax.get_legend_handles_labels()[1]
    ['equal spread', 'ASB (Gini 0.60)']
    """
    _need(lorenz, ["area_share", "incident_share"], "lorenz_chart")
    ax = ax if ax is not None else new_axes(5.0, 5.0)
    if not any(line.get_gid() == "equality" for line in ax.lines):
        ax.plot(
            [0, 1],
            [0, 1],
            linestyle="--",
            color="#888888",
            linewidth=1,
            label="equal spread",
            gid="equality",
        )
    n_curves = sum(1 for line in ax.lines if line.get_gid() == "lorenz")
    gini = lorenz.attrs.get("gini")
    name = label or "incidents"
    if gini is not None and np.isfinite(gini):
        name = f"{name} (Gini {gini:.2f})"
    ax.plot(
        lorenz["area_share"],
        lorenz["incident_share"],
        color=color or PALETTE[n_curves % len(PALETTE)],
        linewidth=2,
        label=name,
        gid="lorenz",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return finish(
        ax,
        title=title,
        xlabel="share of LSOAs (fewest incidents first)",
        ylabel="share of incidents",
        source=source,
    )


def rank_range_chart(
    summary: pd.DataFrame,
    *,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each theme's 90% range of ranks under perturbation, with its median and base rank.

    The range is the one :func:`csplib.methods.scoring.sensitivity_analysis` reports: under
    perturbed weights and breakpoints and, when some scales were not scored for any theme,
    over their whole range (from the theme's best case to its worst), so a bar that crosses
    the top-k line marks a place the unscored scales could change. The title should name
    those scales (:func:`csplib.chapters.priorities.rank_range_title` does).

    Parameters
    ----------
    summary : pandas.DataFrame
        ``SensitivityResult.summary`` (``base_rank``, ``median_rank``, ``rank_low``,
        ``rank_high``, ``robust``).

    Examples
    --------
    >>> s = pd.DataFrame({"base_rank": [1, 2], "median_rank": [1.0, 2.5], "rank_low": [1, 2],
    ...                   "rank_high": [1, 3], "robust": [True, False]}, index=["A", "B"])
    >>> [t.get_text() for t in rank_range_chart(s).get_yticklabels()]
    ['A', 'B']
    """
    _need(
        summary, ["base_rank", "median_rank", "rank_low", "rank_high", "robust"], "rank_range_chart"
    )
    ax = ax if ax is not None else new_axes(7.0, 0.45 * len(summary) + 1.2)
    order = summary.sort_values("base_rank", kind="stable")
    y = np.arange(len(order))
    colours = [PALETTE[0] if r else PALETTE[5] for r in order["robust"]]
    ax.hlines(y, order["rank_low"], order["rank_high"], colors=colours, linewidth=5, alpha=0.6)
    ax.scatter(order["median_rank"], y, color="#000000", marker="|", s=160, zorder=3)
    ax.scatter(order["base_rank"], y, facecolors="white", edgecolors="#000000", s=40, zorder=4)
    ax.set_yticks(y, [str(i) for i in order.index])
    ax.invert_yaxis()
    n = int(max(order["rank_high"].max(), len(order)))
    ax.set_xticks(range(1, n + 1))
    ax.set_xlim(0.5, n + 0.5)
    handles = [
        Line2D([], [], color=PALETTE[0], linewidth=5, alpha=0.6, label="90% range: robust"),
        Line2D([], [], color=PALETTE[5], linewidth=5, alpha=0.6, label="90% range: not robust"),
        Line2D(
            [], [], color="#000000", marker="|", linestyle="", markersize=12, label="median rank"
        ),
        Line2D(
            [],
            [],
            marker="o",
            markerfacecolor="white",
            markeredgecolor="#000000",
            linestyle="",
            label="rank with the set weights",
        ),
    ]
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=8)
    finish(ax, title=title, xlabel="rank (1 = top priority)", source=source)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    return ax
