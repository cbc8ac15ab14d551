"""Ward profiles: each ward's count, rate, rank, share and change, by category and theme.

:func:`ward_profiles`: for each ward and each category and theme, the count, the rate per
1,000 residents, the ward's rank among the wards by that rate (1 = highest), its share of
the area's count, the share of its LSOAs in IMD deciles 1-2, and the change on the same
period a year earlier with an exact Poisson test
(:func:`csplib.methods.measures.change.compare_counts`, equal exposures: the same
residents). The change follows the one comparison rule
(:func:`csplib.core.comparison.compare_months`): months missing from the data, or flagged as
implausible by the quality report (:func:`csplib.methods.places_select.flagged_months`), in
either year are left out of both (like-for-like).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.comparison import COMPARED_COLUMNS, compare_months
from csplib.core.errors import ParamsError
from csplib.core.periods import check_coverage, months_present
from csplib.core.schema import ASB, POLICE_UK_CATEGORIES
from csplib.methods.measures.change import compare_counts
from csplib.methods.places_select import (
    RATE_NOTE,
    as_period,
    check_categories,
    check_level,
    deprived_share,
    flagged_months,
    lsoa_counts,
    need_columns,
)
from csplib.methods.themes import as_themes, in_period, theme_incidents, theme_sources

__all__ = ["ward_profiles"]

# ----------------------------------------------------------------------------- ward profiles
_PROFILE_COLUMNS = [
    "ward",
    "ward_name",
    "kind",
    "measure",
    "population",
    "lsoa_count",
    "deprived_lsoa_share",
    "count",
    "months",
    "rate_per_1000",
    "rank",
    "share_of_area",
    *COMPARED_COLUMNS,
]


def _ward_counts(rows, geography, lsoa_ward: pd.Series, what: str) -> pd.Series:
    counts = lsoa_counts(rows, geography, what)
    return counts.groupby(lsoa_ward.reindex(counts.index).to_numpy()).sum()


def _measure_categories(kind, selector, incidents, partner):
    """The police.uk categories a measure reads from ``incidents`` (None: all of them)."""
    if kind == "total":
        return None
    if kind == "category":
        return list(selector)
    sources = [name for name, _ in theme_sources(selector, incidents, partner)]
    if "incidents" not in sources:
        return []
    return [ASB] if len(sources) == 2 else list(selector.categories)


def _months_of(tables) -> pd.DatetimeIndex:
    present = None
    for name, table in tables:
        need_columns(table, ["month"], name)
        months = set(months_present(table["month"]))
        present = months if present is None else present & months
    return pd.DatetimeIndex(sorted(present or []))


def ward_profiles(
    incidents: pd.DataFrame,
    geography,
    *,
    period,
    population_year: int,
    categories=None,
    themes=None,
    partner: pd.DataFrame | None = None,
    alpha: float = 0.05,
    allow_incomplete: bool = False,
    total: str | None = "All crime and ASB",
    exclude: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each ward's counts, rates, rank, share, deprivation mix and change, by category and theme.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy incidents of the area (``month``, ``category``, ``lsoa`` in the geography's
        vintage).
    geography : csplib.ingest.geography.Geography
    period : Period, str or (start, end)
        The period profiled; compared with the same months a year earlier.
    population_year : int
        Mid-year population estimate used for the rates (both periods).
    categories : str or list of str, optional
        Categories profiled; default every category with an incident in the period, in
        police.uk order.
    themes : mapping or list, optional
        Themes (see :mod:`csplib.methods.themes`) profiled after the categories.
    partner : pandas.DataFrame, optional
        Partner extract, for themes selected by flags.
    alpha : float, default 0.05
        Level of the exact Poisson test of the change.
    allow_incomplete : bool, default False
        Profile a period with months the data do not cover (``complete`` is then False).
    total : str or None, default "All crime and ASB"
        Label of a first measure counting every incident (None: no total).
    exclude : pandas.DataFrame, optional
        Months to leave out of the comparison, with columns ``category`` and ``month``
        (e.g. the quality report's ``implausible`` table): a measure leaves out the months
        flagged for a category it reads from ``incidents`` (a theme reading a partner
        extract, only its ASB rows). The counts and rates of ``period`` are not changed.

    Returns
    -------
    pandas.DataFrame
        One row per ward and measure (``kind`` ``total``, ``category`` or ``theme``):
        ``ward``, ``ward_name``, ``kind``, ``measure``, ``population``, ``lsoa_count``,
        ``deprived_lsoa_share`` (% of the ward's LSOAs in IMD deciles 1-2), ``count`` and
        ``months`` (the period's months with data: ``all 12 months``, ``11 of 12
        months``), ``rate_per_1000`` (over the period), ``rank`` (among wards by rate, 1 =
        highest), ``share_of_area`` (% of the area's count), ``previous`` and
        ``previous_months`` (the same a year earlier; NaN when that year has no data),
        ``comparison`` (the months compared, in words), ``months_compared``,
        ``count_compared`` and ``previous_compared`` (the counts of the months compared in
        each year; NaN when no month can be compared), ``volume_change``, ``pct_change``,
        ``p_value`` (of ``count_compared`` against ``previous_compared``), ``significant``,
        ``direction`` (``up``/``down``/``none``) and ``complete`` (every month of both
        periods compared). ``attrs``: ``period``, ``previous_period``,
        ``population_year``, ``alpha``, ``test``, ``rate``.

    Notes
    -----
    The change compares **like with like**: a month of the period is compared only when
    the data cover it and the same month a year earlier, and neither is in ``exclude``
    for the measure. ``count_compared`` equals ``count`` when every month is compared;
    otherwise the change is over fewer months than the count (``months_compared``), so
    that a month missing from one year is not read as a fall or a rise.

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> geo = Geography("data/reference", la_codes=["E06000018"])
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2019-01-01"] * 3 + ["2018-01-01"]),
    ...                     "category": ["Burglary"] * 4,
    ...                     "lsoa": ["E01013810", "E01013810", "E01013811", "E01013810"]})
    >>> p = ward_profiles(inc, geo, period="Jan 19", population_year=2019, total=None)
    >>> row = p[p["ward"] == "E05012281"].iloc[0]
    >>> row["measure"], int(row["count"]), float(row["previous"]), int(row["rank"])
    ('Burglary', 3, 1.0, 1)
    >>> flags = pd.DataFrame({"category": ["Burglary"], "month": pd.to_datetime(["2018-01-01"])})
    >>> p = ward_profiles(inc, geo, period="Jan 19", population_year=2019, total=None,
    ...                   exclude=flags)
    >>> row = p[p["ward"] == "E05012281"].iloc[0]
    >>> int(row["count"]), float(row["previous"]), int(row["months_compared"])
    (3, 1.0, 0)
    >>> row["comparison"]
    'not compared: every month of Jan 18 with data is left out (Jan 2018)'
    """
    alpha = check_level(alpha, "alpha")
    cur = as_period(period)
    prev = cur.previous_year()
    need_columns(incidents, ["month", "category", "lsoa"], "incidents")
    if categories is None:
        present = {str(c) for c in in_period(incidents, cur)["category"].dropna().unique()}
        categories = [c for c in POLICE_UK_CATEGORIES if c in present] + sorted(
            present - set(POLICE_UK_CATEGORIES)
        )
    else:
        categories = check_categories(categories, incidents)
    specs = as_themes(themes) if themes is not None else {}
    lsoa_ward = geography.lsoa_table["ward"]
    pop = geography.population(population_year)
    wards = geography.ward_profile(pop["population"].rename("population"))
    deprived = deprived_share(geography).reindex(wards.index)

    if exclude is not None:
        need_columns(exclude, ["category", "month"], "exclude")
    inc_months = months_present(incidents["month"])
    measures = []  # (kind, name, selector, months present)
    if total is not None:
        measures.append(("total", total, None, inc_months))
    for cat in categories:
        measures.append(("category", cat, [cat], inc_months))
    for name, spec in specs.items():
        measures.append(("theme", name, spec, _months_of(theme_sources(spec, incidents, partner))))
    if not measures:
        raise ParamsError("nothing to profile: no categories in the period, no themes, no total")

    def rows_of(kind, selector, p):
        if kind == "theme":
            return theme_incidents(selector, incidents, partner, period=p)
        rows = in_period(incidents, p)
        if kind == "category":
            rows = rows.loc[rows["category"].isin(selector).to_numpy(dtype=bool)]
        return rows

    frames = []
    test_name = ""
    for kind, name, selector, present in measures:
        what = f"{name} ({kind})"
        check_coverage(cur, present, allow_incomplete=allow_incomplete, what=what)
        flagged = flagged_months(exclude, _measure_categories(kind, selector, incidents, partner))
        cmp = compare_months(cur, prev, present, exclude=flagged)
        rows_cur = rows_of(kind, selector, cur)
        count = _ward_counts(rows_cur, geography, lsoa_ward, what)
        count = count.reindex(wards.index, fill_value=0).astype("int64")
        out = pd.DataFrame(index=wards.index)
        out["ward_name"] = wards["ward_name"]
        out["kind"] = kind
        out["measure"] = name
        out["population"] = wards["population"]
        out["lsoa_count"] = wards["lsoa_count"]
        out["deprived_lsoa_share"] = deprived
        out["count"] = count
        out["months"] = cmp.current_coverage.short()
        out["rate_per_1000"] = count / wards["population"] * 1000
        out["rank"] = out["rate_per_1000"].rank(ascending=False, method="min").astype("int64")
        area_total = int(count.sum())
        out["share_of_area"] = count / area_total * 100 if area_total else np.nan
        out["previous"] = np.nan
        out["previous_months"] = cmp.previous_coverage.short()
        out["comparison"] = cmp.cell()
        out["complete"] = cmp.kind == "complete"
        out["months_compared"] = cmp.n_months
        for col in ("count_compared", "previous_compared", "volume_change", "pct_change"):
            out[col] = np.nan
        out["p_value"] = np.nan
        out["significant"] = False
        out["direction"] = "none"
        rows_prev = rows_of(kind, selector, prev)
        if cmp.previous_coverage.n_covered:
            before = _ward_counts(rows_prev, geography, lsoa_ward, what)
            out["previous"] = before.reindex(wards.index, fill_value=0).astype(float)
        if cmp.compared:
            now, previous = (
                _ward_counts(cmp.select(r, which), geography, lsoa_ward, what)
                .reindex(wards.index, fill_value=0)
                .astype("int64")
                for r, which in ((rows_cur, "current"), (rows_prev, "previous"))
            )
            changes = [
                compare_counts(int(c), int(p), polarity="neutral", alpha=alpha)
                for c, p in zip(now, previous, strict=True)
            ]
            test_name = changes[0].test.name
            out["count_compared"] = now.astype(float)
            out["previous_compared"] = previous.astype(float)
            out["volume_change"] = [c.volume_change for c in changes]
            out["pct_change"] = [np.nan if c.pct_change is None else c.pct_change for c in changes]
            out["p_value"] = [c.p_value for c in changes]
            out["significant"] = [bool(c.significant) for c in changes]
            out["direction"] = [c.direction for c in changes]
        frames.append(out.reset_index(names="ward"))
    table = pd.concat(frames, ignore_index=True)[_PROFILE_COLUMNS]
    table = table.sort_values("ward", kind="stable").reset_index(drop=True)
    table.attrs = {
        "period": cur.label,
        "previous_period": prev.label,
        "population_year": int(pop.attrs.get("year", population_year)),
        "alpha": alpha,
        "test": test_name,
        "rate": RATE_NOTE,
    }
    return table
