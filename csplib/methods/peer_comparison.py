"""A partnership's rates against its peers and England and Wales, from a national store.

:func:`compare_with_peers` takes every partnership's monthly counts (``csp national``:
:class:`csplib.ingest.national.NationalCounts`), the open peer-group features
(:mod:`csplib.methods.peers`) and one partnership, and compares like with like:

* **the same months for every area**: the months present for the partnership; an area
  missing any of them (its force's file absent) is left out of the comparison, and named;
* **rates per 1,000 residents** from the features' population (ONS mid-2020) for every area;
* for each category and for all crime (excluding ASB): the partnership's rate, its peers'
  pooled rate (their crimes over their residents), England and Wales's pooled rate (over
  the areas compared), where the partnership sits in the funnel of all areas
  (:func:`csplib.methods.funnel.funnel_limits`, overdispersion-adjusted) and its rank among
  itself and its peers (1 = highest rate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.methods.funnel import FunnelLimits, funnel_limits
from csplib.methods.peers import most_similar

__all__ = ["ALL_CRIME", "PeerComparison", "compare_with_peers", "comparison_sentence"]

#: The row of all crime (every category but ASB).
ALL_CRIME = "All crime (excluding ASB)"
_ASB = "Anti-social behaviour"


@dataclass(frozen=True)
class PeerComparison:
    """The comparison of one partnership (see the module notes).

    Attributes
    ----------
    table : DataFrame
        Index ``category`` (all crime first): ``count`` (the partnership's), ``rate``,
        ``peers_rate``, ``national_rate``
        (per 1,000 residents), ``funnel`` (the position against all areas, e.g.
        ``"above 99.8%"``) and ``peer_rank`` (of ``1 + n`` areas).
    funnel : FunnelLimits
        All crime of every area compared, indexed by the areas' names (for the chart).
    peers : DataFrame
        :func:`csplib.methods.peers.most_similar` among the areas compared, with ``name``.
    months : DatetimeIndex
        The months compared.
    left_out : list of str
        Partnerships left out: a month missing, or their force not in the download.
    name : str
        The partnership's name.
    """

    table: pd.DataFrame
    funnel: FunnelLimits
    peers: pd.DataFrame
    months: pd.DatetimeIndex
    left_out: list[str]
    name: str


def compare_with_peers(
    counts: pd.DataFrame,
    present: pd.DataFrame,
    features: pd.DataFrame,
    area: str,
    *,
    n_peers: int = 15,
    weights: Mapping[str, float] | None = None,
) -> PeerComparison:
    """Compare ``area`` with its peers and with every area (see the module notes).

    Parameters
    ----------
    counts, present : DataFrame
        A national store's tables (``area``, ``month``, ``category``, ``count``; ``area``,
        ``month``, ``present``).
    features : DataFrame
        Index: area code; ``csp_name``, ``population`` and the peer features.
    area : str
        The partnership's code (as the national store and the features name it).
    n_peers, weights
        As :func:`csplib.methods.peers.most_similar`.

    Raises
    ------
    KeyError
        When the store or the features have no such area, or it has no month present.
    """
    if area not in features.index:
        raise KeyError(f"{area!r} is not in the peer-group features")
    mine = present[(present["area"] == area) & present["present"]]
    if mine.empty:
        raise KeyError(f"the national store has no month of data for {area!r}")
    months = pd.DatetimeIndex(sorted(mine["month"].unique()))
    covered = present[present["month"].isin(months) & present["present"]]
    full = covered.groupby("area")["month"].nunique()
    compared = [a for a in full.index[full == len(months)] if a in features.index]
    left_out = sorted(str(name) for a, name in features["csp_name"].items() if a not in compared)
    used = counts[counts["month"].isin(months) & counts["area"].isin(compared)]
    wide = used.pivot_table(
        index="area", columns="category", values="count", aggfunc="sum", fill_value=0
    ).reindex(compared, fill_value=0)
    crime = wide.drop(columns=[_ASB], errors="ignore").sum(axis=1)
    wide.insert(0, ALL_CRIME, crime)
    population = features.loc[compared, "population"].astype(float)
    peers = most_similar(features.loc[compared], area, n=n_peers, weights=weights)
    peers.insert(2, "name", features.loc[peers["peer"], "csp_name"].to_numpy())
    group = [area, *peers["peer"]]
    names = features.loc[compared, "csp_name"].astype(str)
    rows = []
    funnel_all = None
    for category in wide.columns:
        count = wide[category]
        rate = 1000 * count / population
        funnel = funnel_limits(count.set_axis(names), population.set_axis(names))
        if category == ALL_CRIME:
            funnel_all = funnel
        ranked = rate.loc[group].rank(ascending=False, method="min")
        rows.append(
            {
                "category": category,
                "count": int(count[area]),
                "rate": rate[area],
                "peers_rate": 1000 * count[peers["peer"]].sum() / population[peers["peer"]].sum(),
                "national_rate": 1000 * count.sum() / population.sum(),
                "funnel": funnel.table["position"].iloc[compared.index(area)],
                "peer_rank": int(ranked[area]),
            }
        )
    table = pd.DataFrame(rows).set_index("category")
    table.attrs["of"] = len(group)
    return PeerComparison(
        table=table,
        funnel=funnel_all,
        peers=peers,
        months=months,
        left_out=left_out,
        name=str(features.loc[area, "csp_name"]),
    )


def comparison_sentence(result: PeerComparison) -> str:
    """The comparison of all crime in one sentence.

    Examples
    --------
    >>> table = pd.DataFrame({"rate": [30.04], "peers_rate": [25.0], "national_rate": [20.0],
    ...     "funnel": ["above 99.8%"], "peer_rank": [2]}, index=[ALL_CRIME])
    >>> table.attrs["of"] = 16
    >>> r = PeerComparison(table, None, None, pd.date_range("2018-10-01", periods=3,
    ...     freq="MS"), [], "Notts")
    >>> comparison_sentence(r)  # doctest: +NORMALIZE_WHITESPACE
    'In Oct 2018 to Dec 2018, Notts recorded 30.0 crimes per 1,000 residents, against 25.0
    in its 15 most similar partnerships and 20.0 across England and Wales: above the 99.8%
    limit of the funnel of all partnerships (very unusual for its size), 2nd highest of the
    16.'
    """
    row = result.table.loc[ALL_CRIME]
    of = result.table.attrs.get("of", np.nan)
    where = {
        "above 99.8%": "above the 99.8% limit of the funnel of all partnerships (very unusual "
        "for its size)",
        "above 95%": "above the 95% limit of the funnel of all partnerships (unusually high "
        "for its size)",
        "within": "within the funnel of all partnerships (no more than its size and chance "
        "explain)",
        "below 95%": "below the 95% limit of the funnel (unusually low for its size)",
        "below 99.8%": "below the 99.8% limit of the funnel (very low for its size)",
    }.get(row["funnel"], "not placed in the funnel")
    rank = int(row["peer_rank"])
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(
        rank % 10 if rank % 100 not in (11, 12, 13) else 0, "th"
    )
    place = "the highest" if rank == 1 else f"{rank}{suffix} highest"
    return (
        f"In {result.months[0]:%b %Y} to {result.months[-1]:%b %Y}, {result.name} recorded "
        f"{row['rate']:,.1f} crimes per 1,000 residents, against {row['peers_rate']:,.1f} in "
        f"its {of - 1} most similar partnerships and {row['national_rate']:,.1f} across "
        f"England and Wales: {where}, {place} of the {of}."
    )
