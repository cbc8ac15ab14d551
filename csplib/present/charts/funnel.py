"""Funnel plot: each area's rate against its population, within overdispersion-adjusted limits.

Draws a :class:`csplib.methods.funnel.FunnelLimits`: the areas as grey dots, the pooled rate as
a line, the 95% and 99.8% limits as dashed and dotted curves, the partnership highlighted in
vermilion and named, and its peers (when given) as blue rings, so a board can see at a glance
whether a high rate is unusual for an area of its size. The scale fits the bulk of the
areas: one far above them (a city centre with few residents) is drawn as a triangle on the top
edge and counted in the legend.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from csplib.methods.funnel import FUNNEL_LEVELS, FunnelLimits
from csplib.present.charts.style import PALETTE, finish, new_axes

__all__ = ["plot_funnel"]

_AREA = PALETTE[5]  # vermilion
_PEER = PALETTE[0]  # blue


def plot_funnel(
    funnel: FunnelLimits,
    *,
    highlight=None,
    peers: Iterable = (),
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "Rate per 1,000 residents",
    source: str | None = None,
) -> Axes:
    """The funnel plot of ``funnel``; returns the Axes.

    Parameters
    ----------
    funnel : FunnelLimits
        From :func:`csplib.methods.funnel.funnel_limits` (index: the areas' names).
    highlight : optional
        The area to mark and name (an index label).
    peers : iterable, optional
        Areas to ring (its most similar areas).

    Examples
    --------
    >>> import pandas as pd
    >>> from csplib.methods.funnel import funnel_limits
    >>> rng = np.random.default_rng(1)
    >>> pop = pd.Series(rng.integers(50_000, 900_000, 50).astype(float),
    ...                 index=[f"Area {i}" for i in range(50)])
    >>> f = funnel_limits(pd.Series(rng.poisson(0.08 * pop), index=pop.index), pop)
    >>> ax = plot_funnel(f, highlight="Area 3", peers=["Area 4"])
    >>> ax.get_xscale(), len(ax.get_lines()) >= 5
    ('log', True)
    """
    ax = ax if ax is not None else new_axes(8.0, 4.8)
    t = funnel.table
    shown = t[t["z"].notna()]
    grid = np.geomspace(shown["population"].min() * 0.9, shown["population"].max() * 1.1, 200)
    # the scale fits the bulk of the areas, the marked ones and the outer limits at the
    # middle population; an extreme area (a city centre of few residents) sits on the top
    # edge as a triangle rather than squeezing every other area into a strip
    marked = [a for a in [highlight, *peers] if a in shown.index]
    middle = funnel.limits_at(shown["population"].median(), FUNNEL_LEVELS[-1])[1]
    highest_marked = float(shown.loc[marked, "rate"].max()) if marked else 0.0
    top = 1.15 * max(float(shown["rate"].quantile(0.98)), highest_marked, float(middle))
    above = shown["rate"] > top
    ax.scatter(
        shown.loc[~above, "population"],
        shown.loc[~above, "rate"],
        s=14,
        color="#9a9a9a",
        label="Areas",
        zorder=2,
    )
    if above.any():
        ax.scatter(
            shown.loc[above, "population"],
            np.full(int(above.sum()), top),
            marker="^",
            s=30,
            color="#9a9a9a",
            label=f"Off the scale ({int(above.sum())})",
            zorder=2,
            clip_on=False,
        )
    ax.set_ylim(0, top)
    ax.axhline(funnel.target, color="#333333", linewidth=1.0, label="All areas")
    for level, style in zip(FUNNEL_LEVELS, ("--", ":"), strict=True):
        lower, upper = funnel.limits_at(grid, level)
        label = f"{100 * level:g}% limits"
        ax.plot(grid, upper, style, color="#333333", linewidth=1.0, label=label)
        ax.plot(grid, np.clip(lower, 0, None), style, color="#333333", linewidth=1.0)
    peers = [p for p in peers if p in shown.index and p != highlight]
    if peers:
        ax.scatter(
            shown.loc[peers, "population"],
            shown.loc[peers, "rate"],
            s=40,
            facecolors="none",
            edgecolors=_PEER,
            linewidths=1.5,
            label="Most similar areas",
            zorder=3,
        )
    if highlight is not None and highlight in shown.index:
        row = shown.loc[highlight]
        ax.scatter(
            [row["population"]],
            [row["rate"]],
            s=60,
            color=_AREA,
            edgecolors="black",
            label=str(highlight),
            zorder=4,
        )
        ax.annotate(
            str(highlight),
            (row["population"], row["rate"]),
            xytext=(6, 6),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return finish(ax, title=title, xlabel="Residents (log scale)", ylabel=ylabel, source=source)
