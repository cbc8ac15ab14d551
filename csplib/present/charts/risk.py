"""Charts for the risk chapter: the deprivation gradient, repeat victimisation by year and
the band chance alone gives on a Lorenz chart.

Each function takes ``ax=None`` (a new house-style Axes is made) and returns the Axes; none
calls ``plt.show()``. The Lorenz curve is :func:`csplib.present.charts.priorities.lorenz_chart`;
:func:`chance_band` shades, under a curve drawn with it, the range of Lorenz curves random
allocation of as many incidents gives (:func:`csplib.methods.concentration.chance_lorenz`).

Examples
--------
>>> import pandas as pd
>>> from csplib.methods.risk import deprivation_gradient
>>> g = deprivation_gradient(pd.Series({"a": 30, "b": 9}), pd.Series({"a": 2000, "b": 3000}),
...                          pd.Series({"a": 1, "b": 10}))
>>> ax = deprivation_chart({"Crime": g})
>>> [round(float(p.get_height()), 1) for p in ax.patches]
[15.0, 3.0]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from csplib.present.charts.style import PALETTE, finish, need_columns, new_axes

__all__ = ["deprivation_chart", "repeat_victims_chart", "chance_band"]


def deprivation_chart(
    gradients: Mapping,
    *,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Rates per 1,000 residents by IMD decile (1 = most deprived), with their intervals.

    Parameters
    ----------
    gradients : mapping
        Label -> :class:`csplib.methods.risk.DeprivationGradient` (one bar group per label).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not gradients:
        raise ValueError("deprivation_chart needs at least one gradient")
    ax = ax if ax is not None else new_axes(8.0, 4.0)
    deciles = sorted({int(d) for g in gradients.values() for d in g.table.index})
    x = np.arange(len(deciles))
    width = 0.8 / len(gradients)
    for i, (label, g) in enumerate(gradients.items()):
        t = g.table.reindex(deciles)
        pos = x - 0.4 + width * (i + 0.5)
        rate = t["rate"].astype(float).to_numpy()
        err = np.vstack([rate - t["ci_low"].to_numpy(), t["ci_high"].to_numpy() - rate])
        ax.bar(pos, rate, width=width, color=PALETTE[i % len(PALETTE)], label=str(label))
        ax.errorbar(pos, rate, yerr=err, fmt="none", ecolor="#333333", elinewidth=0.8, capsize=2)
    ax.set_xticks(x, [str(d) for d in deciles])
    if len(gradients) > 1:
        ax.legend(frameon=False, fontsize=8)
    per = next(iter(gradients.values())).config.get("per", 1000)
    return finish(
        ax,
        title=title,
        xlabel="IMD decile of the neighbourhood (1 = most deprived 10% in England)",
        ylabel=f"incidents per {per:,.0f} residents",
        source=source,
    )


def repeat_victims_chart(
    repeats: pd.DataFrame,
    *,
    value: str = "repeat_victim_share",
    ylabel: str = "% of victims who are repeat victims",
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """One line per group of a (group, year) table, e.g. the share of repeat victims.

    Parameters
    ----------
    repeats : pandas.DataFrame
        Two-level index (group, year), e.g. from
        :func:`csplib.methods.risk_repeats.repeats_by_year`.

    Examples
    --------
    >>> idx = pd.MultiIndex.from_product([["Hate crime"], ["2019/20", "2020/21"]])
    >>> ax = repeat_victims_chart(pd.DataFrame({"repeat_victim_share": [14.0, 17.0]},
    ...                                        index=idx))
    >>> ax.get_legend_handles_labels()[1]
    ['Hate crime']
    """
    if repeats.index.nlevels != 2 or value not in repeats.columns:
        raise ValueError(f"repeat_victims_chart needs a (group, year) index and a {value!r} column")
    ax = ax if ax is not None else new_axes(8.0, 4.0)
    years = list(dict.fromkeys(repeats.index.get_level_values(1)))
    pos = {y: i for i, y in enumerate(years)}
    for i, group in enumerate(dict.fromkeys(repeats.index.get_level_values(0))):
        part = repeats.xs(group, level=0)[value].astype(float)
        ax.plot(
            [pos[y] for y in part.index],
            part.to_numpy(),
            marker="o",
            markersize=4,
            color=PALETTE[i % len(PALETTE)],
            label=str(group),
        )
    ax.set_xticks(range(len(years)), [str(y) for y in years], rotation=45 if len(years) > 6 else 0)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, fontsize=8)
    return finish(ax, title=title, xlabel="", ylabel=ylabel, source=source)


def chance_band(
    band: pd.DataFrame,
    *,
    color: str | None = None,
    label: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Shade the range of Lorenz curves chance alone gives (a Lorenz chart's companion).

    A curve inside the band is no more concentrated than random allocation of as many
    incidents to the same places would make it; one above it is more concentrated.

    Parameters
    ----------
    band : pandas.DataFrame
        :func:`csplib.methods.concentration.chance_lorenz`: ``area_share``, ``low``, ``high``.
    color : str, optional
        Default: the colour of the last curve drawn on ``ax`` (so call it right after
        :func:`~csplib.present.charts.priorities.lorenz_chart`), else the first of the palette.
    label : str, optional
        Legend entry; default ``"chance alone (<level>% of random allocations)"``.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> from csplib.methods.concentration import chance_lorenz
    >>> ax = chance_band(chance_lorenz(20, [f"L{i}" for i in range(10)], draws=99))
    >>> ax.get_legend_handles_labels()[1]
    ['chance alone (95% of random allocations)']
    """
    need_columns(band, ["area_share", "low", "high"], "chance_band")
    ax = ax if ax is not None else new_axes(5.0, 5.0)
    if color is None:
        curves = [line for line in ax.lines if line.get_gid() == "lorenz"]
        color = curves[-1].get_color() if curves else PALETTE[0]
    level = band.attrs.get("level", 0.95)
    ax.fill_between(
        band["area_share"].to_numpy(dtype=float),
        band["low"].to_numpy(dtype=float),
        band["high"].to_numpy(dtype=float),
        color=color,
        alpha=0.2,
        linewidth=0,
        label=label or f"chance alone ({level:.0%} of random allocations)",
        gid="chance",
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    return ax
