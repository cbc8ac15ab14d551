"""Places: counts and rates by LSOA and ward on the boundaries, hotspots and ward profiles.

This module holds the counts and rates by area and gathers the places methods in one
namespace; each concept has its own module:

Counts and rates (here)
    :func:`area_rates` counts incidents by LSOA (or ward) over a period and joins them to
    the area's polygons, with population and deprivation. Every LSOA of the geography is
    listed: an LSOA with no incident in a period that the data cover is a **true zero**
    (a month with no rows at all is not covered; the period is refused unless
    ``allow_incomplete=True``). Rates are per 1,000 residents **over the period** (not
    annualised), as in :func:`csplib.methods.themes.theme_volumes`. Wards are built from their
    LSOAs (2024 wards; the ward of an incident is the ward of its LSOA).

Hotspots (:mod:`csplib.methods.hotspots`)
    :class:`GetisOrdHotspots`: the local Getis-Ord Gi* of a value per area, with its
    neighbours (:func:`spatial_weights`), normal-approximation p-values and
    Benjamini-Hochberg false discovery rate.

Emerging hotspots (:mod:`csplib.methods.hotspots_emerging`)
    :func:`emerging_hotspots`: Gi* of the change in each LSOA's count between two periods,
    and each LSOA's own change screened, with the Gi* class of the earlier counts beside
    them (new hotspots).

Ward profiles (:mod:`csplib.methods.places_profiles`)
    :func:`ward_profiles`: each ward's count, rate, rank, share, deprivation mix and
    change on the same months a year earlier, by category and theme.

Selection (:mod:`csplib.methods.places_select`)
    What every measure counts: the period, the categories, the months covered, and the
    months the quality report flags as implausible (:func:`flagged_months`).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> cells = [box(c, r, c + 1, r + 1) for r in range(6) for c in range(6)]
>>> y = [12.0 if r < 2 and c < 2 else 2.0 for r in range(6) for c in range(6)]
>>> grid = gpd.GeoDataFrame({"count": y}, geometry=cells)
>>> res = GetisOrdHotspots(grid, "count", permutations=0).fit()
>>> res.hot.tolist()
[0, 1, 6, 7]
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from csplib.core.errors import ParamsError
from csplib.methods.hotspots import (
    CLASSES,
    COLD,
    HOT,
    ISLANDS,
    NO_NEIGHBOURS,
    NOT_SIGNIFICANT,
    P_VALUES,
    WEIGHTS,
    GetisOrdHotspots,
    HotspotResults,
    spatial_weights,
)
from csplib.methods.hotspots_emerging import CHANGE_MEASURES, emerging_hotspots
from csplib.methods.places_profiles import ward_profiles
from csplib.methods.places_select import (
    RATE_NOTE,
    as_period,
    check_categories,
    deprived_share,
    flagged_months,
    lsoa_counts,
    select,
)

__all__ = [
    "LEVELS",
    "HOT",
    "COLD",
    "NOT_SIGNIFICANT",
    "NO_NEIGHBOURS",
    "CLASSES",
    "WEIGHTS",
    "P_VALUES",
    "ISLANDS",
    "CHANGE_MEASURES",
    "area_rates",
    "spatial_weights",
    "GetisOrdHotspots",
    "HotspotResults",
    "emerging_hotspots",
    "ward_profiles",
    "flagged_months",
]

#: Levels :func:`area_rates` counts at.
LEVELS: tuple[str, ...] = ("lsoa", "ward")


def area_rates(
    incidents: pd.DataFrame,
    geography,
    *,
    level: str = "lsoa",
    period=None,
    population_year: int,
    categories=None,
    allow_incomplete: bool = False,
) -> gpd.GeoDataFrame:
    """Incidents, residents and rates per 1,000 by LSOA or ward, on their polygons.

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy incidents of the area (``lsoa`` in the geography's vintage, ``month``; and
        ``category`` when ``categories`` is given). Pass every row, not a category's: the
        months present in it decide which months the data cover.
    geography : csplib.ingest.geography.Geography
    level : {"lsoa", "ward"}
    period : Period, str or (start, end), optional
        The months counted, e.g. ``"2019/20"`` or ``("2023-10", "2024-09")``. Without it,
        every row is counted.
    population_year : int
        Mid-year population estimate to use (the nearest year available).
    categories : str or list of str, optional
        Count only these categories.
    allow_incomplete : bool, default False
        Count a period with months the data do not cover (``attrs["complete"]`` is then
        False) instead of refusing it.

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``lsoa`` or ``ward`` (every area of the geography); columns ``name``, for
        LSOAs ``ward`` and ``ward_name``, for wards ``lsoa_count``; ``count``,
        ``population``, ``rate_per_1000``; ``imd_decile`` (LSOAs, 1 = most deprived) or
        ``deprived_lsoa_share`` (wards: % of LSOAs in deciles 1-2); ``geometry``
        (EPSG:27700). ``attrs``: ``level``, ``period``, ``months``, ``complete``,
        ``coverage``, ``categories``, ``population_year``, ``rate``, ``outside`` (rows
        with an LSOA outside the area, not counted), ``no_area`` (rows without one) and
        ``deprivation_note`` (None, or why some LSOAs have no decile: Welsh LSOAs, which
        the English indices do not cover; their ``imd_decile`` is missing and they are
        left out of ``deprived_lsoa_share``).

        Ward polygons are :meth:`~csplib.ingest.geography.Geography.wards`: each ward is
        the union of its LSOAs, so the map and the counts agree.

    Raises
    ------
    DataError
        Missing columns, a period the data do not cover, or incidents none of which lie
        in the area (another LSOA vintage).
    ParamsError
        Unknown level or category, or a bad period.

    Examples
    --------
    >>> from csplib.ingest.geography import Geography
    >>> geo = Geography("data/reference", la_codes=["E06000018"])
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2019-01-01"] * 3),
    ...                     "lsoa": ["E01013810", "E01013810", "E01013811"]})
    >>> r = area_rates(inc, geo, period="Jan 19", population_year=2019)
    >>> len(r), int(r["count"].sum()), int((r["count"] == 0).sum())
    (179, 3, 177)
    >>> int(r.loc["E01013810", "count"]), float(r.loc["E01013810", "population"])
    (2, 1892.0)
    >>> w = area_rates(inc, geo, level="ward", period="Jan 19", population_year=2019)
    >>> w.loc["E05012281", "name"], int(w.loc["E05012281", "count"])
    ('Hyson Green & Arboretum', 3)
    """
    if level not in LEVELS:
        raise ParamsError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    period = None if period is None else as_period(period)
    categories = check_categories(categories, incidents)
    rows, coverage = select(incidents, period, categories, allow_incomplete)
    counts = lsoa_counts(rows, geography)
    pop = geography.population(population_year)
    population = pop["population"]
    if level == "lsoa":
        base = geography.lsoas().set_index("lsoa").rename(columns={"lsoa_name": "name"})
        out = base[["name", "ward", "ward_name"]].copy()
        out["count"] = counts.reindex(out.index).to_numpy()
        out["population"] = population.reindex(out.index).to_numpy()
        deprivation = geography.deprivation()
        out["imd_decile"] = deprivation["imd_decile"].reindex(out.index)
        note = deprivation.attrs.get("note")
    else:
        base = geography.wards().set_index("ward").rename(columns={"ward_name": "name"})
        prof = geography.ward_profile(counts, population=population)
        out = base[["name", "lsoa_count"]].copy()
        # a drawn ward holding no LSOA of the geography's vintage counts nothing and no one
        out["count"] = prof["count"].reindex(out.index, fill_value=0).to_numpy()
        out["population"] = prof["population"].reindex(out.index, fill_value=0.0).to_numpy()
        share = deprived_share(geography)
        out["deprived_lsoa_share"] = share.reindex(out.index).to_numpy()
        note = share.attrs.get("note")
    out.insert(
        out.columns.get_loc("population") + 1,
        "rate_per_1000",
        (out["count"] / out["population"] * 1000).where(out["population"] > 0),
    )
    out["geometry"] = base.geometry
    out.index.name = level
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs=base.crs)
    gdf.attrs = {
        "level": level,
        "period": None if period is None else period.label,
        "months": None if period is None else period.n_months,
        "complete": True if coverage is None else coverage.complete,
        "coverage": "all rows" if coverage is None else coverage.describe(),
        "categories": categories,
        "population_year": int(pop.attrs.get("year", population_year)),
        "rate": RATE_NOTE,
        "outside": counts.attrs["outside"],
        "no_area": counts.attrs["no_area"],
        "deprivation_note": note,
    }
    return gdf
