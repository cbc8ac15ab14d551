"""Charts for the risk chapter: the deprivation gradient and repeat victimisation by year.

Each function takes ``ax=None`` (a new house-style Axes is made) and returns the Axes; none
calls ``plt.show()``. The Lorenz curve is :func:`csplib.present.charts.priorities.lorenz_chart`.

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

from csplib.present.charts.style import PALETTE, finish, new_axes

__all__ = ["deprivation_chart", "repeat_victims_chart"]


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
