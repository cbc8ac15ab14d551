"""Hotspots: Getis-Ord Gi* of a value per area, with its neighbours and false discovery rate.

:class:`GetisOrdHotspots` computes the local Gi* statistic of a value per area with
:class:`esda.G_Local` (``star=True``: the area's own value is in its neighbourhood; binary
weights), following Ord & Getis (1995)::

    z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n W_i - W_i^2) / (n - 1)))

with ``W_i = sum_j w_ij`` (self included), ``xbar`` the mean and ``S`` the standard
deviation (divisor n) of the n values. ``z_i`` does not change when a constant is added to
every value, so values that can be negative (a change between periods) are shifted to be
positive before they are passed to esda; the z-scores and p-values are those of the
original values.

*Neighbours* (:func:`spatial_weights`). ``weights="queen"`` (default): areas sharing an
edge or a corner. LSOAs are drawn to hold similar numbers of residents, so they are small
in the city centre and large at the edge; contiguity gives each LSOA the places it touches
(2 to 9 in Nottingham, 5.4 on average), whatever its size, so each neighbourhood holds a
similar number of residents. A fixed distance band (``"distance_band"``, between polygon
centroids, in metres for EPSG:27700) would give central LSOAs many neighbours and outer
ones few; it is available, with ``threshold`` defaulting to the smallest distance that
gives every area a neighbour. ``"rook"`` (shared edges only) and ``"knn"`` (the ``k``
nearest centroids) are also available (:data:`WEIGHTS`).

*Islands* (areas with no neighbour, e.g. a detached polygon or an LSOA whose neighbours lie
outside the area analysed) would have a Gi* of their own value alone, which says nothing
about a cluster. ``islands="nearest"`` (default) links each island to the area with the
nearest centroid (both ways); ``islands="exclude"`` leaves them untested (``z`` and
p-values missing, class ``"no neighbours"``, not counted in the false-discovery-rate
correction). Islands still count in the mean and variance of the values.

*p-values and false discovery rate.* Each area's two-sided p-value is taken from the
**normal approximation** ``2 (1 - Phi(|z_i|))``, whose mean and variance are the exact
moments of Gi* under random relabelling of all the values (Getis & Ord 1992). These
p-values are adjusted with Benjamini-Hochberg across the areas tested
(:func:`statsmodels.stats.multitest.fdrcorrection`); an area is significant when its
q-value is at most ``alpha``. esda's permutation p-value (``p_sim``, 999 conditional
permutations with a fixed seed, reported two-sided) is kept for reference but is not used
by default, for two reasons: (1) esda's conditional randomisation holds the area's own
value fixed and shuffles only the others, so for Gi*, whose sum includes that value, it
tests only whether the *neighbours* are high: a hotspot concentrated in one LSOA (the
synthetic data's new ASB hotspot) gets p_sim 0.8 where the normal p is 0.001; (2) a
permutation p-value cannot be smaller than ``1 / (permutations + 1)``, and
Benjamini-Hochberg over ~180 LSOAs then cannot reject a cluster of fewer than about 8 LSOAs
even when all of them are at that floor. Pass ``p_value="permutation"`` to use the
permutation p-values anyway. Class: ``"hot spot"`` (significant, z > 0), ``"cold spot"``
(significant, z < 0), ``"not significant"``.

Examples
--------
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

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import fdrcorrection

from csplib.core.errors import DataError, ParamsError
from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.places_select import check_level

with warnings.catch_warnings():
    # esda imports tqdm.auto, which warns in a Jupyter kernel without ipywidgets
    # ("IProgress not found"); the chapters' shared HTML would show the warning
    warnings.filterwarnings("ignore", message="IProgress not found")
    import esda

__all__ = [
    "HOT",
    "COLD",
    "NOT_SIGNIFICANT",
    "NO_NEIGHBOURS",
    "CLASSES",
    "WEIGHTS",
    "P_VALUES",
    "ISLANDS",
    "spatial_weights",
    "GetisOrdHotspots",
    "HotspotResults",
]

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
    """Results of :meth:`GetisOrdHotspots.fit` (and of emerging hotspots,
    :func:`csplib.methods.hotspots_emerging.emerging_hotspots`).

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
    screen : csplib.methods.models.ScreenResults or None
        The LSOAs' own change test (emerging hotspots only).
    config, method, note
        See :class:`csplib.methods.models._results.ModelResults`.
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
        One row per area (polygons), e.g. from :func:`csplib.methods.places.area_rates`.
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
    csplib.core.errors.ParamsError: alpha must be a number strictly between 0 and 1, got 2
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
        self.alpha = check_level(alpha, "alpha")
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
