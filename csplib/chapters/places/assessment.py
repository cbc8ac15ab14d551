"""What the places chapter computes: rates by ward and LSOA, hotspots, emerging hotspots, profiles.

The methods are in :mod:`csplib.methods.places`; this module chooses what the chapter computes
from the parameters and the tidy store (:func:`assess_places`, a :class:`PlacesAssessment`).

What is computed
----------------
Three groups of incidents (:data:`GROUPS`): **all crime** (every police.uk crime category,
not ASB), **anti-social behaviour** and **violence and sexual offences**.

* *Rates* (:func:`csplib.methods.places.area_rates`): counts and rates per 1,000 residents over
  the assessed period, by LSOA and by ward, with the ONS mid-year population of the year
  of the period's middle month (or the nearest year available). Ward polygons are the
  union of their LSOAs (:meth:`csplib.ingest.geography.Geography.wards`, :func:`ward_outlines`),
  so a ward map holds exactly the LSOAs counted in each ward.
* *Hotspots* (:class:`csplib.methods.places.GetisOrdHotspots`): Gi* of each LSOA's **count** in the
  assessed period, Queen contiguity, normal-approximation p-values, Benjamini-Hochberg at
  5%. LSOAs hold similar numbers of residents, so counts and rates agree except where
  few people live and many visit (the city centre), where the count says where incidents
  happen, which is what tasking needs.
* *Emerging hotspots* (:func:`csplib.methods.places.emerging_hotspots`, ASB): the assessed period
  against a comparison window of up to three whole years before it
  (:func:`comparison_window`): Gi* of the change in each LSOA's count and each LSOA's own
  change screened with Benjamini-Hochberg control. A single previous year is a weak
  comparison: a problem that began partway through it is half in the comparison, so its
  rise is halved. The synthetic data's new ASB hotspot (Nottingham 008E, x4 from October
  2023) shows against 2023/24 as a 1.4-fold rise in 2024/25, which the screen cannot tell
  from chance among 179 LSOAs, and against the three years before as a 2.3-fold rise
  (q < 0.001). Three years also give the screen the 24 months it needs to adjust for the
  season, and a steadier previous level.
* *Ward profiles* (:func:`csplib.methods.places.ward_profiles`): all crime, ASB, violence and the
  parameters' themes (those that can be computed from the data present) by ward, with the
  change on the same months a year earlier.

Months the quality report flags as implausible for a category (e.g. a release that lost
most of a month's ASB) are left out of every comparison with earlier periods for the
measures that count that category (:func:`csplib.methods.places.flagged_months`); the
assessed period's own counts are as published (a note says so).

Examples
--------
>>> from csplib.core.periods import Period
>>> months = pd.date_range("2020-04-01", "2025-03-01", freq="MS")
>>> comparison_window(Period.parse("2024/25"), months).label
'Apr 21 - Mar 24'
>>> comparison_window(Period.parse("2024/25"), months[-18:]).label
'Apr 23 - Mar 24'
>>> comparison_window(Period.parse("2024/25"), months[-12:]) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from csplib.chapters.places.tables import (
    emerging_table,
    hotspot_table,
    profile_table,
    ward_summary,
)
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, months_present
from csplib.core.schema import ALL_CRIME, ASB, CRIME_CATEGORIES
from csplib.methods.places import (
    GetisOrdHotspots,
    HotspotResults,
    area_rates,
    emerging_hotspots,
    flagged_months,
    ward_profiles,
)
from csplib.methods.themes import as_themes, theme_sources

__all__ = [
    "ALL_CRIME",
    "VIOLENCE",
    "GROUPS",
    "GI_SETTINGS",
    "ward_outlines",
    "comparison_window",
    "profile_measures",
    "PlacesAssessment",
    "assess_places",
    "group_noun",
    "months_text",
]

VIOLENCE = "Violence and sexual offences"

#: The groups of incidents mapped and tested for hotspots: label -> police.uk categories.
GROUPS: dict[str, tuple[str, ...]] = {
    ALL_CRIME: tuple(CRIME_CATEGORIES),
    ASB: (ASB,),
    VIOLENCE: (VIOLENCE,),
}

#: Settings of every Gi* fit (the defaults of :class:`csplib.methods.places.GetisOrdHotspots`,
#: without esda's permutations: their p-values are not used, see :mod:`csplib.methods.hotspots`).
GI_SETTINGS: dict = {"weights": "queen", "alpha": 0.05, "p_value": "normal", "permutations": 0}


# ----------------------------------------------------------------------------- helpers
def ward_outlines(geography) -> gpd.GeoDataFrame:
    """Ward polygons for the maps (index ``ward``; ``ward_name``, ``geometry``).

    :meth:`~csplib.ingest.geography.Geography.wards`: each ward is the union of the LSOAs
    whose counts go to it, so its edges follow the LSOAs of the LSOA maps and a ward map
    agrees with the ward counts. Where an LSOA straddles the official ward boundary, the
    drawn ward holds the whole LSOA (``docs/geography.md``).

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> w = ward_outlines(Geography("data/reference", la_codes=["E06000018"]))
    >>> len(w), w.index.name, w.crs.to_epsg(), w.loc["E05012281", "ward_name"]
    (20, 'ward', 27700, 'Hyson Green & Arboretum')
    """
    wards = geography.wards()
    return wards[["ward", "ward_name", "geometry"]].set_index("ward")


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
        Group (:data:`GROUPS`) -> :func:`csplib.methods.places.area_rates` by LSOA and by ward
        (ward polygons: :func:`ward_outlines`).
    hotspots : dict
        Group -> Gi* results of the LSOA counts of the assessed period.
    profiles : pandas.DataFrame
        :func:`csplib.methods.places.ward_profiles`.
    emerging : HotspotResults or None
        :func:`csplib.methods.places.emerging_hotspots` of ASB (None when the data hold no month
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

    @property
    def ward_summary(self) -> pd.DataFrame:
        """:func:`ward_summary`: the short ward profile, one row a ward."""
        return ward_summary(self.profile_table, self.hotspot_table, ALL_CRIME, ASB)


def _without_months(incidents: pd.DataFrame, months) -> pd.DataFrame:
    if not months:
        return incidents
    month = pd.to_datetime(incidents["month"]).to_numpy(dtype="datetime64[ns]")
    drop = pd.DatetimeIndex(list(months)).to_numpy(dtype="datetime64[ns]")
    return incidents.loc[~np.isin(month.astype("datetime64[M]"), drop.astype("datetime64[M]"))]


def months_text(months) -> str:
    """Months as the chapter writes them.

    Examples
    --------
    >>> months_text(pd.to_datetime(["2023-06-01", "2024-01-01"]))
    'Jun 2023, Jan 2024'
    """
    return ", ".join(f"{m:%b %Y}" for m in months)


def assess_places(params, store) -> PlacesAssessment:
    """Compute the places chapter's rates, hotspots, emerging hotspots and ward profiles.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``, ``area.name`` and ``themes``.
    store : csplib.ingest.store.Store
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
            f"The data have no police.uk records for {months_text(missing)}: counts and "
            f"rates for {period.label} are for the months present, not the whole period."
        )
    if period.n_months != 12:
        notes.append(
            f"The assessed period has {period.n_months} month{'s' * (period.n_months != 1)}: "
            "rates per 1,000 residents are "
            "for the period, not annualised."
        )
    deprivation_note = geography.deprivation().attrs.get("note")
    if deprivation_note:
        notes.append(
            f"{deprivation_note} The ward profiles' share of LSOAs in deprivation deciles 1-2 "
            "counts only the LSOAs that have a decile, and is blank for a ward with none."
        )
    for group, cats in GROUPS.items():
        inside = [m for m in flagged_months(implausible, cats) if period.contains(m)]
        if inside:
            notes.append(
                f"The quality report flags {months_text(inside)} as implausible for "
                f"{group_noun(group)}: counts, "
                f"rates and hotspots for {period.label} use the records as published, so "
                "they understate that month."
            )

    lsoa_rates, ward_rates, hotspots = {}, {}, {}
    for group, cats in GROUPS.items():
        options = dict(
            period=period, population_year=year, categories=list(cats), allow_incomplete=True
        )
        lsoa_rates[group] = area_rates(incidents, geography, level="lsoa", **options)
        ward_rates[group] = area_rates(incidents, geography, level="ward", **options)
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
        fewer = profiles.loc[~profiles["complete"].astype(bool)]
        for measure, rows in fewer.groupby("measure", sort=False):
            notes.append(
                f"{measure}: the change on {previous.label} is {rows['comparison'].iloc[0]}; "
                "a month missing from the data, or flagged as implausible by the quality "
                "report, in either year is left out of both."
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
                f"ASB in {months_text(left_out)} is flagged as implausible by the quality "
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


def group_noun(group: str) -> str:
    """What a group of incidents is called in a sentence (:data:`GROUPS`).

    Examples
    --------
    >>> group_noun(ALL_CRIME), group_noun(ASB)
    ('crime', 'ASB')
    """
    return {ALL_CRIME: "crime", ASB: "ASB", VIOLENCE: "violence and sexual offences"}.get(
        group, group.lower()
    )
