"""Places: counts and rates by LSOA and ward on the boundaries, ward profiles and hotspots.

Counts and rates
    :func:`area_rates` counts incidents by LSOA (or ward) over a period and joins them to
    the area's polygons, with population and deprivation. Every LSOA of the geography is
    listed: an LSOA with no incident in a period that the data cover is a **true zero**
    (a month with no rows at all is not covered; the period is refused unless
    ``allow_incomplete=True``). Rates are per 1,000 residents **over the period** (not
    annualised), as in :func:`csplib.themes.theme_volumes`. Wards are built from their
    LSOAs (2024 wards; the ward of an incident is the ward of its LSOA).

Hotspots (Getis-Ord Gi*)
    :class:`GetisOrdHotspots` computes the local Gi* statistic of a value per area with
    :class:`esda.G_Local` (``star=True``: the area's own value is in its neighbourhood;
    binary weights), following Ord & Getis (1995)::

        z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))

    with ``W_i = sum_j w_ij`` (self included), ``xbar`` the mean and ``S`` the standard
    deviation (divisor n) of the n values. ``z_i`` does not change when a constant is added
    to every value, so values that can be negative (a change between periods) are shifted
    to be positive before they are passed to esda; the z-scores and p-values are those of
    the original values.

    *Neighbours.* ``weights="queen"`` (default): areas sharing an edge or a corner. LSOAs
    are drawn to hold similar numbers of residents, so they are small in the city centre
    and large at the edge; contiguity gives each LSOA the places it touches (2 to 9 in
    Nottingham, 5.4 on average), whatever its size, so each neighbourhood holds a similar
    number of residents. A fixed distance band (``"distance_band"``, between polygon
    centroids, in metres for EPSG:27700) would give central LSOAs many neighbours and outer
    ones few; it is available, with ``threshold`` defaulting to the smallest distance
    that gives every area a neighbour. ``"rook"`` (shared edges only) and ``"knn"`` (the
    ``k`` nearest centroids) are also available.

    *Islands* (areas with no neighbour, e.g. a detached polygon or an LSOA whose
    neighbours lie outside the area analysed) would have a Gi* of their own value alone,
    which says nothing about a cluster. ``islands="nearest"`` (default) links each island
    to the area with the nearest centroid (both ways); ``islands="exclude"`` leaves them
    untested (``z`` and p-values missing, class ``"no neighbours"``, not counted in the
    false-discovery-rate correction). Islands still count in the mean and variance of the
    values.

    *p-values and false discovery rate.* Each area's two-sided p-value is taken from the
    **normal approximation** ``2 (1 - Phi(|z_i|))``, whose mean and variance are the exact
    moments of Gi* under random relabelling of all the values (Getis & Ord 1992). These
    p-values are adjusted with Benjamini-Hochberg across the areas tested
    (:func:`statsmodels.stats.multitest.fdrcorrection`); an area is significant when its
    q-value is at most ``alpha``. esda's permutation p-value (``p_sim``, 999 conditional
    permutations with a fixed seed, reported two-sided) is kept for reference but is not
    used by default, for two reasons: (1) esda's conditional randomisation holds the area's
    own value fixed and shuffles only the others, so for Gi*, whose sum includes that
    value, it tests only whether the *neighbours* are high: a hotspot concentrated in one
    LSOA (the synthetic data's new ASB hotspot) gets p_sim 0.8 where the normal p is
    0.001; (2) a permutation p-value cannot be smaller than ``1 / (permutations + 1)``,
    and Benjamini-Hochberg over ~180 LSOAs then cannot reject a cluster of fewer than
    about 8 LSOAs even when all of them are at that floor. Pass ``p_value="permutation"``
    to use the permutation p-values anyway. Class: ``"hot spot"`` (significant, z > 0),
    ``"cold spot"`` (significant, z < 0), ``"not significant"``.

Emerging hotspots
    :func:`emerging_hotspots` runs Gi* on the change in each LSOA's count between two
    periods (by default the period and the same months a year earlier): the
    ``"difference"`` (current count minus the previous count scaled to the current
    period's months) or the ``"log_ratio"`` (log of the rate ratio, with 0.5 added to each
    count). A cluster of increases is an ``"emerging hot spot"``. Because Gi* averages an
    LSOA with its neighbours, a rise confined to one LSOA is weak evidence for it, so each
    LSOA's own change is also tested, with the emerging-trend screen
    (:class:`csplib.models.EmergingTrendScreen`: overdispersion pooled over LSOAs,
    Benjamini-Hochberg across LSOAs). The Gi* class of the previous period's counts is
    given beside them, so a *new* hotspot (not a hot spot before) can be told from an
    established one growing.

Ward profiles
    :func:`ward_profiles`: for each ward and each category and theme, the count, the rate
    per 1,000 residents, the ward's rank among the wards by that rate (1 = highest), its
    share of the area's count, the share of its LSOAs in IMD deciles 1-2, and the change
    on the same period a year earlier with an exact Poisson test
    (:func:`csplib.metrics.change.compare_counts`, equal exposures: the same residents).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> cells = [box(c, r, c + 1, r + 1) for r in range(6) for c in range(6)]
>>> y = [12.0 if r < 2 and c < 2 else 2.0 for r in range(6) for c in range(6)]
>>> grid = gpd.GeoDataFrame({"count": y}, geometry=cells)
>>> res = GetisOrdHotspots(grid, "count", permutations=0).fit()
>>> res.table.loc[[0, 1, 6, 7], "classification"].tolist()
['hot spot', 'hot spot', 'hot spot', 'hot spot']
>>> int((res.table["classification"] == "hot spot").sum()), res.config["weights"]
(4, 'queen')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import fdrcorrection

from csplib.errors import DataError, ParamsError
from csplib.metrics.change import compare_counts
from csplib.metrics.periods import Period, check_coverage, months_present
from csplib.models._results import ModelResults, join_notes
from csplib.models.screen import EmergingTrendScreen
from csplib.risk import area_counts
from csplib.schema import ASB, POLICE_UK_CATEGORIES
from csplib.themes import _in_period, as_themes, theme_incidents, theme_sources

with warnings.catch_warnings():
    # esda imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets
    # ("IProgress not found"); the chapters' shared HTML would show the warning
    warnings.filterwarnings("ignore", message="IProgress not found")
    import esda

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
]

#: Levels :func:`area_rates` counts at.
LEVELS: tuple[str, ...] = ("lsoa", "ward")

HOT = "hot spot"
COLD = "cold spot"
NOT_SIGNIFICANT = "not significant"
NO_NEIGHBOURS = "no neighbours"
#: Classes of a hotspot table (emerging hotspots prefix ``"emerging "`` to the first two).
CLASSES: tuple[str, ...] = (HOT, COLD, NOT_SIGNIFICANT, NO_NEIGHBOURS)

#: Which p-value decides significance (see the module notes).
P_VALUES: tuple[str, ...] = ("normal", "permutation")
#: What to do with areas that have no neighbour (see the module notes).
ISLANDS: tuple[str, ...] = ("nearest", "exclude")

_RATE_NOTE = "per 1,000 residents over the period (not annualised)"


# ----------------------------------------------------------------------------- helpers
def _as_period(period, name: str = "period") -> Period:
    """A Period from a Period, a label, or a ``(start, end)`` pair of months."""
    if isinstance(period, tuple | list):
        if len(period) != 2:
            raise ParamsError(f"{name} as a pair must be (start month, end month), got {period!r}")
        return Period.window(*period)
    return Period.parse(period)


def _need_columns(frame, columns, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} have no column(s) {', '.join(repr(c) for c in missing)}")


def _check_categories(categories, incidents: pd.DataFrame) -> list[str] | None:
    if categories is None:
        return None
    if isinstance(categories, str):
        categories = [categories]
    categories = list(categories)
    if not categories:
        raise ParamsError("categories is empty: give at least one category, or None for all")
    _need_columns(incidents, ["category"], "incidents")
    unknown = [c for c in categories if c not in POLICE_UK_CATEGORIES]
    if unknown:  # only then read the incidents' own categories (slow on large tables)
        found = {str(c) for c in incidents["category"].dropna().unique()}
        unknown = [c for c in unknown if c not in found]
    if unknown:
        raise ParamsError(
            f"unknown category {unknown[0]!r}: expected a police.uk category "
            f"({', '.join(POLICE_UK_CATEGORIES)}) or a category found in the incidents"
        )
    return categories


def _coverage(incidents: pd.DataFrame, period: Period, allow_incomplete: bool, what: str):
    _need_columns(incidents, ["month"], what)
    return check_coverage(
        period, months_present(incidents["month"]), allow_incomplete=allow_incomplete, what=what
    )


def _lsoa_counts(rows: pd.DataFrame, geography, what: str = "incidents") -> pd.Series:
    """Counts over every LSOA of the geography (zeros kept), named ``count``."""
    counts = area_counts(rows, geography.lsoa_table.index)
    placed = len(rows) - counts.attrs["no_area"]
    if placed > 0 and counts.attrs["outside"] == placed:
        raise DataError(
            f"none of the {int(placed)} {what} with an LSOA code has an LSOA of "
            f"{geography.name} ({geography.vintage} codes); filter and convert them with "
            "Geography.assign_area first"
        )
    out = counts.astype("int64").rename("count")
    out.attrs = dict(counts.attrs)
    return out


def _select(incidents, period, categories, allow_incomplete, what="incidents"):
    """Rows of the period and categories, with the period's coverage (or None)."""
    _need_columns(incidents, ["lsoa"], what)
    coverage = None
    rows = incidents
    if period is not None:
        coverage = _coverage(incidents, period, allow_incomplete, what)
        rows = _in_period(incidents, period, what)
    if categories is not None:
        rows = rows.loc[rows["category"].isin(categories).to_numpy(dtype=bool)]
    return rows, coverage


def _deprived_share(geography) -> pd.Series:
    """% of each ward's LSOAs in IMD deciles 1-2."""
    decile = geography.deprivation()["imd_decile"]
    ward = geography.lsoa_table["ward"].reindex(decile.index)
    return ((decile <= 2).astype(float) * 100).groupby(ward.to_numpy()).mean()


# ----------------------------------------------------------------------------- area rates
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
    geography : csplib.geography.Geography
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
        with an LSOA outside the area, not counted) and ``no_area`` (rows without one).

    Raises
    ------
    DataError
        Missing columns, a period the data do not cover, or incidents none of which lie
        in the area (another LSOA vintage).
    ParamsError
        Unknown level or category, or a bad period.

    Examples
    --------
    >>> from csplib.geography import Geography
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
    period = None if period is None else _as_period(period)
    categories = _check_categories(categories, incidents)
    rows, coverage = _select(incidents, period, categories, allow_incomplete)
    counts = _lsoa_counts(rows, geography)
    pop = geography.population(population_year)
    population = pop["population"]
    if level == "lsoa":
        base = geography.lsoas().set_index("lsoa").rename(columns={"lsoa_name": "name"})
        out = base[["name", "ward", "ward_name"]].copy()
        out["count"] = counts.reindex(out.index).to_numpy()
        out["population"] = population.reindex(out.index).to_numpy()
        out["imd_decile"] = geography.deprivation()["imd_decile"].reindex(out.index).to_numpy()
    else:
        base = geography.wards().set_index("ward").rename(columns={"ward_name": "name"})
        prof = geography.ward_profile(counts, population=population)
        out = base[["name", "lsoa_count"]].copy()
        out["count"] = prof["count"].reindex(out.index).to_numpy()
        out["population"] = prof["population"].reindex(out.index).to_numpy()
        out["deprived_lsoa_share"] = _deprived_share(geography).reindex(out.index).to_numpy()
    out.insert(
        out.columns.get_loc("population") + 1,
        "rate_per_1000",
        out["count"] / out["population"] * 1000,
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
        "rate": _RATE_NOTE,
        "outside": counts.attrs["outside"],
        "no_area": counts.attrs["no_area"],
    }
    return gdf


# ----------------------------------------------------------------------------- weights
def _centroids(areas: gpd.GeoDataFrame) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*geographic CRS.*", category=UserWarning)
        cent = areas.geometry.centroid
    return np.column_stack([cent.x.to_numpy(), cent.y.to_numpy()])


def _queen(areas, **_):
    w = libpysal.weights.Queen.from_dataframe(areas, use_index=False, silence_warnings=True)
    return w, {}


def _rook(areas, **_):
    w = libpysal.weights.Rook.from_dataframe(areas, use_index=False, silence_warnings=True)
    return w, {}


def _distance_band(areas, threshold=None, **_):
    coords = _centroids(areas)
    if threshold is None:
        threshold = libpysal.weights.min_threshold_distance(coords)
    threshold = float(threshold)
    w = libpysal.weights.DistanceBand(
        coords, threshold=threshold, binary=True, silence_warnings=True
    )
    return w, {"threshold": threshold}


def _knn(areas, k=None, **_):
    return libpysal.weights.KNN(_centroids(areas), k=k, silence_warnings=True), {"k": k}


#: Spatial weights by name: the builder, the options it takes and those it needs.
WEIGHTS: dict[str, dict] = {
    "queen": {
        "build": _queen,
        "options": (),
        "required": (),
        "describe": "Queen contiguity (shared edge or corner)",
    },
    "rook": {
        "build": _rook,
        "options": (),
        "required": (),
        "describe": "Rook contiguity (shared edge)",
    },
    "distance_band": {
        "build": _distance_band,
        "options": ("threshold",),
        "required": (),
        "describe": "distance band between centroids",
    },
    "knn": {
        "build": _knn,
        "options": ("k",),
        "required": ("k",),
        "describe": "k nearest centroids",
    },
}


def _link_islands(w, areas) -> tuple[libpysal.weights.W, list[int]]:
    """Link every island to the area with the nearest centroid, both ways (no duplicates)."""
    islands = list(w.islands)
    if not islands:
        return w, []
    coords = _centroids(areas)
    neighbours = {i: set(w.neighbors[i]) for i in w.id_order}
    for i in islands:
        d = np.hypot(*(coords - coords[i]).T)
        d[i] = np.inf
        j = int(np.argmin(d))
        neighbours[i].add(j)
        neighbours[j].add(i)
    lists = {i: sorted(neighbours[i]) for i in w.id_order}
    linked = libpysal.weights.W(lists, id_order=list(w.id_order), silence_warnings=True)
    return linked, islands


def _check_areas(areas, what: str = "areas") -> None:
    if not isinstance(areas, gpd.GeoDataFrame):
        raise DataError(f"{what} must be a GeoDataFrame of polygons, got {type(areas).__name__}")
    if len(areas) < 3:
        raise DataError(f"{what}: at least 3 areas are needed for Gi*, got {len(areas)}")
    if areas.geometry.isna().any() or areas.geometry.is_empty.any():
        bad = areas.index[(areas.geometry.isna() | areas.geometry.is_empty).to_numpy()][0]
        raise DataError(f"{what}: area {bad!r} has no geometry")
    kinds = set(areas.geom_type)
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise DataError(
            f"{what} must be polygons (areas), found {', '.join(sorted(kinds))} geometries"
        )


def _check_weights(areas, weights, threshold, k, islands) -> None:
    """Validate the weights options against :data:`WEIGHTS` (messages state the rule)."""
    _check_areas(areas)
    if weights not in WEIGHTS:
        raise ParamsError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    if islands not in ISLANDS:
        raise ParamsError(f"islands must be one of {', '.join(ISLANDS)}, got {islands!r}")
    entry = WEIGHTS[weights]
    if weights in ("distance_band", "knn") and areas.crs is not None and areas.crs.is_geographic:
        raise ParamsError(
            f"{weights} weights need a projected CRS (distances in metres); the areas are in "
            f"{areas.crs.to_string()}: use areas.to_crs(27700)"
        )
    if threshold is not None and not (
        isinstance(threshold, int | float) and not isinstance(threshold, bool) and threshold > 0
    ):
        raise ParamsError(f"threshold must be a positive distance, got {threshold!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < len(areas)):
        raise ParamsError(f"k must be a whole number from 1 to {len(areas) - 1}, got {k!r}")
    given = {"threshold": threshold, "k": k}
    for option, value in given.items():
        if value is not None and option not in entry["options"]:
            raise ParamsError(f"{option}= does not apply to {weights} weights")
    for option in entry["required"]:
        if given[option] is None:
            raise ParamsError(f"{weights} weights need {option}=")


def spatial_weights(
    areas: gpd.GeoDataFrame,
    weights: str = "queen",
    *,
    threshold: float | None = None,
    k: int | None = None,
    islands: str = "nearest",
):
    """Binary spatial weights between areas, with islands handled.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Polygons, in a projected CRS for the distance-based weights (EPSG:27700: metres).
    weights : {"queen", "rook", "distance_band", "knn"}
        See :data:`WEIGHTS` and the module notes.
    threshold : float, optional
        Distance band in CRS units; default: the smallest giving every area a neighbour.
    k : int, optional
        Neighbours per area for ``"knn"``.
    islands : {"nearest", "exclude"}
        ``"nearest"`` links each area without neighbours to its nearest (by centroid).

    Returns
    -------
    (libpysal.weights.W, list of int, dict)
        Weights with ids ``0 .. n-1`` in the order of ``areas``; the positions of the
        areas that had no neighbour; the options used (e.g. the threshold).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 0, 6, 1)])
    >>> w, islands, used = spatial_weights(cells)
    >>> islands, w.neighbors[2], sorted(w.neighbors[1])
    ([2], [1], [0, 2])
    """
    _check_weights(areas, weights, threshold, k, islands)
    entry = WEIGHTS[weights]
    frame = areas.reset_index(drop=True)
    w, used = entry["build"](frame, threshold=threshold, k=k)
    had_none = list(w.islands)
    if islands == "nearest":
        w, had_none = _link_islands(w, frame)
    return w, [int(i) for i in had_none], used


# ----------------------------------------------------------------------------- Gi*
class HotspotResults(ModelResults):
    """Results of :meth:`GetisOrdHotspots.fit` (and of :func:`emerging_hotspots`).

    Attributes
    ----------
    table : geopandas.GeoDataFrame
        One row per area, index of the input: ``name`` (when the input has one),
        ``value``, ``neighbours`` (excluding the area itself), ``z`` (Gi* z-score),
        ``p_norm`` (two-sided, normal approximation), ``p_sim`` (two-sided, esda's
        conditional permutations), ``p_value`` (the one used), ``q_value``
        (Benjamini-Hochberg; missing without FDR control), ``significant``,
        ``classification`` and ``geometry``.
    weights : libpysal.weights.W
        The weights used (ids are row positions).
    islands : list
        Index labels of the areas that had no neighbour.
    screen : csplib.models.ScreenResults or None
        The LSOAs' own change test (:func:`emerging_hotspots` only).
    config, method, note
        See :class:`csplib.models._results.ModelResults`.
    """

    def __init__(self, table, weights, islands, *, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.weights = weights
        self.islands = list(islands)
        self.screen = None

    def summary(self) -> pd.Series:
        """Number of areas in each class (every class listed), named ``areas``."""
        classes = pd.unique(pd.Series([*self._classes(), *self.table["classification"]]))
        counts = self.table["classification"].value_counts()
        return counts.reindex(classes, fill_value=0).astype(int).rename("areas")

    def _classes(self):
        prefix = self.config.get("class_prefix", "")
        return [prefix + HOT, prefix + COLD, NOT_SIGNIFICANT]

    @property
    def hot(self) -> pd.Index:
        """Index labels of the hot spots."""
        return self.table.index[self.table["classification"] == self._classes()[0]]

    @property
    def cold(self) -> pd.Index:
        """Index labels of the cold spots."""
        return self.table.index[self.table["classification"] == self._classes()[1]]


def _check_level(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParamsError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def _two_sided_sim(g, permutations: int) -> np.ndarray:
    sim = np.asarray(g.sim)  # (permutations, n)
    larger = (sim >= g.Gs).sum(axis=0)
    smaller = (sim <= g.Gs).sum(axis=0)
    return np.minimum(1.0, 2 * (np.minimum(larger, smaller) + 1) / (permutations + 1))


class GetisOrdHotspots:
    """Getis-Ord Gi* hotspots of a value per area, with false-discovery-rate control.

    See the module notes for the statistic, the neighbours, islands and the choice of
    p-value.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per area (polygons), e.g. from :func:`area_rates`.
    column : str
        The value analysed: counts (where incidents are, the default for tasking) or
        rates per 1,000 (``rate_per_1000``; noisy where few people live, such as the city
        centre). Any real values, negative ones included.
    weights : {"queen", "rook", "distance_band", "knn"}, default "queen"
    threshold : float, optional
        Distance band (CRS units) for ``"distance_band"``.
    k : int, optional
        Neighbours for ``"knn"``.
    islands : {"nearest", "exclude"}, default "nearest"
    alpha : float, default 0.05
        Level at which a (q-)value is significant.
    fdr : bool, default True
        Benjamini-Hochberg control across the areas tested; False classifies on raw
        p-values (no allowance for testing many areas).
    p_value : {"normal", "permutation"}, default "normal"
    permutations : int, default 999
        esda's conditional permutations for ``p_sim`` (0: none).
    seed : int, default 12345
        Seed of the permutations.

    Raises
    ------
    ParamsError
        An option out of range, stating the rule.
    DataError
        Not polygons, a missing column, or a missing or non-numeric value (naming the area).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = [box(c, 0, c + 1, 1) for c in range(5)]
    >>> line = gpd.GeoDataFrame({"n": [1.0, 2.0, 3.0, 4.0, 5.0]}, geometry=cells)
    >>> res = GetisOrdHotspots(line, "n", permutations=0, fdr=False).fit()
    >>> res.table["z"].round(3).tolist()
    [-1.732, -1.732, 0.0, 1.732, 1.732]
    >>> GetisOrdHotspots(line, "n", alpha=2)
    Traceback (most recent call last):
    ...
    csplib.errors.ParamsError: alpha must be a number strictly between 0 and 1, got 2
    """

    def __init__(
        self,
        areas: gpd.GeoDataFrame,
        column: str,
        *,
        weights: str = "queen",
        threshold: float | None = None,
        k: int | None = None,
        islands: str = "nearest",
        alpha: float = 0.05,
        fdr: bool = True,
        p_value: str = "normal",
        permutations: int = 999,
        seed: int = 12345,
    ):
        _check_areas(areas)
        if column not in areas.columns:
            raise DataError(f"areas have no column {column!r} to analyse")
        values = areas[column]
        if not pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
            values.dtype
        ):
            raise DataError(f"column {column!r} must be numeric, got {values.dtype}")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            raise DataError(
                f"column {column!r} has a missing or infinite value for area "
                f"{areas.index[bad][0]!r}; Gi* needs a value for every area"
            )
        _check_weights(areas, weights, threshold, k, islands)
        if p_value not in P_VALUES:
            raise ParamsError(f"p_value must be one of {', '.join(P_VALUES)}, got {p_value!r}")
        if not isinstance(fdr, bool):
            raise ParamsError(f"fdr must be True or False, got {fdr!r}")
        for name, value in (("permutations", permutations), ("seed", seed)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ParamsError(f"{name} must be a whole number of at least 0, got {value!r}")
        if p_value == "permutation" and permutations < 99:
            raise ParamsError(f"p_value='permutation' needs permutations >= 99, got {permutations}")
        self.areas = areas
        self.column = column
        self.weights = weights
        self.threshold = threshold
        self.k = k
        self.islands = islands
        self.alpha = _check_level(alpha, "alpha")
        self.fdr = fdr
        self.p_value = p_value
        self.permutations = int(permutations)
        self.seed = int(seed)

    def fit(self) -> HotspotResults:
        """Compute Gi*, the p- and q-values and each area's class."""
        w, island_pos, used = spatial_weights(
            self.areas, self.weights, threshold=self.threshold, k=self.k, islands=self.islands
        )
        y = self.areas[self.column].to_numpy(dtype=float)
        n = len(y)
        z = np.full(n, np.nan)
        p_norm = np.full(n, np.nan)
        p_sim = np.full(n, np.nan)
        notes = []
        shift = 0.0
        if np.ptp(y) == 0:
            notes.append(f"every area has the same {self.column} ({y[0]:g}): nothing to test.")
        else:
            if y.min() < 0:
                # Gi* z and p are unchanged by a shift; esda's ratio needs positive values
                shift = 1.0 - float(y.min())
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                # esda's z_sim divides by zero for an area whose permutations cannot vary
                # (an island); it is not used
                warnings.filterwarnings(
                    "ignore", message="The alternative hypothesis", category=DeprecationWarning
                )
                # esda rebuilds the weights with the self-weights; islands are handled above
                warnings.filterwarnings(
                    "ignore", message="The weights matrix is not fully connected"
                )
                g = esda.G_Local(
                    y + shift,
                    w,
                    transform="B",
                    star=True,
                    permutations=self.permutations,
                    seed=self.seed,
                    n_jobs=1,
                    keep_simulations=True,
                )
            z = np.asarray(g.Zs, dtype=float)
            p_norm = 2 * stats.norm.sf(np.abs(z))
            if self.permutations:
                p_sim = _two_sided_sim(g, self.permutations)
        tested = np.ones(n, dtype=bool)
        if self.islands == "exclude" and island_pos:
            tested[island_pos] = False
            z[~tested] = np.nan
            p_norm[~tested] = np.nan
            p_sim[~tested] = np.nan
        p = p_norm if self.p_value == "normal" else p_sim
        q = np.full(n, np.nan)
        significant = np.zeros(n, dtype=bool)
        ok = tested & np.isfinite(p)
        if ok.any():
            if self.fdr:
                rejected, q_ok = fdrcorrection(p[ok], alpha=self.alpha)
                q[ok] = q_ok
                significant[ok] = rejected
            else:
                significant[ok] = p[ok] < self.alpha
        classes = np.where(
            significant,
            np.where(z > 0, HOT, COLD),
            np.where(tested, NOT_SIGNIFICANT, NO_NEIGHBOURS),
        )
        table = pd.DataFrame(index=self.areas.index)
        if "name" in self.areas.columns and self.column != "name":
            table["name"] = self.areas["name"].to_numpy()
        table["value"] = self.areas[self.column].to_numpy(dtype=float)
        table["neighbours"] = np.asarray([w.cardinalities[i] for i in range(n)], dtype="int64")
        table["z"] = z
        table["p_norm"] = p_norm
        table["p_sim"] = p_sim
        table["p_value"] = p
        table["q_value"] = q
        table["significant"] = significant
        table["classification"] = classes
        table = gpd.GeoDataFrame(table, geometry=self.areas.geometry.to_numpy(), crs=self.areas.crs)
        islands = [self.areas.index[i] for i in island_pos]
        if islands:
            how = (
                "linked to the nearest area"
                if self.islands == "nearest"
                else "left untested ('no neighbours')"
            )
            notes.append(f"{len(islands)} area(s) had no neighbour and were {how}.")
        config = {
            "column": self.column,
            "weights": self.weights,
            **used,
            "transform": "B",
            "star": True,
            "islands": self.islands,
            "alpha": self.alpha,
            "fdr": "Benjamini-Hochberg" if self.fdr else None,
            "p_value": self.p_value,
            "permutations": self.permutations,
            "seed": self.seed,
            "areas": n,
            "tested": int(tested.sum()),
            "shift": shift,
        }
        method = (
            f"Getis-Ord Gi* ({WEIGHTS[self.weights]['describe']}, binary, self included); "
            f"{'normal-approximation' if self.p_value == 'normal' else 'permutation'} "
            f"p-values{', Benjamini-Hochberg FDR' if self.fdr else ''} at {self.alpha:g}"
        )
        return HotspotResults(
            table, w, islands, config=config, method=method, note=join_notes(*notes)
        )


# ----------------------------------------------------------------------------- emerging
def _difference(current: pd.Series, previous: pd.Series) -> pd.Series:
    return current - previous


def _log_ratio(current: pd.Series, previous: pd.Series) -> pd.Series:
    return np.log((current + 0.5) / (previous + 0.5))


#: Measures of change per LSOA for :func:`emerging_hotspots` (previous already scaled).
CHANGE_MEASURES: dict[str, Callable[[pd.Series, pd.Series], pd.Series]] = {
    "difference": _difference,
    "log_ratio": _log_ratio,
}


def _monthly_lsoa_counts(rows, geography, periods, coverages) -> pd.DataFrame:
    """Months x LSOA counts from the first period's start to the last's end.

    Months of the periods that the data cover hold counts (0 where an LSOA had none);
    every other month is NaN (not data).
    """
    codes = geography.lsoa_table.index
    span = pd.date_range(periods[0].start, periods[-1].end, freq="MS", name="month")
    covered = sorted({m for cov in coverages for m in cov.covered})
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
      (:class:`csplib.models.EmergingTrendScreen`: conditional binomial test of the
      current period's count against the previous period's, with overdispersion pooled
      over LSOAs and Benjamini-Hochberg control across LSOAs). Gi* averages an LSOA with
      its neighbours (5 or 6 on average), so a rise confined to one LSOA, like the
      synthetic data's new ASB hotspot, gives a Gi* z of only about 3 (significant after
      FDR for some draws, not others) while the screen finds it every time.

    ``new_hotspot`` is True for an LSOA that rose (an emerging hot spot, or an increase
    flagged by the screen) and was not a hot spot of the previous period's counts
    (``previous_class``, Gi* of the previous counts).

    Parameters
    ----------
    incidents : pandas.DataFrame
        Tidy incidents of the area (``month``, ``lsoa``; ``category`` with ``categories``).
        Pass every row: the months present decide which months the data cover.
    geography : csplib.geography.Geography
    current : Period, str or (start, end)
        E.g. the last 12 months, ``("2023-10", "2024-09")``.
    previous : Period, str or (start, end), optional
        Default: the same months a year earlier. Must end before ``current`` starts.
    categories : str or list of str, optional
    measure : {"difference", "log_ratio"}, default "difference"
        Change analysed by Gi* (see :data:`CHANGE_MEASURES`). The previous count is first
        scaled by the ratio of the periods' months with data.
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
        plus ``count_current``, ``count_previous``, ``previous_class``, ``rate_ratio``,
        ``lsoa_q_value``, ``lsoa_change`` (``increase``/``decrease`` when flagged by the
        screen, else ``none``) and ``new_hotspot``. ``screen`` holds the screen's results.

    Examples
    --------
    >>> from csplib.geography import Geography
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
    cur = _as_period(current, "current")
    prev = cur.previous_year() if previous is None else _as_period(previous, "previous")
    if prev.end >= cur.start:
        raise ParamsError(
            f"previous period {prev.label} must end before the current period {cur.label} starts"
        )
    categories = _check_categories(categories, incidents)
    rows_cur, cov_cur = _select(incidents, cur, categories, allow_incomplete)
    rows_prev, cov_prev = _select(incidents, prev, categories, allow_incomplete)
    if cov_cur.n_covered == 0 or cov_prev.n_covered == 0:
        empty = cur if cov_cur.n_covered == 0 else prev
        raise DataError(f"the incidents have no month of {empty.label}: no change to measure")
    c_cur = _lsoa_counts(rows_cur, geography).astype(float)
    c_prev = _lsoa_counts(rows_prev, geography).astype(float)
    scale = cov_cur.n_covered / cov_prev.n_covered
    change = CHANGE_MEASURES[measure](c_cur, c_prev * scale)
    base = geography.lsoas().set_index("lsoa").rename(columns={"lsoa_name": "name"})
    areas = gpd.GeoDataFrame(
        {
            "name": base["name"],
            "count_current": c_cur.reindex(base.index),
            "count_previous": c_prev.reindex(base.index),
            "change": change.reindex(base.index),
        },
        geometry=base.geometry,
        crs=base.crs,
    )
    res = GetisOrdHotspots(areas, "change", **options).fit()
    before = GetisOrdHotspots(areas, "count_previous", **options).fit()

    wide = _monthly_lsoa_counts(
        pd.concat([rows_prev, rows_cur]), geography, [prev, cur], [cov_prev, cov_cur]
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
    table.insert(table.columns.get_loc("change"), "count_current", areas["count_current"])
    table.insert(table.columns.get_loc("change"), "count_previous", areas["count_previous"])
    table["previous_class"] = before.table["classification"]
    table["rate_ratio"] = lsoa["rate_ratio"].to_numpy()
    table["lsoa_q_value"] = lsoa["q_value"].to_numpy()
    table["lsoa_change"] = np.where(lsoa["flagged"].to_numpy(dtype=bool), lsoa["change"], "none")
    rose = (table["classification"] == "emerging " + HOT) | (table["lsoa_change"] == "increase")
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
        "complete": bool(cov_cur.complete and cov_prev.complete),
        "class_prefix": "emerging ",
        "screen": screen.method,
    }
    note = join_notes(
        res.note,
        "" if cov_cur.complete else f"Current period: {cov_cur.describe()}.",
        "" if cov_prev.complete else f"Previous period: {cov_prev.describe()}.",
        f"LSOA screen: {screen.note}" if screen.note else "",
    )
    method = (
        f"{res.method}; on the {measure.replace('_', ' ')} {prev.label} -> {cur.label}. "
        f"Each LSOA's own change: {screen.method}"
    )
    out = HotspotResults(table, res.weights, res.islands, config=config, method=method, note=note)
    out.screen = screen
    return out


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
    "rate_per_1000",
    "rank",
    "share_of_area",
    "months_compared",
    "count_compared",
    "previous",
    "volume_change",
    "pct_change",
    "p_value",
    "significant",
    "direction",
    "complete",
]


def _ward_counts(rows, geography, lsoa_ward: pd.Series, what: str) -> pd.Series:
    counts = _lsoa_counts(rows, geography, what)
    return counts.groupby(lsoa_ward.reindex(counts.index).to_numpy()).sum()


def _flagged_months(exclude, categories) -> set:
    """Months of ``exclude`` (``category``, ``month``) flagged for any of ``categories``.

    ``categories`` None means every category (a measure counting every incident).
    """
    if exclude is None or len(exclude) == 0:
        return set()
    rows = exclude if categories is None else exclude[exclude["category"].isin(list(categories))]
    return set(pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp())


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


def _of_months(rows: pd.DataFrame, months) -> pd.DataFrame:
    """The rows whose month is one of ``months`` (month starts)."""
    month = pd.to_datetime(rows["month"]).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    wanted = pd.DatetimeIndex(list(months)).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    return rows.loc[np.isin(month, wanted)]


def _months_of(tables) -> pd.DatetimeIndex:
    present = None
    for name, table in tables:
        _need_columns(table, ["month"], name)
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
    geography : csplib.geography.Geography
    period : Period, str or (start, end)
        The period profiled; compared with the same months a year earlier.
    population_year : int
        Mid-year population estimate used for the rates (both periods).
    categories : str or list of str, optional
        Categories profiled; default every category with an incident in the period, in
        police.uk order.
    themes : mapping or list, optional
        Themes (see :mod:`csplib.themes`) profiled after the categories.
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
        ``deprived_lsoa_share`` (% of the ward's LSOAs in IMD deciles 1-2), ``count``,
        ``rate_per_1000`` (over the period), ``rank`` (among wards by rate, 1 = highest),
        ``share_of_area`` (% of the area's count), ``months_compared``,
        ``count_compared`` and ``previous`` (the counts of the period's months compared
        and of the same months a year earlier; NaN when no month can be compared),
        ``volume_change``, ``pct_change``, ``p_value`` (of ``count_compared`` against
        ``previous``), ``significant``, ``direction`` (``up``/``down``/``none``) and
        ``complete`` (both periods fully covered by the data). ``attrs``: ``period``,
        ``previous_period``, ``population_year``, ``alpha``, ``test``, ``rate``.

    Notes
    -----
    The change compares **like with like**: a month of the period is compared only when
    the data cover it and the same month a year earlier, and neither is in ``exclude``
    for the measure. ``count_compared`` equals ``count`` when every month is compared;
    otherwise the change is over fewer months than the count (``months_compared``), so
    that a month missing from one year is not read as a fall or a rise.

    Examples
    --------
    >>> from csplib.geography import Geography
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
    >>> int(row["count"]), int(row["months_compared"]), bool(pd.isna(row["previous"]))
    (3, 0, True)
    """
    alpha = _check_level(alpha, "alpha")
    cur = _as_period(period)
    prev = cur.previous_year()
    _need_columns(incidents, ["month", "category", "lsoa"], "incidents")
    if categories is None:
        present = {str(c) for c in _in_period(incidents, cur)["category"].dropna().unique()}
        categories = [c for c in POLICE_UK_CATEGORIES if c in present] + sorted(
            present - set(POLICE_UK_CATEGORIES)
        )
    else:
        categories = _check_categories(categories, incidents)
    specs = as_themes(themes) if themes is not None else {}
    lsoa_ward = geography.lsoa_table["ward"]
    pop = geography.population(population_year)
    wards = geography.ward_profile(pop["population"].rename("population"))
    deprived = _deprived_share(geography).reindex(wards.index)

    if exclude is not None:
        _need_columns(exclude, ["category", "month"], "exclude")
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
        rows = _in_period(incidents, p)
        if kind == "category":
            rows = rows.loc[rows["category"].isin(selector).to_numpy(dtype=bool)]
        return rows

    frames = []
    test_name = ""
    cur_months = pd.date_range(cur.start, cur.end, freq="MS")
    for kind, name, selector, present in measures:
        what = f"{name} ({kind})"
        cov_cur = check_coverage(cur, present, allow_incomplete=allow_incomplete, what=what)
        cov_prev = check_coverage(prev, present, allow_incomplete=True, what=what)
        flagged = _flagged_months(exclude, _measure_categories(kind, selector, incidents, partner))
        present_set = set(pd.DatetimeIndex(present))
        compared = [
            m
            for m in cur_months
            if m in present_set
            and (m - pd.DateOffset(years=1)) in present_set
            and m not in flagged
            and (m - pd.DateOffset(years=1)) not in flagged
        ]
        count = _ward_counts(rows_of(kind, selector, cur), geography, lsoa_ward, what)
        count = count.reindex(wards.index, fill_value=0).astype("int64")
        out = pd.DataFrame(index=wards.index)
        out["ward_name"] = wards["ward_name"]
        out["kind"] = kind
        out["measure"] = name
        out["population"] = wards["population"]
        out["lsoa_count"] = wards["lsoa_count"]
        out["deprived_lsoa_share"] = deprived
        out["count"] = count
        out["rate_per_1000"] = count / wards["population"] * 1000
        out["rank"] = out["rate_per_1000"].rank(ascending=False, method="min").astype("int64")
        area_total = int(count.sum())
        out["share_of_area"] = count / area_total * 100 if area_total else np.nan
        out["complete"] = bool(cov_cur.complete and cov_prev.complete)
        out["months_compared"] = len(compared)
        if not compared:
            out["count_compared"] = np.nan
            out["previous"] = np.nan
            for col in ("volume_change", "pct_change", "p_value"):
                out[col] = np.nan
            out["significant"] = False
            out["direction"] = "none"
        else:
            if len(compared) == len(cur_months):
                now = count
            else:
                now = _ward_counts(
                    _of_months(rows_of(kind, selector, cur), compared), geography, lsoa_ward, what
                )
                now = now.reindex(wards.index, fill_value=0).astype("int64")
            before = [m - pd.DateOffset(years=1) for m in compared]
            previous = _ward_counts(
                _of_months(rows_of(kind, selector, prev), before), geography, lsoa_ward, what
            )
            previous = previous.reindex(wards.index, fill_value=0).astype("int64")
            changes = [
                compare_counts(int(c), int(p), polarity="neutral", alpha=alpha)
                for c, p in zip(now, previous, strict=True)
            ]
            test_name = changes[0].test.name
            out["count_compared"] = now.astype(float)
            out["previous"] = previous.astype(float)
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
        "rate": _RATE_NOTE,
    }
    return table
