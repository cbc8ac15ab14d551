"""Concentration: how unevenly incidents fall over the places of an area, and how much of
that unevenness chance alone would give.

Counts by area (LSOA) are taken over the **full list** of the area's LSOAs: LSOAs without
incidents count as zero (:func:`area_counts`). The top p% of LSOAs are the ``ceil(p x n)``
LSOAs with most incidents (at least p% of the LSOAs, so it always names whole places). The
Gini coefficient is ``sum_i sum_j |x_i - x_j| / (2 n^2 mean)`` over LSOAs (0: spread evenly;
(n-1)/n: all in one LSOA); the Lorenz curve is the cumulative share of incidents against the
cumulative share of LSOAs, fewest first.

Chance
    With one or two incidents per place, counts look concentrated by chance alone: incidents
    spread at random, one per LSOA on average, leave about a third of LSOAs with none, give a
    Gini coefficient near 0.5 and put about 17% of them in the busiest 5% of LSOAs (Bernasco
    & Steenbeek 2017, "More places than crimes", J Quant Criminol 33:451-467). Each measure
    is therefore set against **random allocation** of the same number of incidents to the
    same LSOAs (multinomial: equal probabilities by default, or in proportion to ``weights``
    such as residents when given; ``attrs["chance"]`` says which). ``draws`` (999) seeded
    allocations give the chance mean, the central ``level`` (95%) **chance range**, the
    **excess** (observed minus the chance mean) and a one-sided Monte Carlo p-value
    ``(1 + #{draws >= observed}) / (draws + 1)``. An observed value above the chance range
    is **more concentrated than chance** (a one-sided test at 2.5%); within it, **no more
    concentrated than chance** (:func:`chance_verdict`).
Generalized Gini
    Bernasco & Steenbeek's correction for sparse counts: with C incidents over N places and
    C < N, perfect equality is impossible and the most even spread (one incident in each of
    C places) has Gini 1 - C/N. The generalized Gini measures against that line of maximal
    equality, ``G' = (N / C)(G - 1) + 1`` when C < N, else G (their R package lorenzgini,
    ``gini(x, generalized = TRUE, unbiased = FALSE)``). It moves the floor, not chance:
    random allocation still gives G' > 0, hence its own chance range.

Examples
--------
>>> counts = pd.Series({"A": 10, "B": 0, "C": 0, "D": 0})
>>> c = concentration(counts, ["A", "B", "C", "D"], draws=0)
>>> float(c["gini"]), float(c["top_10pct_share"])
(0.75, 100.0)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from numbers import Real

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError

__all__ = [
    "CHANCE_DRAWS",
    "CHANCE_SEED",
    "gini",
    "generalized_gini",
    "area_counts",
    "chance_allocation",
    "chance_verdict",
    "concentration",
    "concentration_table",
    "lorenz_curve",
    "chance_lorenz",
]

#: Random allocations behind each chance range.
CHANCE_DRAWS = 999
#: Seed of the random allocations (fixed: the same data give the same ranges).
CHANCE_SEED = 20170401
#: An excess of less than this fraction of the largest possible excess is "slight".
SLIGHT = 0.10


def gini(values) -> float:
    """Gini coefficient of non-negative values (population form, no small-sample factor).

    ``G = 2 sum_i i x_(i) / (n sum x) - (n + 1) / n`` with the values sorted ascending,
    which equals the mean absolute difference over all pairs divided by twice the mean.
    NaN when every value is zero or there are none.

    Examples
    --------
    >>> gini([5, 5, 5, 5]), gini([0, 0, 0, 8])
    (0.0, 0.75)
    """
    x = _checked(values, "Gini coefficient")
    if len(x) == 0 or x.sum() == 0:
        return math.nan
    return float(_measures(np.sort(x)[None, ::-1], {})["gini"][0])


def generalized_gini(values) -> float:
    """Bernasco & Steenbeek's generalized Gini: against maximal equality given the data.

    ``G' = (N / C)(G - 1) + 1`` for C incidents over N places when C < N (the most even
    spread, one incident in each of C places, scores 0); the Gini coefficient when C >= N.

    Examples
    --------
    Their package's example: 8 crimes over 10 places (5, 2, 1 and seven zeros) have
    G = 0.80 and G' = 0.75; one crime in each of 5 places of 10 has G' = 0.

    >>> round(gini([5, 2, 1] + [0] * 7), 2), round(generalized_gini([5, 2, 1] + [0] * 7), 2)
    (0.8, 0.75)
    >>> generalized_gini([1] * 5 + [0] * 5)
    0.0
    """
    x = _checked(values, "generalized Gini coefficient")
    if len(x) == 0 or x.sum() == 0:
        return math.nan
    return float(_measures(np.sort(x)[None, ::-1], {})["generalized_gini"][0])


def _checked(values, what: str) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if np.isnan(x).any():
        raise DataError(f"{what}: values contain missing entries")
    if (x < 0).any():
        raise DataError(f"{what}: values must be >= 0")
    return x


def _measures(desc: np.ndarray, tops: Mapping[str, int]) -> dict[str, np.ndarray]:
    """Top-k shares (%), Gini and generalized Gini of each row of counts sorted descending."""
    n = desc.shape[1]
    total = desc.sum(axis=1)
    cum = np.cumsum(desc, axis=1)
    out = {f"{key}_share": 100 * cum[:, k - 1] / total for key, k in tops.items()}
    rank = np.arange(n, 0, -1)  # ascending rank of each column of the descending order
    g = 2 * (desc * rank).sum(axis=1) / (n * total) - (n + 1) / n
    out["gini"] = g
    out["generalized_gini"] = np.maximum(1.0, n / total) * (g - 1) + 1
    return out


def _tops(shares, n: int) -> dict[str, int]:
    out = {}
    for p in shares:
        if not (isinstance(p, int | float) and 0 < p <= 1):
            raise ParamsError(f"shares must be fractions in (0, 1], got {p!r}")
        out[f"top_{round(100 * p):g}pct"] = math.ceil(round(p * n, 9))
    return out


def _area_index(areas, name: str | None = None) -> pd.Index:
    """The areas as unique strings, in order; an empty list is a data error."""
    out = pd.Index(list(dict.fromkeys(str(a) for a in areas)), dtype="str", name=name)
    if len(out) == 0:
        raise DataError("the list of areas is empty")
    return out


def area_counts(data, areas, *, column: str = "lsoa") -> pd.Series:
    """Incidents per area over the full list of areas (areas without incidents are 0).

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows (with ``column``) or counts indexed by area.
    areas : sequence or pandas.Index
        Every area of the partnership (e.g. ``geography.lsoa_table.index``).

    Returns
    -------
    pandas.Series
        Counts indexed by area, named ``incidents``; ``attrs["outside"]`` counts incidents
        in areas not in the list, ``attrs["no_area"]`` those without an area.

    Examples
    --------
    >>> rows = pd.DataFrame({"lsoa": ["A", "A", "Z", None]})
    >>> c = area_counts(rows, ["A", "B"])
    >>> c.tolist(), c.attrs["outside"], c.attrs["no_area"]
    ([2.0, 0.0], 1.0, 1.0)
    """
    areas = _area_index(areas, column)
    if isinstance(data, pd.DataFrame):
        if column not in data.columns:
            raise DataError(f"incidents have no {column!r} column")
        values = data[column]
        no_area = float((values.isna() | (values.astype("str").str.strip() == "")).sum())
        counts = values.dropna().astype("str").value_counts().astype(float)
        counts = counts[counts.index.str.strip() != ""]
    else:
        counts = pd.Series(data, dtype=float)
        if counts.isna().any() or (counts < 0).any():
            raise DataError("area counts must be numbers >= 0")
        no_area = 0.0
        counts.index = counts.index.astype("str")
    known = set(areas.to_numpy(dtype=object))
    labels = counts.index.to_numpy(dtype=object)
    outside = float(counts.to_numpy()[[k not in known for k in labels]].sum())
    out = counts.reindex(areas, fill_value=0.0).astype(float).rename("incidents")
    out.attrs = {"outside": outside, "no_area": no_area}
    return out


# ----------------------------------------------------------------------------- chance
def _probabilities(areas: pd.Index, weights) -> np.ndarray | None:
    """Allocation probabilities over ``areas`` from ``weights`` (None: equal)."""
    if weights is None:
        return None
    w = pd.Series(weights, dtype=float)
    w.index = w.index.astype("str")
    given = set(w.index)
    missing = [a for a in areas if a not in given]
    if missing:
        raise DataError(
            f"weights for random allocation: {len(missing)} area(s) have no weight, e.g. "
            f"{missing[0]!r}; give a weight (e.g. residents) for every area"
        )
    w = w.reindex(areas)
    if w.isna().any() or (w < 0).any() or not w.sum() > 0:
        bad = w.index[(w.isna() | (w < 0)).to_numpy()]
        where = f", e.g. {bad[0]!r}" if len(bad) else ""
        raise DataError(f"weights for random allocation must be numbers >= 0, not all 0{where}")
    return (w / w.sum()).to_numpy()


def _draws(total: int, p: np.ndarray, draws: int, seed: int) -> np.ndarray:
    """``draws`` multinomial allocations of ``total`` to ``len(p)`` areas, each sorted
    descending (rows)."""
    rng = np.random.default_rng([seed, total, len(p)])
    x = rng.multinomial(total, p, size=draws)
    return -np.sort(-x, axis=1)


@functools.lru_cache(maxsize=128)
def _chance_cached(total, n, tops, draws, seed, p_bytes) -> dict[str, np.ndarray]:
    p = np.full(n, 1 / n) if p_bytes is None else np.frombuffer(p_bytes, dtype=float)
    out = _measures(_draws(total, p, draws, seed), dict(tops))
    for v in out.values():
        v.flags.writeable = False
    return out


def _whole(total: float, what: str) -> int:
    if not (math.isfinite(total) and float(total).is_integer()):
        raise DataError(f"{what}: random allocation needs whole counts, got a total of {total}")
    return int(total)


def chance_allocation(
    total: int,
    areas,
    *,
    shares=(0.05, 0.10),
    weights=None,
    draws: int = CHANCE_DRAWS,
    seed: int = CHANCE_SEED,
) -> pd.DataFrame:
    """The concentration measures of random allocations of ``total`` incidents to ``areas``.

    Parameters
    ----------
    total : int
        Incidents to allocate (a whole number).
    areas : sequence
        The areas (e.g. every LSOA of the partnership).
    shares : sequence of float
        Fractions of areas for the top shares.
    weights : mapping or pandas.Series, optional
        Allocation weights by area (e.g. residents): probabilities in proportion to them.
        Default: equal probabilities.
    draws : int, default 999
    seed : int
        With ``total`` and the number of areas, it fixes the draws.

    Returns
    -------
    pandas.DataFrame
        One row per draw: ``top_<p>pct_share`` (%), ``gini``, ``generalized_gini``.

    Examples
    --------
    >>> sims = chance_allocation(300, [f"L{i}" for i in range(300)], draws=999)
    >>> round(float(sims["gini"].mean()), 1), round(float(sims["top_5pct_share"].mean()))
    (0.5, 17)
    """
    areas = _area_index(areas)
    if not (isinstance(draws, int | np.integer) and draws >= 1):
        raise ParamsError(f"draws must be a whole number >= 1, got {draws!r}")
    total = _whole(float(total), "chance allocation")
    if total <= 0:
        raise DataError("chance allocation: there are no incidents to allocate")
    sims = _chance_sims(total, areas, shares, weights, draws, seed)
    return pd.DataFrame({k: np.array(v) for k, v in sims.items()}).rename_axis("draw")


def _chance_sims(total: int, areas: pd.Index, shares, weights, draws, seed) -> dict:
    p = _probabilities(areas, weights)
    tops = tuple(_tops(shares, len(areas)).items())
    return _chance_cached(
        total, len(areas), tops, int(draws), int(seed), None if p is None else p.tobytes()
    )


def _summarise(observed: float, sims: np.ndarray, level: float) -> dict[str, float]:
    lo, hi = np.quantile(sims, [(1 - level) / 2, (1 + level) / 2])
    mean = float(sims.mean())
    p = (1 + np.sum(sims >= observed - 1e-9)) / (len(sims) + 1)
    return {
        "chance": mean,
        "chance_low": float(lo),
        "chance_high": float(hi),
        "excess": observed - mean,
        "p_value": float(p),
    }


def chance_verdict(row: Mapping, measure: str = "top_5pct_share") -> str:
    """Whether a measure is beyond what chance alone gives, in words.

    ``more concentrated than chance`` above the chance range (``slightly more ...`` when the
    excess is under 10% of the largest possible excess, 100% for a share and the largest
    Gini for the counts), ``no more concentrated than chance`` within it, ``more evenly
    spread than chance`` below it; ``""`` without a value.

    Examples
    --------
    >>> row = {"top_5pct_share": 22.0, "top_5pct_share_chance": 18.0,
    ...        "top_5pct_share_chance_low": 15.0, "top_5pct_share_chance_high": 21.0}
    >>> chance_verdict(row)
    'slightly more concentrated than chance'
    >>> chance_verdict({**row, "top_5pct_share": 20.0})
    'no more concentrated than chance'
    """
    obs = row.get(measure, math.nan)
    lo = row.get(f"{measure}_chance_low", math.nan)
    hi = row.get(f"{measure}_chance_high", math.nan)
    if not all(isinstance(v, Real) and math.isfinite(v) for v in (obs, lo, hi)):
        return ""
    if obs < lo:
        return "more evenly spread than chance"
    if obs <= hi:
        return "no more concentrated than chance"
    mean = row.get(f"{measure}_chance", (lo + hi) / 2)
    most = 100.0
    if not measure.endswith("_share"):
        n, c = row.get("areas", math.nan), row.get("incidents", math.nan)
        most = (min(n, c) - 1) / min(n, c) if measure == "generalized_gini" else (n - 1) / n
    room = most - mean
    slight = math.isfinite(room) and room > 0 and (obs - mean) < SLIGHT * room
    return f"{'slightly ' if slight else ''}more concentrated than chance"


# ----------------------------------------------------------------------------- measures
def concentration(
    data,
    areas,
    *,
    shares=(0.05, 0.10),
    column: str = "lsoa",
    weights=None,
    draws: int = CHANCE_DRAWS,
    level: float = 0.95,
    seed: int = CHANCE_SEED,
) -> pd.Series:
    """How concentrated incidents are in few places, and how that compares with chance.

    Parameters
    ----------
    data : pandas.DataFrame or pandas.Series
        Incident rows or counts by area (see :func:`area_counts`).
    areas : sequence
        The full list of the area's LSOAs (zeros count).
    shares : sequence of float, default (0.05, 0.10)
        Fractions of areas for the top shares.
    weights : mapping or pandas.Series, optional
        Random allocation in proportion to these (e.g. residents by LSOA); default equal
        probabilities.
    draws : int, default 999
        Random allocations for the chance range; 0 leaves the chance columns out.
    level : float, default 0.95
        Width of the chance range (central share of the draws).
    seed : int
        Seed of the random allocations.

    Returns
    -------
    pandas.Series
        ``areas``, ``incidents``, ``zero_areas``, for each p: ``top_<p>pct_areas`` (the
        ``ceil(p n)`` areas) and ``top_<p>pct_share`` (% of incidents), then ``gini``,
        ``generalized_gini``, ``outside`` and ``no_area`` (incidents left out); with
        ``draws``, for each measure M of ``top_<p>pct_share``, ``gini`` and
        ``generalized_gini``: ``M_chance`` (mean of the random allocations),
        ``M_chance_low``/``M_chance_high`` (their central ``level`` range), ``M_excess``
        (observed minus chance mean) and ``M_p_value`` (one-sided Monte Carlo p-value).
        Named ``concentration``; ``attrs`` records the chance settings used.

    Examples
    --------
    >>> counts = pd.Series(range(1, 21), index=[f"L{i}" for i in range(20)])
    >>> c = concentration(counts, counts.index)
    >>> c[["top_5pct_areas", "top_10pct_areas"]].tolist(), round(float(c["top_10pct_share"]), 2)
    ([1.0, 2.0], 18.57)
    >>> round(float(c["top_10pct_share_chance"]), 1), chance_verdict(c, "top_10pct_share")
    (15.3, 'slightly more concentrated than chance')
    """
    if not (isinstance(draws, int | np.integer) and draws >= 0):
        raise ParamsError(f"draws must be a whole number >= 0, got {draws!r}")
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise ParamsError(f"level must be a fraction in (0, 1), got {level!r}")
    counts = area_counts(data, areas, column=column)
    x = -np.sort(-counts.to_numpy())
    n, total = len(x), float(x.sum())
    tops = _tops(shares, n)
    out = {"areas": float(n), "incidents": total, "zero_areas": float((x == 0).sum())}
    observed = _measures(x[None, :], tops) if total else {}
    for key, k in tops.items():
        out[f"{key}_areas"] = float(k)
        out[f"{key}_share"] = float(observed[f"{key}_share"][0]) if total else math.nan
    for key in ("gini", "generalized_gini"):
        out[key] = float(observed[key][0]) if total else math.nan
    out["outside"] = counts.attrs["outside"]
    out["no_area"] = counts.attrs["no_area"]
    chance = "equal probabilities" if weights is None else "in proportion to the weights"
    if draws:
        measures = [f"{key}_share" for key in tops] + ["gini", "generalized_gini"]
        sims = (
            _chance_sims(
                _whole(total, "concentration against chance"),
                counts.index,
                shares,
                weights,
                draws,
                seed,
            )
            if total
            else None
        )
        for m in measures:
            summary = (
                _summarise(out[m], sims[m], level)
                if sims is not None
                else dict.fromkeys(("chance", "chance_low", "chance_high", "excess", "p_value"))
            )
            out.update({f"{m}_{k}": math.nan if v is None else v for k, v in summary.items()})
    result = pd.Series(out, name="concentration", dtype=float)
    result.attrs = {"chance": chance, "draws": int(draws), "level": level, "seed": seed}
    return result


def lorenz_curve(data, areas, *, column: str = "lsoa") -> pd.DataFrame:
    """The Lorenz curve of incidents over areas, fewest incidents first.

    Returns
    -------
    pandas.DataFrame
        One row per area plus a first row at the origin: ``area`` (missing at the origin),
        ``incidents``, ``area_share`` and ``incident_share`` (cumulative fractions, 0 to 1).
        ``attrs["gini"]`` holds the Gini coefficient (1 - 2 x area under the curve) and
        ``attrs["generalized_gini"]`` the generalized Gini.

    Examples
    --------
    >>> lc = lorenz_curve(pd.Series({"A": 3, "B": 1}), ["A", "B", "C", "D"])
    >>> lc["incident_share"].tolist()
    [0.0, 0.0, 0.0, 0.25, 1.0]
    """
    counts = area_counts(data, areas, column=column).sort_values(kind="stable")
    total = float(counts.sum())
    n = len(counts)
    cum = counts.cumsum() / total if total else counts * np.nan
    out = pd.DataFrame(
        {
            "area": [None, *counts.index],
            "incidents": [0.0, *counts.to_numpy()],
            "area_share": np.arange(n + 1) / n,
            "incident_share": [0.0, *cum.to_numpy()],
        }
    )
    out.attrs = {
        "gini": gini(counts.to_numpy()),
        "generalized_gini": generalized_gini(counts.to_numpy()),
    }
    return out


def chance_lorenz(
    total: int,
    areas,
    *,
    weights=None,
    draws: int = CHANCE_DRAWS,
    level: float = 0.95,
    seed: int = CHANCE_SEED,
) -> pd.DataFrame:
    """The band of Lorenz curves that random allocation of ``total`` incidents gives.

    Returns
    -------
    pandas.DataFrame
        ``area_share`` (0 to 1, as :func:`lorenz_curve`), ``low``, ``mean`` and ``high``:
        the central ``level`` range and mean of the random curves at each share of areas.
        ``attrs`` records ``total``, ``draws``, ``level`` and ``chance``.

    Examples
    --------
    >>> band = chance_lorenz(4, ["A", "B", "C", "D"], draws=99)
    >>> band["area_share"].tolist(), float(band["high"].iloc[-1])
    ([0.0, 0.25, 0.5, 0.75, 1.0], 1.0)
    """
    areas = _area_index(areas)
    total = _whole(float(total), "chance Lorenz curve")
    if total <= 0:
        raise DataError("chance Lorenz curve: there are no incidents to allocate")
    if not (isinstance(level, int | float) and 0 < level < 1):
        raise ParamsError(f"level must be a fraction in (0, 1), got {level!r}")
    p = _probabilities(areas, weights)
    desc = _draws(total, np.full(len(areas), 1 / len(areas)) if p is None else p, draws, seed)
    n = len(areas)
    cum = np.hstack([np.zeros((draws, 1)), np.cumsum(desc[:, ::-1], axis=1) / total])
    lo, hi = np.quantile(cum, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = pd.DataFrame(
        {"area_share": np.arange(n + 1) / n, "low": lo, "mean": cum.mean(axis=0), "high": hi}
    )
    out.attrs = {
        "total": total,
        "draws": int(draws),
        "level": level,
        "chance": "equal probabilities" if p is None else "in proportion to the weights",
    }
    return out


def concentration_table(groups: Mapping[str, pd.DataFrame], areas, **kwargs) -> pd.DataFrame:
    """:func:`concentration` of each group of incidents, one row each.

    Examples
    --------
    >>> rows = pd.DataFrame({"lsoa": ["A"] * 9 + ["B"]})
    >>> t = concentration_table({"Crime": rows}, ["A", "B", "C", "D"])
    >>> float(t.loc["Crime", "top_5pct_share"]), float(t.loc["Crime", "gini"])
    (90.0, 0.7)
    >>> t.attrs["chance"]
    'equal probabilities'
    """
    rows = {name: concentration(rows, areas, **kwargs) for name, rows in groups.items()}
    out = pd.DataFrame(rows).T.rename_axis("group")
    first = next(iter(rows.values()), None)
    out.attrs = dict(first.attrs) if first is not None else {}
    return out
