"""The places chapter's tables: rates by ward and LSOA, hotspots, emerging hotspots, findings.

The methods are in :mod:`csplib.places`; this module chooses what the chapter computes from
the parameters and the tidy store, and lays out the tables it shows.

What is computed
----------------
Three groups of incidents (:data:`GROUPS`): **all crime** (every police.uk crime category,
not ASB), **anti-social behaviour** and **violence and sexual offences**.

* *Rates* (:func:`csplib.places.area_rates`): counts and rates per 1,000 residents over
  the assessed period, by LSOA and by ward, with the ONS mid-year population of the year
  of the period's middle month (or the nearest year available). Ward polygons for maps are
  the LSOAs dissolved by ward (:func:`ward_outlines`): the shipped ward layer is
  generalised separately and does not nest the LSOAs.
* *Hotspots* (:class:`csplib.places.GetisOrdHotspots`): Gi* of each LSOA's **count** in the
  assessed period, Queen contiguity, normal-approximation p-values, Benjamini-Hochberg at
  5%. LSOAs hold similar numbers of residents, so counts and rates agree except where
  few people live and many visit (the city centre), where the count says where incidents
  happen, which is what tasking needs.
* *Emerging hotspots* (:func:`csplib.places.emerging_hotspots`, ASB): the assessed period
  against a comparison window of up to three whole years before it
  (:func:`comparison_window`): Gi* of the change in each LSOA's count and each LSOA's own
  change screened with Benjamini-Hochberg control. A single previous year is a weak
  comparison: a problem that began partway through it is half in the comparison, so its
  rise is halved. The synthetic data's new ASB hotspot (Nottingham 008E, x4 from October
  2023) shows against 2023/24 as a 1.4-fold rise in 2024/25, which the screen cannot tell
  from chance among 179 LSOAs, and against the three years before as a 2.3-fold rise
  (q < 0.001). Three years also give the screen the 24 months it needs to adjust for the
  season, and a steadier previous level.
* *Ward profiles* (:func:`csplib.places.ward_profiles`): all crime, ASB, violence and the
  parameters' themes (those that can be computed from the data present) by ward, with the
  change on the same months a year earlier.

Months the quality report flags as implausible for a category (e.g. a release that lost
most of a month's ASB) are left out of every comparison with earlier periods for the
measures that count that category (:func:`flagged_months`); the assessed period's own
counts are as published (a note says so).

Examples
--------
>>> from csplib.metrics.periods import Period
>>> months = pd.date_range("2020-04-01", "2025-03-01", freq="MS")
>>> comparison_window(Period.parse("2024/25"), months).label
'Apr 21 - Mar 24'
>>> comparison_window(Period.parse("2024/25"), months[-18:]).label
'Apr 23 - Mar 24'
>>> comparison_window(Period.parse("2024/25"), months[-12:]) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from statsmodels.stats.multitest import fdrcorrection

from csplib.errors import DataError, ParamsError
from csplib.metrics.periods import Period, months_present
from csplib.narrative import Finding
from csplib.places import (
    HOT,
    GetisOrdHotspots,
    HotspotResults,
    area_rates,
    emerging_hotspots,
    ward_profiles,
)
from csplib.schema import ASB, CRIME_CATEGORIES
from csplib.themes import as_themes, theme_sources

__all__ = [
    "ALL_CRIME",
    "VIOLENCE",
    "GROUPS",
    "ward_outlines",
    "flagged_months",
    "comparison_window",
    "profile_measures",
    "hotspot_table",
    "emerging_table",
    "profile_table",
    "PlacesAssessment",
    "assess_places",
    "chart_titles",
    "places_findings",
]

_CHAPTER = "05_places"
ALL_CRIME = "All crime (excluding ASB)"
VIOLENCE = "Violence and sexual offences"

#: The groups of incidents mapped and tested for hotspots: label -> police.uk categories.
GROUPS: dict[str, tuple[str, ...]] = {
    ALL_CRIME: tuple(CRIME_CATEGORIES),
    ASB: (ASB,),
    VIOLENCE: (VIOLENCE,),
}

#: Settings of every Gi* fit (the defaults of :class:`csplib.places.GetisOrdHotspots`,
#: without esda's permutations: their p-values are not used, see :mod:`csplib.places`).
GI_SETTINGS: dict = {"weights": "queen", "alpha": 0.05, "p_value": "normal", "permutations": 0}


# ----------------------------------------------------------------------------- helpers
def ward_outlines(geography) -> gpd.GeoDataFrame:
    """Ward polygons made of their LSOAs (index ``ward``; ``ward_name``, ``geometry``).

    The ward layer shipped with the reference data is generalised separately from the LSOA
    layer, so its edges do not follow the LSOAs; dissolving the LSOAs gives ward outlines
    that do, and ward polygons that hold exactly the LSOAs counted.

    Examples
    --------
    >>> from csplib.geography import Geography
    >>> w = ward_outlines(Geography("data/reference", la_codes=["E06000018"]))
    >>> len(w), w.index.name, w.crs.to_epsg()
    (20, 'ward', 27700)
    """
    lsoas = geography.lsoas()
    return lsoas[["ward", "ward_name", "geometry"]].dissolve("ward")


def flagged_months(implausible: pd.DataFrame | None, categories) -> list[pd.Timestamp]:
    """Months the quality report flags as implausible for any of ``categories``.

    Parameters
    ----------
    implausible : pandas.DataFrame or None
        The quality report's table (columns ``category`` and ``month``).
    categories : iterable of str

    Returns
    -------
    list of pandas.Timestamp
        Month starts, sorted, without repeats.

    Examples
    --------
    >>> flags = pd.DataFrame({"category": [ASB, "Drugs"],
    ...                       "month": pd.to_datetime(["2023-06-01", "2020-04-01"])})
    >>> [f"{m:%Y-%m}" for m in flagged_months(flags, [ASB])]
    ['2023-06']
    """
    if implausible is None or len(implausible) == 0:
        return []
    missing = [c for c in ("category", "month") if c not in implausible.columns]
    if missing:
        raise DataError(f"the implausible-months table has no {missing[0]!r} column")
    rows = implausible[implausible["category"].isin(list(categories))]
    months = pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp()
    return sorted(set(months))


def comparison_window(period: Period, months, *, years: int = 3) -> Period | None:
    """The whole years just before ``period`` that emerging hotspots compare it with.

    The longest run of 1 to ``years`` whole years ending the month before ``period`` starts
    and starting no earlier than the first month of data; when the data start inside the
    year before, that year (partly covered); None when the data hold no month of it.

    Parameters
    ----------
    period : Period
        The assessed period.
    months : sequence of month-like
        Months with data.
    years : int, default 3

    Returns
    -------
    Period or None
    """
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ParamsError(f"years must be a whole number of at least 1, got {years!r}")
    present = pd.DatetimeIndex(months)
    before = present[present < period.start]
    if before.empty:
        return None
    first = before.min()
    end = period.start - pd.DateOffset(months=1)
    for k in range(years, 0, -1):
        start = period.start - pd.DateOffset(years=k)
        if start >= first:
            return Period.window(start, end)
    previous = Period.window(period.start - pd.DateOffset(years=1), end)
    return previous if (before >= previous.start).any() else None


def profile_measures(themes, incidents: pd.DataFrame, partner=None):
    """The ward profile's categories and themes, and the themes left out (with why).

    ASB and violence are profiled as categories and all crime as a theme; a parameters
    theme is added unless it selects exactly one of these, or needs a partner extract that
    is absent.

    Returns
    -------
    (list of str, dict, list of str)
        Categories, themes (id -> :class:`csplib.params.ThemeSpec`), notes.

    Examples
    --------
    >>> inc = pd.DataFrame({"category": [ASB]})
    >>> cats, specs, notes = profile_measures(
    ...     {"asb": {"name": "ASB", "categories": [ASB]},
    ...      "hate": {"name": "Hate crime", "flags": {"hate": True}}}, inc)
    >>> cats, [s.name for s in specs.values()]
    (['Anti-social behaviour', 'Violence and sexual offences'], ['All crime (excluding ASB)'])
    >>> print(notes[0])  # doctest: +NORMALIZE_WHITESPACE
    Hate crime is not profiled by ward: it selects by flag(s) hate, which only a partner
    extract records.
    """
    categories = [ASB, VIOLENCE]
    specs = as_themes({"all_crime": {"name": ALL_CRIME, "categories": list(CRIME_CATEGORIES)}})
    same = {frozenset(GROUPS[g]) for g in GROUPS}
    notes = []
    for key, spec in (as_themes(themes) if themes else {}).items():
        if not spec.flags and frozenset(spec.categories) in same:
            continue
        try:
            theme_sources(spec, incidents, partner)
        except DataError:
            notes.append(
                f"{spec.name} is not profiled by ward: it selects by flag(s) "
                f"{', '.join(spec.flags)}, which only a partner extract records."
            )
            continue
        specs[key] = spec
    return categories, specs, notes


# ----------------------------------------------------------------------------- tables
def hotspot_table(
    hotspots: Mapping[str, HotspotResults], rates: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    """The hot spot LSOAs of each group: aggregates only, no geometry.

    Parameters
    ----------
    hotspots : mapping
        Group -> Gi* results of the LSOA counts.
    rates : mapping
        Group -> :func:`csplib.places.area_rates` at LSOA level (``ward_name``, ``count``,
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
        From :func:`csplib.places.emerging_hotspots` (with its ``screen``).
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
        From :func:`csplib.places.ward_profiles`.
    alpha : float, default 0.05
        False discovery rate.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``ward``, ``ward_name``, ``population``, ``deprived_lsoa_share``,
        ``count``, ``rate_per_1000``, ``rank``, ``share_of_area``, ``months_compared``,
        ``count_compared``, ``previous``, ``pct_change``, ``p_value``, ``q_value`` and
        ``change`` (``"up"``/``"down"``: q-value at most ``alpha``; ``"no significant
        change"``; ``"not compared"`` when no month could be compared).

    Examples
    --------
    >>> p = pd.DataFrame({"measure": ["B", "A", "A"], "ward": ["w1", "w1", "w2"],
    ...     "ward_name": ["One", "One", "Two"], "population": [10.0, 10.0, 20.0],
    ...     "deprived_lsoa_share": [0.0, 0.0, 50.0], "count": [1, 5, 7],
    ...     "rate_per_1000": [100.0, 500.0, 350.0], "rank": [1, 1, 2],
    ...     "share_of_area": [100.0, 41.7, 58.3], "months_compared": [0, 12, 12],
    ...     "count_compared": [np.nan, 5.0, 7.0], "previous": [np.nan, 2.0, 7.0],
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
    diff = (t["count_compared"] - t["previous"]).to_numpy(dtype=float)
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
        "rate_per_1000",
        "rank",
        "share_of_area",
        "months_compared",
        "count_compared",
        "previous",
        "pct_change",
        "p_value",
    ]
    out = t[columns].copy()
    out["q_value"] = q
    out["change"] = change
    return out.reset_index(drop=True)


# ----------------------------------------------------------------------------- assessment
@dataclass
class PlacesAssessment:
    """Everything the places chapter shows, computed once (see :func:`assess_places`).

    Attributes
    ----------
    area : str
    period : Period
        The assessed period.
    lsoa_rates, ward_rates : dict
        Group (:data:`GROUPS`) -> :func:`csplib.places.area_rates` by LSOA and by ward
        (ward polygons: :func:`ward_outlines`).
    hotspots : dict
        Group -> Gi* results of the LSOA counts of the assessed period.
    profiles : pandas.DataFrame
        :func:`csplib.places.ward_profiles`.
    emerging : HotspotResults or None
        :func:`csplib.places.emerging_hotspots` of ASB (None when the data hold no month
        before the assessed period).
    comparison : Period or None
        The window the emerging hotspots compare the assessed period with.
    wards : geopandas.GeoDataFrame
        Ward outlines for the maps.
    lsoas : pandas.DataFrame
        The geography's LSOA table (names, wards).
    population_year : int
        The mid-year population estimate used.
    notes : list of str
        What could not be computed and why, and what the reader must know.
    config : dict
        Settings used.
    """

    area: str
    period: Period
    lsoa_rates: dict
    ward_rates: dict
    hotspots: dict
    profiles: pd.DataFrame
    emerging: HotspotResults | None
    comparison: Period | None
    wards: gpd.GeoDataFrame
    lsoas: pd.DataFrame
    population_year: int
    notes: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)

    @property
    def hotspot_table(self) -> pd.DataFrame:
        """:func:`hotspot_table` of the assessed period's hot spots."""
        return hotspot_table(self.hotspots, self.lsoa_rates)

    @property
    def emerging_table(self) -> pd.DataFrame | None:
        """:func:`emerging_table` of the ASB emerging hotspots (None when not computed)."""
        return None if self.emerging is None else emerging_table(self.emerging, self.lsoas)

    @property
    def profile_table(self) -> pd.DataFrame:
        """:func:`profile_table` of the ward profiles."""
        return profile_table(self.profiles)


def _without_months(incidents: pd.DataFrame, months) -> pd.DataFrame:
    if not months:
        return incidents
    month = pd.to_datetime(incidents["month"]).to_numpy(dtype="datetime64[ns]")
    drop = pd.DatetimeIndex(list(months)).to_numpy(dtype="datetime64[ns]")
    return incidents.loc[~np.isin(month.astype("datetime64[M]"), drop.astype("datetime64[M]"))]


def _months_text(months) -> str:
    return ", ".join(f"{m:%b %Y}" for m in months)


def assess_places(params, store) -> PlacesAssessment:
    """Compute the places chapter's rates, hotspots, emerging hotspots and ward profiles.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``, ``area.name`` and ``themes``.
    store : csplib.store.Store
        Uses ``incidents``, ``partner``, ``months_present``, ``quality.implausible`` and
        ``geography``.

    Returns
    -------
    PlacesAssessment
    """
    period = Period.coerce(params.assessment.period)
    geography = store.geography
    incidents = store.incidents
    partner = store.partner
    implausible = store.quality.implausible
    present = months_present(incidents["month"])
    notes: list[str] = []
    year = period.population_year
    outlines = ward_outlines(geography)
    missing = [m for m in period.months if m not in set(present)]
    if missing:
        notes.append(
            f"The data have no police.uk records for {_months_text(missing)}: counts and "
            f"rates for {period.label} are for the months present, not the whole period."
        )
    if period.n_months != 12:
        notes.append(
            f"The assessed period has {period.n_months} months: rates per 1,000 residents are "
            "for the period, not annualised."
        )
    for group, cats in GROUPS.items():
        inside = [m for m in flagged_months(implausible, cats) if period.contains(m)]
        if inside:
            notes.append(
                f"The quality report flags {_months_text(inside)} as implausible for "
                f"{_noun(group)}: counts, "
                f"rates and hotspots for {period.label} use the records as published, so "
                "they understate that month."
            )

    lsoa_rates, ward_rates, hotspots = {}, {}, {}
    for group, cats in GROUPS.items():
        options = dict(
            period=period, population_year=year, categories=list(cats), allow_incomplete=True
        )
        lsoa_rates[group] = area_rates(incidents, geography, level="lsoa", **options)
        ward = area_rates(incidents, geography, level="ward", **options)
        ward["geometry"] = outlines.geometry.reindex(ward.index).to_numpy()
        ward_rates[group] = ward
        hotspots[group] = GetisOrdHotspots(lsoa_rates[group], "count", **GI_SETTINGS).fit()
    pop_used = int(lsoa_rates[ALL_CRIME].attrs["population_year"])

    categories, specs, theme_notes = profile_measures(params.themes, incidents, partner)
    notes.extend(theme_notes)
    profiles = ward_profiles(
        incidents,
        geography,
        period=period,
        population_year=year,
        categories=categories,
        themes=specs,
        partner=partner,
        allow_incomplete=True,
        total=None,
        exclude=implausible,
    )
    first = [ALL_CRIME, ASB, VIOLENCE]
    rank = profiles["measure"].map({m: i for i, m in enumerate(first)}).fillna(len(first))
    profiles = profiles.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)
    previous = period.previous_year()
    if (profiles["months_compared"] == 0).all():
        notes.append(
            f"The data hold no month of {previous.label}, so the wards' change on the previous "
            "year cannot be computed."
        )
    else:
        fewer = profiles.loc[profiles["months_compared"] < period.n_months]
        for measure, rows in fewer.groupby("measure", sort=False):
            n = int(rows["months_compared"].iloc[0])
            notes.append(
                f"{measure}: the change on {previous.label} compares {n} of the "
                f"{period.n_months} months with the same months a year earlier; a month "
                "missing from the data, or flagged as implausible by the quality report, in "
                "either year is left out of both."
            )

    comparison = comparison_window(period, present)
    emerging = None
    bad = flagged_months(implausible, [ASB])
    if comparison is None:
        notes.append(
            f"The data hold no month before {period.label}, so emerging hotspots (the change "
            "on earlier years) cannot be computed."
        )
    else:
        try:
            emerging = emerging_hotspots(
                _without_months(incidents, bad),
                geography,
                current=period,
                previous=comparison,
                categories=[ASB],
                allow_incomplete=True,
                **GI_SETTINGS,
            )
        except DataError as exc:
            notes.append(f"Emerging hotspots cannot be computed: {exc}")
            comparison = None
        left_out = [
            m
            for m in bad
            if emerging is not None and (comparison.contains(m) or period.contains(m))
        ]
        if left_out:
            notes.append(
                f"ASB in {_months_text(left_out)} is flagged as implausible by the quality "
                "report and is left out of the emerging-hotspot comparison (the previous "
                "level is taken from the other months)."
            )
        if emerging is not None and comparison.n_months < 36:
            notes.append(
                f"Emerging hotspots compare {period.label} with {comparison.label} only: the "
                "data do not hold three whole years before the assessed period."
            )
    return PlacesAssessment(
        area=params.area.name,
        period=period,
        lsoa_rates=lsoa_rates,
        ward_rates=ward_rates,
        hotspots=hotspots,
        profiles=profiles,
        emerging=emerging,
        comparison=comparison,
        wards=outlines,
        lsoas=geography.lsoa_table,
        population_year=pop_used,
        notes=notes,
        config={
            "population_year_requested": year,
            "population_year": pop_used,
            "gi": dict(GI_SETTINGS),
            "emerging_category": ASB,
            "emerging_measure": "difference",
            "lsoas": len(geography.lsoa_table),
            "wards": len(outlines),
        },
    )


# ----------------------------------------------------------------------------- text
def _noun(group: str) -> str:
    return {ALL_CRIME: "crime", ASB: "ASB", VIOLENCE: "violence and sexual offences"}.get(
        group, group.lower()
    )


def _title_noun(group: str) -> str:
    noun = _noun(group)
    return noun[0].upper() + noun[1:]


def _top_wards(names: pd.Series, n: int = 2) -> str:
    top = names.value_counts().head(n).index.tolist()
    return " and ".join(top)


def _top(frame: pd.DataFrame) -> pd.Series:
    return frame.loc[frame["rate_per_1000"].idxmax()]


def chart_titles(result: PlacesAssessment) -> dict[str, str]:
    """Titles stating each map's finding, keyed ``ward_<group>``, ``lsoa_<group>``,
    ``hotspot_<group>`` and ``emerging``."""
    label = result.period.label
    titles = {}
    for group in GROUPS:
        w = _top(result.ward_rates[group])
        titles[f"ward_{group}"] = (
            f"{_title_noun(group)} per 1,000 residents in {label} was highest in "
            f"{w['name']} ({w['rate_per_1000']:,.0f})"
        )
        s = _top(result.lsoa_rates[group])
        titles[f"lsoa_{group}"] = (
            f"The highest {_noun(group)} rate in {label}: {s['name']} in {s['ward_name']} "
            f"({s['rate_per_1000']:,.0f} per 1,000)"
        )
        hot = result.hotspots[group].hot
        if len(hot):
            wards = _top_wards(result.lsoa_rates[group].loc[hot, "ward_name"])
            titles[f"hotspot_{group}"] = (
                f"{len(hot)} LSOAs form significant {_noun(group)} hot spots in {label}, "
                f"most in {wards}"
            )
        else:
            titles[f"hotspot_{group}"] = f"No significant {_noun(group)} hot spots in {label}"
    if result.emerging is not None:
        t = result.emerging.table
        new = t.loc[t["new_hotspot"]]
        if len(new):
            names = ", ".join(new["name"].head(3))
            more = f" and {len(new) - 3} more" if len(new) > 3 else ""
            titles["emerging"] = (
                f"{len(new)} new ASB hotspot{'s' if len(new) > 1 else ''} in {label}: {names}{more}"
            )
        else:
            titles["emerging"] = f"No new ASB hotspot in {label}"
    return titles


def places_findings(result: PlacesAssessment, *, threshold: int = 5) -> list[Finding]:
    """The chapter's key findings as plain sentences, for the summary.

    Parameters
    ----------
    result : PlacesAssessment
    threshold : int, default 5
        Counts below it are not stated (small-number suppression).

    Returns
    -------
    list of Finding
        Highest ward rates of crime and ASB; the hot spots of each group; the new ASB
        hotspots (or that none or none could be computed); wards whose crime or ASB changed
        significantly on the previous year.
    """
    label = result.period.label
    out = []
    for group in (ALL_CRIME, ASB):
        wards = result.ward_rates[group]
        w = _top(wards)
        area_rate = wards["count"].sum() / wards["population"].sum() * 1000
        text = (
            f"{w['name']} had the highest rate of {_noun(group)} of the {len(wards)} wards in "
            f"{label}: {w['rate_per_1000']:,.0f} per 1,000 residents"
        )
        if w["count"] >= threshold:
            text += f" ({int(w['count']):,} {'incidents' if group == ASB else 'crimes'})"
        out.append(Finding(f"{text}, against {area_rate:,.0f} across {result.area}.", _CHAPTER))
    for group, res in result.hotspots.items():
        hot = res.hot
        if len(hot):
            rates = result.lsoa_rates[group].loc[hot]
            share = rates["count"].sum() / result.lsoa_rates[group]["count"].sum()
            out.append(
                Finding(
                    f"{len(hot)} of {len(res.table)} LSOAs form statistically significant hot "
                    f"spots of {_noun(group)} in {label} (Getis-Ord Gi*, false discovery rate "
                    f"5%), mostly in {_top_wards(rates['ward_name'])}; they hold {share:.0%} "
                    f"of the area's {_noun(group)}.",
                    _CHAPTER,
                )
            )
        else:
            out.append(
                Finding(
                    f"No LSOA forms a statistically significant hot spot of {_noun(group)} in "
                    f"{label} (Getis-Ord Gi*, false discovery rate 5%).",
                    _CHAPTER,
                )
            )
    out.extend(_emerging_findings(result, threshold))
    prof = result.profile_table
    prev = result.period.previous_year().label
    test = "exact Poisson test, Benjamini-Hochberg across wards at 5%"
    for measure in pd.unique(prof["measure"]):
        rows = prof[(prof["measure"] == measure) & (prof["months_compared"] > 0)]
        changed = (rows["change"] != "no significant change").any()
        if rows.empty or (measure not in (ALL_CRIME, ASB) and not changed):
            continue
        parts = []
        for direction, verb in (("up", "rose"), ("down", "fell")):
            names = rows.loc[rows["change"] == direction, "ward_name"].tolist()
            if names:
                listed = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
                ward = "ward" if len(names) == 1 else "wards"
                parts.append(f"{verb} significantly in {len(names)} {ward} ({listed})")
        what = _title_noun(measure)
        if parts:
            text = f"{what} {' and '.join(parts)} compared with {prev} ({test})."
        else:
            text = f"{what} did not change significantly in any ward compared with {prev} ({test})."
        out.append(Finding(text, _CHAPTER))
    return out


def _emerging_findings(result: PlacesAssessment, threshold: int) -> list[Finding]:
    label = result.period.label
    if result.emerging is None:
        return [
            Finding(
                f"Emerging ASB hotspots cannot be computed: the data hold no usable month "
                f"before {label} to compare with.",
                _CHAPTER,
            )
        ]
    table = emerging_table(result.emerging, result.lsoas)
    new = table[table["new_hotspot"]]
    comp = result.comparison.label
    if new.empty:
        return [
            Finding(f"No LSOA became a new ASB hotspot in {label} compared with {comp}.", _CHAPTER)
        ]
    out = []
    for row in new.head(3).itertuples():
        if row.count >= threshold and np.isfinite(row.expected):
            size = f": {row.count:,} incidents against about {row.expected:,.0f} expected from"
        else:
            size = ", up on"
        q = f", q = {row.lsoa_q_value:.2g}" if np.isfinite(row.lsoa_q_value) else ""
        out.append(
            Finding(
                f"{row.name} ({row.ward_name} ward) is a new ASB hotspot in {label}{size} its "
                f"level in {comp} (rate ratio {row.rate_ratio:.1f}{q}, false discovery rate "
                "5%).",
                _CHAPTER,
            )
        )
    if len(new) > 3:
        out.append(Finding(f"{len(new) - 3} more LSOAs are new ASB hotspots in {label}.", _CHAPTER))
    return out
