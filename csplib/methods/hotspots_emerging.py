"""Emerging hotspots: where a count has risen between two periods, as clusters and LSOA by LSOA.

:func:`emerging_hotspots` runs Gi* (:class:`csplib.methods.hotspots.GetisOrdHotspots`) on
the change in each LSOA's count between two periods (by default the period and the same
months a year earlier): the ``"difference"`` (current count minus the previous count scaled
to the current period's months) or the ``"log_ratio"`` (log of the rate ratio, with 0.5
added to each count) (:data:`CHANGE_MEASURES`). Both are of the months compared by the one
comparison rule (:func:`csplib.core.comparison.compare_months`): every month when both
periods are complete, else the same calendar months present in both. A cluster of
increases is an ``"emerging hot spot"``. Because Gi* averages an LSOA with its neighbours, a
rise confined to one LSOA is weak evidence for it, so each LSOA's own change is also tested,
with the emerging-trend screen (:class:`csplib.methods.models.EmergingTrendScreen`:
overdispersion pooled over LSOAs, Benjamini-Hochberg across LSOAs), on the months compared.
The Gi* class of the previous period's counts is given beside them, so a *new* hotspot (not
a hot spot before) can be told from an established one growing.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from csplib.core.comparison import compare_months
from csplib.core.errors import DataError, ParamsError
from csplib.methods.hotspots import COLD, HOT, GetisOrdHotspots, HotspotResults
from csplib.methods.models._results import join_notes
from csplib.methods.models.screen import EmergingTrendScreen
from csplib.methods.places_select import as_period, check_categories, lsoa_counts, select

__all__ = ["CHANGE_MEASURES", "emerging_hotspots"]


def _difference(current: pd.Series, previous: pd.Series) -> pd.Series:
    return current - previous


def _log_ratio(current: pd.Series, previous: pd.Series) -> pd.Series:
    return np.log((current + 0.5) / (previous + 0.5))


#: Measures of change per LSOA for :func:`emerging_hotspots` (previous already scaled).
CHANGE_MEASURES: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "difference": _difference,
    "log_ratio": _log_ratio,
}


def _monthlylsoa_counts(rows, geography, periods, compared) -> pd.DataFrame:
    """Months x LSOA counts from the first period's start to the last's end.

    The months ``compared`` hold counts (0 where an LSOA had none); every other month is
    NaN (not data, or not compared).
    """
    codes = geography.lsoa_table.index
    span = pd.date_range(periods[0].start, periods[-1].end, freq="MS", name="month")
    covered = sorted(set(compared))
    inside = rows.loc[rows["lsoa"].isin(codes).to_numpy(dtype=bool)]
    month = pd.to_datetime(inside["month"]).dt.to_period("M").dt.to_timestamp()
    wide = (
        pd.DataFrame({"month": month.to_numpy(), "lsoa": inside["lsoa"].astype("str").to_numpy()})
        .groupby(["month", "lsoa"])
        .size()
        .unstack("lsoa", fill_value=0)
        .reindex(index=span, columns=codes, fill_value=0)
        .astype(float)
    )
    wide.loc[~wide.index.isin(covered)] = np.nan
    wide.index = pd.DatetimeIndex(wide.index, freq="MS", name="month")
    return wide


def _fewer(cmp) -> bool:
    """Whether months with data are left out of the comparison (beyond those missing)."""
    return cmp.n_months < cmp.current_coverage.n_covered or len(cmp.previous_months) < (
        cmp.previous_coverage.n_covered
    )


def emerging_hotspots(
    incidents: pd.DataFrame,
    geography,
    *,
    current,
    previous=None,
    categories=None,
    measure: str = "difference",
    allow_incomplete: bool = False,
    **options,
) -> HotspotResults:
    """New and growing hotspots: Gi* of each LSOA's change, and each LSOA's own change.

    Two views of the change between two periods, side by side:

    * **Clusters of change** (``classification``): Gi* (:class:`GetisOrdHotspots`) of the
      change in each LSOA's count, ``"emerging hot spot"`` where increases cluster.
    * **The LSOA's own change** (``lsoa_*`` columns): the emerging-trend screen
      (:class:`csplib.methods.models.EmergingTrendScreen`: conditional binomial test of the
      current period's count against the previous period's, with overdispersion pooled
      over LSOAs and Benjamini-Hochberg control across LSOAs). Gi* averages an LSOA with
      its neighbours (5 or 6 on average), so a rise confined to one LSOA, like the
      synthetic data's new ASB hotspot, gives a Gi* z of only about 3 (significant after
      FDR for some draws, not others) while the screen finds it every time.

    ``new_hotspot`` is True for an LSOA that rose (an emerging hot spot whose own count
    went up, or an increase flagged by the screen) and was not a hot spot of the previous
    period's counts (``previous_class``, Gi* of the previous counts). An LSOA in a cluster
    of rising neighbours whose own count fell is an emerging hot spot on the map but not a
    new hotspot: a sentence would otherwise call a place whose incidents fell a new hotspot.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy incidents of the area (``month``, ``lsoa``; ``category`` with ``categories``).
        Pass every row: the months present decide which months the data cover.
    geography : csplib.ingest.geography.Geography
    current : Period, str or (start, end)
        E.g. the last 12 months, ``("2023-10", "2024-09")``.
    previous : Period, str or (start, end), optional
        Default: the same months a year earlier. Must end before ``current`` starts.
    categories : str or list of str, optional
    measure : {"difference", "log_ratio"}, default "difference"
        Change analysed by Gi* (see :data:`CHANGE_MEASURES`), between the counts of the
        months compared (:func:`csplib.core.comparison.compare_months`); the previous count
        is first scaled by the ratio of the periods' months compared.
    allow_incomplete : bool, default False
        Accept periods with months the data do not cover.
    **options
        Passed to :class:`GetisOrdHotspots` (``weights``, ``alpha``, ``fdr``,
        ``p_value``, ``permutations``, ``seed``, ...); ``alpha`` is also the screen's FDR.

    Returns
    -------
    HotspotResults
        ``table`` as for :class:`GetisOrdHotspots` (``change`` in place of ``value``;
        classes ``"emerging hot spot"``, ``"emerging cold spot"``, ``"not significant"``)
        plus ``count_current``, ``count_previous`` (each period's count),
        ``count_compared``, ``previous_compared`` (the counts of the months compared; the
        same when every month is compared), ``previous_class``, ``rate_ratio``,
        ``lsoa_q_value``, ``lsoa_change`` (``increase``/``decrease`` when flagged by the
        screen, else ``none``) and ``new_hotspot``. ``screen`` holds the screen's results.

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> geo = Geography("data/reference", la_codes=["E06000018"])
    >>> codes = geo.lsoa_table.index
    >>> before = pd.DataFrame({"month": pd.Timestamp("2023-01-01"), "lsoa": codes.repeat(5)})
    >>> after = pd.DataFrame({"month": pd.Timestamp("2024-01-01"),
    ...                       "lsoa": codes.repeat(5).append(pd.Index(["E01013836"] * 60))})
    >>> res = emerging_hotspots(pd.concat([before, after]), geo, current="Jan 24",
    ...                         permutations=0)
    >>> row = res.table.loc["E01013836"]
    >>> float(row["change"]), row["classification"], row["lsoa_change"], bool(row["new_hotspot"])
    (60.0, 'emerging hot spot', 'increase', True)
    """
    if measure not in CHANGE_MEASURES:
        raise ParamsError(f"measure must be one of {', '.join(CHANGE_MEASURES)}, got {measure!r}")
    cur = as_period(current, "current")
    prev = cur.previous_year() if previous is None else as_period(previous, "previous")
    if prev.end >= cur.start:
        raise ParamsError(
            f"previous period {prev.label} must end before the current period {cur.label} starts"
        )
    categories = check_categories(categories, incidents)
    rows_cur, cov_cur = select(incidents, cur, categories, allow_incomplete)
    rows_prev, cov_prev = select(incidents, prev, categories, allow_incomplete)
    cmp = compare_months(cur, prev, [*cov_cur.covered, *cov_prev.covered])
    if not cmp.compared:
        raise DataError(f"no change to measure: {cmp.reason}")
    c_cur = lsoa_counts(rows_cur, geography).astype(float)
    c_prev = lsoa_counts(rows_prev, geography).astype(float)
    n_cur = lsoa_counts(cmp.select(rows_cur), geography).astype(float)
    n_prev = lsoa_counts(cmp.select(rows_prev, "previous"), geography).astype(float)
    scale = cmp.n_months / len(cmp.previous_months)
    change = CHANGE_MEASURES[measure](n_cur, n_prev * scale)
    base = geography.lsoas().set_index("lsoa").rename(columns={"lsoa_name": "name"})
    areas = gpd.GeoDataFrame(
        {
            "name": base["name"],
            "count_current": c_cur.reindex(base.index),
            "count_previous": c_prev.reindex(base.index),
            "count_compared": n_cur.reindex(base.index),
            "previous_compared": n_prev.reindex(base.index),
            "change": change.reindex(base.index),
        },
        geometry=base.geometry,
        crs=base.crs,
    )
    res = GetisOrdHotspots(areas, "change", **options).fit()
    before = GetisOrdHotspots(areas, "count_previous", **options).fit()

    wide = _monthlylsoa_counts(
        pd.concat([rows_prev, rows_cur]),
        geography,
        [prev, cur],
        [*cmp.previous_months, *cmp.months],
    )
    n_recent = cur.n_months
    screen = EmergingTrendScreen(
        wide,
        recent_months=n_recent,
        baseline_months=len(wide) - n_recent,
        fdr=res.config["alpha"],
    ).fit()
    lsoa = screen.table.reindex(base.index)

    table = res.table.rename(columns={"value": "change"})
    table["classification"] = table["classification"].replace(
        {HOT: "emerging " + HOT, COLD: "emerging " + COLD}
    )
    for col in ("count_current", "count_previous", "count_compared", "previous_compared"):
        table.insert(table.columns.get_loc("change"), col, areas[col])
    table["previous_class"] = before.table["classification"]
    table["rate_ratio"] = lsoa["rate_ratio"].to_numpy()
    table["lsoa_q_value"] = lsoa["q_value"].to_numpy()
    table["lsoa_change"] = np.where(lsoa["flagged"].to_numpy(dtype=bool), lsoa["change"], "none")
    in_rising_cluster = (table["classification"] == "emerging " + HOT) & (table["change"] > 0)
    rose = in_rising_cluster | (table["lsoa_change"] == "increase")
    table["new_hotspot"] = rose & (table["previous_class"] != HOT)
    table = gpd.GeoDataFrame(
        table.drop(columns="geometry"), geometry=table.geometry.to_numpy(), crs=table.crs
    )
    config = {
        **res.config,
        "column": measure,
        "measure": measure,
        "current": cur.label,
        "previous": prev.label,
        "scale": scale,
        "categories": categories,
        "complete": cmp.kind == "complete",
        "comparison": cmp.cell(),
        "months_compared": cmp.n_months,
        "class_prefix": "emerging ",
        "screen": screen.method,
    }
    note = join_notes(
        res.note,
        "" if cov_cur.complete else f"Current period: {cov_cur.describe()}.",
        "" if cov_prev.complete else f"Previous period: {cov_prev.describe()}.",
        "" if not _fewer(cmp) else f"Compared: {cmp.sentence()}.",
        f"LSOA screen: {screen.note}" if screen.note else "",
    )
    method = (
        f"{res.method}; on the {measure.replace('_', ' ')} {prev.label} -> {cur.label}. "
        f"Each LSOA's own change: {screen.method}"
    )
    out = HotspotResults(table, res.weights, res.islands, config=config, method=method, note=note)
    out.screen = screen
    return out
