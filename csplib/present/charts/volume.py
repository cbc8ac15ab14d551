"""Charts for the volume chapter."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from csplib.present.charts.style import PALETTE

__all__ = ["monthly_small_multiples"]


def monthly_small_multiples(
    table: pd.DataFrame,
    *,
    ncols: int = 4,
    title: str | None = None,
    source: str | None = None,
    axes: np.ndarray | None = None,
) -> np.ndarray:
    """One small line chart per column of a months x categories table.

    Missing months (NaN) show as gaps, never as zeros. Each panel has its own y scale,
    starting at zero.

    Parameters
    ----------
    table : DataFrame
        Rows are months (DatetimeIndex), columns are series (e.g. categories).
    ncols : int
        Panels per row.
    title, source : str, optional
        Figure title (the finding) and source note.
    axes : array of Axes, optional
        Existing panels to draw into (at least one per column).

    Returns
    -------
    numpy.ndarray of Axes
        The panels, flattened.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="MS")
    >>> t = pd.DataFrame({"Burglary": [5, np.nan, 7], "Robbery": [1, 2, 3]}, index=idx)
    >>> axs = monthly_small_multiples(t, ncols=2)
    >>> [a.get_title(loc="left") for a in axs]
    ['Burglary', 'Robbery']
    """
    n = table.shape[1]
    if axes is None:
        nrows = math.ceil(n / ncols)
        fig, axes = plt.subplots(
            nrows, ncols, figsize=(2.6 * ncols, 1.9 * nrows), sharex=True, layout="constrained"
        )
    axes = np.atleast_1d(axes).ravel()
    if len(axes) < n:
        raise ValueError(f"need at least {n} axes, got {len(axes)}")
    for ax, column in zip(axes, table.columns, strict=False):
        series = table[column].astype(float)
        ax.plot(
            series.index,
            series.to_numpy(),
            color=PALETTE[0],
            linewidth=1.4,
            marker=".",
            markersize=3,
        )
        ax.set_title(str(column), fontsize=9, loc="left")
        ax.set_ylim(bottom=0, top=max(1.0, float(np.nanmax(series.to_numpy(), initial=0)) * 1.1))
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig = axes[0].figure
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    if source:
        fig.text(0.01, -0.01, f"Source: {source}", fontsize=8, color="#555555", va="top")
    fig.autofmt_xdate(rotation=45)
    return axes[:n]
