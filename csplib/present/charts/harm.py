"""Charts for the harm chapter: harm share against volume share, and harm over the years.

Each function takes ``ax=None`` (a new house-style Axes is made) and returns the Axes; none
calls ``plt.show()``.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"volume_share": [20.0, 80.0], "harm_share": [70.0, 30.0]},
...                  index=["Robbery", "Shoplifting"])
>>> [tick.get_text() for tick in harm_share_chart(t).get_yticklabels()]
['Shoplifting', 'Robbery']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from csplib.present.charts.style import PALETTE, finish, new_axes
from csplib.present.charts.style import need_columns as _need

__all__ = ["harm_share_chart", "harm_trend_chart"]


def harm_share_chart(
    table: pd.DataFrame,
    *,
    volume: str = "volume_share",
    harm: str = "harm_share",
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Each category's share of harm beside its share of crimes (paired horizontal bars).

    Rows without a harm share (ASB, the ``All`` total) are left out; the category with the
    largest harm share is at the top.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per category, e.g. from :func:`csplib.methods.harm.harm_table` (shares in %).
    volume, harm : str
        Columns of the two shares.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _need(table, [volume, harm], "harm_share_chart")
    rows = table.drop(index="All", errors="ignore")
    rows = rows[rows[harm].notna()].sort_values(harm, ascending=True)
    ax = ax if ax is not None else new_axes(8.0, max(3.0, 0.38 * len(rows) + 1.2))
    y = np.arange(len(rows))
    h = 0.4
    ax.barh(y + h / 2, rows[harm].astype(float), height=h, color=PALETTE[5], label="share of harm")
    ax.barh(
        y - h / 2, rows[volume].astype(float), height=h, color=PALETTE[4], label="share of crimes"
    )
    ax.set_yticks(y, [str(i) for i in rows.index])
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax = finish(ax, title=title, xlabel="% of all crime", source=source)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    return ax


def harm_trend_chart(
    trend: pd.DataFrame,
    *,
    value: str = "css",
    complete: str = "complete",
    ylabel: str = "Crime Severity Score (per resident)",
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A yearly harm measure as bars; years with missing months are hatched and pale.

    Parameters
    ----------
    trend : pandas.DataFrame
        One row per year (the index labels the bars), e.g. from
        :func:`csplib.methods.harm_severity.harm_by_year`.
    value, complete : str
        Columns of the value and of the "all months present" flag.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"css": [20.0, 5.0], "complete": [True, False]},
    ...                  index=["2022/23", "2023/24"])
    >>> ax = harm_trend_chart(t)
    >>> [p.get_hatch() for p in ax.patches[:2]]
    [None, '//']
    """
    _need(trend, [value, complete], "harm_trend_chart")
    ax = ax if ax is not None else new_axes(8.0, 4.0)
    x = np.arange(len(trend))
    full = trend[complete].astype(bool).to_numpy()
    values = trend[value].astype(float).to_numpy()
    bars = ax.bar(x, values, color=PALETTE[0], width=0.7)
    for bar, ok in zip(bars, full, strict=True):
        if not ok:
            bar.set_facecolor("#cfe3f2")
            bar.set_hatch("//")
            bar.set_edgecolor(PALETTE[0])
    ax.set_xticks(x, [str(i) for i in trend.index], rotation=45 if len(trend) > 6 else 0)
    if not full.all():
        ax.legend(
            handles=[
                Patch(color=PALETTE[0], label="all months"),
                Patch(
                    facecolor="#cfe3f2",
                    edgecolor=PALETTE[0],
                    hatch="//",
                    label="months missing (partial)",
                ),
            ],
            frameon=False,
            fontsize=8,
            loc="upper left",
        )
    return finish(
        ax,
        title=title,
        xlabel=str(trend.index.name or "").replace("_", " "),
        ylabel=ylabel,
        source=source,
    )
