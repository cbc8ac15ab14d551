"""One chart style for every chapter: colour-blind-safe colours, stated findings, sources.

Titles state the finding ("ASB fell by 12% ..."), not the variable; axes are labelled; the
source goes under the chart.

Examples
--------
>>> ax = new_axes()
>>> ax = finish(ax, title="Crime fell", xlabel="Month", ylabel="Crimes", source="police.uk")
>>> ax.get_title(loc="left")
'Crime fell'
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

__all__ = ["PALETTE", "SEQUENTIAL", "new_axes", "finish", "need_columns"]

#: Okabe & Ito's colour-blind-safe palette (black last).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: A colour-blind-safe sequential map for choropleths.
SEQUENTIAL = "viridis"


def new_axes(width: float = 8.0, height: float = 4.0) -> Axes:
    """A new figure with one Axes of the house size."""
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def finish(
    ax: Axes,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
) -> Axes:
    """Apply the house finish: left-aligned finding as title, labels, light grid, source note."""
    if title:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if source:
        ax.figure.text(
            0.01, -0.02, f"Source: {source}", fontsize=8, color="#555555", ha="left", va="top"
        )
    return ax


def need_columns(table, columns, what: str) -> None:
    """Raise ``ValueError`` naming the columns a chart needs that ``table`` lacks.

    Examples
    --------
    >>> import pandas as pd
    >>> need_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "the chart")
    Traceback (most recent call last):
    ...
    ValueError: the chart needs column(s) b
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}")
