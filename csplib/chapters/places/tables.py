"""The places chapter's tables: hot spot LSOAs, LSOAs whose ASB rose, ward profiles (in full,
and one row a ward for the page).

Each function lays out one table from the methods' results (:mod:`csplib.methods.places`):
aggregates only, no geometry, numbers kept numeric. Their captions and disclosure
declarations are in :mod:`csplib.chapters.places.chapter`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import fdrcorrection

from csplib.methods.places import HOT, HotspotResults

__all__ = ["hotspot_table", "emerging_table", "profile_table", "ward_summary"]


def hotspot_table(
    hotspots: Mapping[str, HotspotResults], rates: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The hot spot LSOAs of each group: aggregates only, no geometry.

    Parameters
    ----------
    hotspots : mapping
        Group -> Gi* results of the LSOA counts.
    rates : mapping
        Group -> :func:`csplib.methods.places.area_rates` at LSOA level (``ward_name``, ``count``,
        ``rate_per_1000``).

    Returns
    -------
    pandas.DataFrame
        One row per hot spot LSOA and group, groups in the given order, strongest first:
        ``group``, ``lsoa``, ``name``, ``ward_name``, ``count``, ``rate_per_1000``, ``z``,
        ``q_value``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> cells = [box(c, r, c + 1, r + 1) for r in range(6) for c in range(6)]
    >>> y = [12 if r < 2 and c < 2 else 2 for r in range(6) for c in range(6)]
    >>> g = gpd.GeoDataFrame({"name": [f"A{i}" for i in range(36)], "ward_name": "W",
    ...                       "count": y, "rate_per_1000": y}, geometry=cells)
    >>> from csplib.methods.places import GetisOrdHotspots
    >>> res = GetisOrdHotspots(g, "count", permutations=0).fit()
    >>> t = hotspot_table({"ASB": res}, {"ASB": g})
    >>> len(t), sorted(t["lsoa"].tolist())
    (4, [0, 1, 6, 7])
    """
    frames = []
    for group, res in hotspots.items():
        hot = res.table.loc[res.table["classification"] == HOT]
        r = rates[group].loc[hot.index]
        frame = pd.DataFrame(
            {
                "group": group,
                "lsoa": hot.index,
                "name": r["name"].to_numpy(),
                "ward_name": r["ward_name"].to_numpy(),
                "count": r["count"].to_numpy(dtype="int64"),
                "rate_per_1000": r["rate_per_1000"].to_numpy(dtype=float),
                "z": hot["z"].to_numpy(dtype=float),
                "q_value": hot["q_value"].to_numpy(dtype=float),
            }
        )
        frames.append(frame.sort_values("z", ascending=False, kind="stable"))
    columns = ["group", "lsoa", "name", "ward_name", "count", "rate_per_1000", "z", "q_value"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def emerging_table(result: HotspotResults, lsoas: pd.DataFrame) -> pd.DataFrame:
    """The LSOAs whose count rose: emerging hot spots and rises found by the LSOA screen.

    Parameters
    ----------
    result : HotspotResults
        From :func:`csplib.methods.places.emerging_hotspots` (with its ``screen``).
    lsoas : pandas.DataFrame
        Index ``lsoa`` with ``ward_name`` (e.g. ``Geography.lsoa_table``).

    Returns
    -------
    pandas.DataFrame
        New hot spots first, then by the LSOA test's q-value: ``lsoa``, ``name``,
        ``ward_name``, ``count`` (the assessed period), ``baseline_count`` (the comparison
        window), ``expected`` (the baseline level over the assessed period's months, as
        the screen estimates it), ``rate_ratio``, ``lsoa_q_value``, ``lsoa_change``,
        ``z`` and ``q_value`` (Gi* of the change), ``classification``, ``previous_class``
        and ``new_hotspot``. Aggregates only, no geometry.
    """
    t = result.table
    rose = (
        t["new_hotspot"].to_numpy(dtype=bool)
        | (t["classification"] == "emerging " + HOT).to_numpy()
        | (t["lsoa_change"] == "increase").to_numpy()
    )
    rows = t.loc[rose]
    screen = result.screen.table if result.screen is not None else None
    expected = (
        screen["expected"].reindex(rows.index).to_numpy(dtype=float)
        if screen is not None
        else np.full(len(rows), np.nan)
    )
    out = pd.DataFrame(
        {
            "lsoa": rows.index,
            "name": rows["name"].to_numpy(),
            "ward_name": lsoas["ward_name"].reindex(rows.index).to_numpy(),
            "count": rows["count_current"].to_numpy(dtype="int64"),
            "baseline_count": rows["count_previous"].to_numpy(dtype="int64"),
            "expected": expected,
            "rate_ratio": rows["rate_ratio"].to_numpy(dtype=float),
            "lsoa_q_value": rows["lsoa_q_value"].to_numpy(dtype=float),
            "lsoa_change": rows["lsoa_change"].to_numpy(),
            "z": rows["z"].to_numpy(dtype=float),
            "q_value": rows["q_value"].to_numpy(dtype=float),
            "classification": rows["classification"].to_numpy(),
            "previous_class": rows["previous_class"].to_numpy(),
            "new_hotspot": rows["new_hotspot"].to_numpy(dtype=bool),
        }
    )
    order = np.lexsort((out["lsoa_q_value"].fillna(1.0).to_numpy(), ~out["new_hotspot"]))
    return out.iloc[order].reset_index(drop=True)


def profile_table(profiles: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """The ward profile as shown: one row per measure and ward, wards by rank.

    The wards' changes are tested one by one (exact Poisson test); with 20 wards a few
    would be flagged by chance, so the p-values are adjusted with Benjamini-Hochberg across
    the wards of each measure (:func:`statsmodels.stats.multitest.fdrcorrection`) and a
    change is called up or down when its q-value is at most ``alpha``.

    Parameters
    ----------
    profiles : pandas.DataFrame
        From :func:`csplib.methods.places.ward_profiles`.
    alpha : float, default 0.05
        False discovery rate.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``ward``, ``ward_name``, ``population``, ``deprived_lsoa_share``,
        ``count``, ``months`` (the months of the period with data), ``rate_per_1000``,
        ``rank``, ``share_of_area``, ``comparison`` (the months compared, in words:
        :func:`csplib.core.comparison.compare_months`), ``months_compared``,
        ``count_compared``, ``previous_compared``, ``pct_change``, ``p_value``, ``q_value``
        and ``change`` (``"up"``/``"down"``: q-value at most ``alpha``; ``"no significant
        change"``; ``"not compared"`` when no month could be compared).

    Examples
    --------
    >>> p = pd.DataFrame({"measure": ["B", "A", "A"], "ward": ["w1", "w1", "w2"],
    ...     "ward_name": ["One", "One", "Two"], "population": [10.0, 10.0, 20.0],
    ...     "deprived_lsoa_share": [0.0, 0.0, 50.0], "count": [1, 5, 7],
    ...     "rate_per_1000": [100.0, 500.0, 350.0], "rank": [1, 1, 2],
    ...     "share_of_area": [100.0, 41.7, 58.3], "months": "all 12 months",
    ...     "comparison": ["not compared: no data for 2023/24"] + ["all 12 months"] * 2,
    ...     "months_compared": [0, 12, 12], "count_compared": [np.nan, 5.0, 7.0],
    ...     "previous_compared": [np.nan, 2.0, 7.0],
    ...     "pct_change": [np.nan, 150.0, 0.0], "p_value": [np.nan, 0.01, 0.04]})
    >>> t = profile_table(p)
    >>> t[["measure", "ward", "change"]].values.tolist()
    [['B', 'w1', 'not compared'], ['A', 'w1', 'up'], ['A', 'w2', 'no significant change']]
    >>> t["q_value"].round(3).tolist()
    [nan, 0.02, 0.04]
    """
    order = {m: i for i, m in enumerate(pd.unique(profiles["measure"]))}
    t = profiles.assign(_m=profiles["measure"].map(order)).sort_values(
        ["_m", "rank", "ward"], kind="stable"
    )
    q = pd.Series(np.nan, index=t.index)
    for _, rows in t.groupby("measure", sort=False):
        p = rows["p_value"].dropna()
        if len(p):
            q[p.index] = fdrcorrection(p.to_numpy(dtype=float), alpha=alpha)[1]
    diff = (t["count_compared"] - t["previous_compared"]).to_numpy(dtype=float)
    significant = (q <= alpha).to_numpy()
    change = np.where(
        t["months_compared"].to_numpy() == 0,
        "not compared",
        np.where(
            ~significant | (diff == 0),
            "no significant change",
            np.where(diff > 0, "up", "down"),
        ),
    )
    columns = [
        "measure",
        "ward",
        "ward_name",
        "population",
        "deprived_lsoa_share",
        "count",
        "months",
        "rate_per_1000",
        "rank",
        "share_of_area",
        "comparison",
        "months_compared",
        "count_compared",
        "previous_compared",
        "pct_change",
        "p_value",
    ]
    out = t[columns].copy()
    out["q_value"] = q
    out["change"] = change
    return out.reset_index(drop=True)


#: The words of a ward's change in the short profile.
_CHANGE_WORDS = {
    "up": "↑ up",
    "down": "↓ down",
    "no significant change": "↔ no significant change",
    "not compared": "not compared",
}


def ward_summary(
    profile: pd.DataFrame, hotspots: pd.DataFrame, crime: str, asb: str, *, top: int = 2
) -> pd.DataFrame:
    """The short ward profile: one row per ward, for the page (the full profile is in the
    data annex).

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`profile_table` (every measure and ward).
    hotspots : pandas.DataFrame
        :func:`hotspot_table` (``group``, ``lsoa``, ``ward_name``).
    crime, asb : str
        The measures of all crime and of ASB.
    top : int, default 2
        How many of the other measures to name as the ward's largest.

    Returns
    -------
    pandas.DataFrame
        Wards by their crime rank: ``ward_name``, ``population``, ``crime_count``,
        ``crime_rate``, ``crime_rank``, ``crime_change`` and the same for ASB (the change on
        a year earlier in words, significant after Benjamini-Hochberg across wards, as in
        the full profile), ``largest`` (the ``top`` other measures with most records in
        the ward) and ``hot_spot_lsoas`` (its LSOAs that are hot spots, by group: "crime",
        "ASB" or the group's name).

    Examples
    --------
    >>> p = pd.DataFrame({"measure": ["Crime", "Crime", "ASB", "ASB", "Drugs", "Theft"] * 1,
    ...     "ward": ["w1", "w2", "w1", "w2", "w1", "w1"], "ward_name": ["One", "Two"] * 2
    ...     + ["One", "One"], "population": [10.0, 20.0, 10.0, 20.0, 10.0, 10.0],
    ...     "count": [50, 40, 9, 30, 3, 20], "rate_per_1000": [5000.0, 2000.0, 900.0, 1500.0,
    ...     300.0, 2000.0], "rank": [1, 2, 2, 1, 1, 1],
    ...     "change": ["up", "no significant change"] * 2 + ["down", "up"]})
    >>> hot = pd.DataFrame({"group": ["Crime"], "lsoa": ["L1"], "ward_name": ["One"]})
    >>> t = ward_summary(p, hot, "Crime", "ASB")
    >>> t[["ward_name", "crime_rank", "crime_change", "largest", "hot_spot_lsoas"]].values.tolist()
    [['One', 1, '↑ up', 'Theft, Drugs', '1 (crime)'], ['Two', 2, '↔ no significant change', '', '']]
    """
    wards = profile.drop_duplicates("ward").set_index("ward")[["ward_name", "population"]]
    out = wards.copy()
    for measure, prefix in ((crime, "crime"), (asb, "asb")):
        rows = profile[profile["measure"] == measure].set_index("ward")
        out[f"{prefix}_count"] = rows["count"].reindex(out.index)
        out[f"{prefix}_rate"] = rows["rate_per_1000"].reindex(out.index)
        out[f"{prefix}_rank"] = rows["rank"].reindex(out.index).astype("Int64")
        out[f"{prefix}_change"] = rows["change"].reindex(out.index).map(_CHANGE_WORDS)
    others = profile[~profile["measure"].isin([crime, asb]) & (profile["count"] > 0)]
    others = others.sort_values(["ward", "count", "measure"], ascending=[True, False, True])
    largest = others.groupby("ward", sort=False)["measure"].apply(lambda m: ", ".join(m[:top]))
    out["largest"] = [largest.get(ward, "") for ward in out.index]
    short = {crime: "crime", asb: "ASB"}
    spots = (
        hotspots.assign(group=hotspots["group"].map(lambda g: short.get(g, g)))
        .groupby(["ward_name", "group"], sort=True)["lsoa"]
        .nunique()
    )
    first = {"crime": 0, "ASB": 1}
    text = {
        name: "; ".join(
            f"{n} ({group})"
            for group, n in sorted(
                part.droplevel(0).items(), key=lambda gn: (first.get(gn[0], 2), gn[0])
            )
        )
        for name, part in spots.groupby(level=0)
    }
    out["hot_spot_lsoas"] = [text.get(name, "") for name in out["ward_name"]]
    out = out.sort_values(["crime_rank", "ward_name"], kind="stable", na_position="last")
    return out.reset_index(drop=True)
