"""Expected counts: month x LSOA x category, calibrated to the real mix and the targets.

The expected count of LSOA ``l``, category ``c`` in month ``t`` is

    mu[t, l, c] = B[l, c] x R[t, c] x S[c, month of t] x days[t] / 30.44 x Covid[t, c]
                  x E[t, l, c] x g_group(c)[t]

* ``B``: the base level, from the real city (and ring) counts of October 2018 to February
  2019 divided by their seasonal factors, smoothed (:func:`base_levels`);
* ``R``: the category's path (2018/19 = 1), interpolated smoothly between financial years;
* ``S``: seasonality; ``Covid``: the mean daily lockdown response of the month;
* ``E``: the planted effects (:mod:`csplib.synth.effects`);
* ``g``: for victim-based crime and for ASB, a smooth level fitted so that each financial
  year's city total equals :data:`~csplib.synth.calibration.VICTIM_BASED_PATH` or
  :data:`~csplib.synth.calibration.ASB_PATH` (which hold the published targets), or the
  paths of the area's :class:`~csplib.synth.calibration.AreaProfile`; 1 for the other
  categories.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.core.schema import ASB
from csplib.synth.calibration import (
    CATEGORIES,
    CATEGORY_DRIFT,
    CATEGORY_INDEX,
    COVID_ELASTICITY,
    FINANCIAL_YEARS,
    FIRST_MONTH,
    LAST_MONTH,
    VB_INDEX,
    daily_stringency,
    seasonal_profile,
)
from csplib.synth.realdata import BASE_MONTHS, RealData

__all__ = [
    "SHARE_PSEUDOCOUNT",
    "TOTAL_PRIOR_SHAPE",
    "MEAN_MONTH_DAYS",
    "seasonal_matrix",
    "Timeline",
    "Levels",
    "timeline",
    "base_levels",
    "expected_counts",
]

#: Pseudo-count (in months' worth of rows) pulling each LSOA's category shares toward the
#: shares of its group (city or ring), so categories with few real rows are not zero.
SHARE_PSEUDOCOUNT = 3.0
#: Shape of the gamma prior pulling each LSOA's total toward population x the rate of its
#: IMD decile (small: the real totals dominate; the city centre keeps its volume).
TOTAL_PRIOR_SHAPE = 2.0
MEAN_MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class Timeline:
    """The months generated: ``months`` (datetime64[M]), ``fy`` (financial year start),
    ``moy`` (1..12), ``days`` (days in the month), ``labels`` ("YYYY-MM")."""

    months: np.ndarray
    fy: np.ndarray
    moy: np.ndarray
    days: np.ndarray
    labels: tuple[str, ...]

    def index(self, label: str) -> int:
        """Position of month ``"YYYY-MM"``."""
        return int((np.datetime64(label, "M") - self.months[0]).astype(int))


def timeline(first: str = FIRST_MONTH, last: str = LAST_MONTH) -> Timeline:
    """The months from ``first`` to ``last`` inclusive.

    Examples
    --------
    >>> tl = timeline("2019-03", "2019-04")
    >>> tl.labels, tl.fy.tolist(), tl.days.tolist()
    (('2019-03', '2019-04'), [2018, 2019], [31, 30])
    """
    months = np.arange(np.datetime64(first, "M"), np.datetime64(last, "M") + 1)
    year = months.astype("datetime64[Y]").astype(int) + 1970
    moy = months.astype(int) % 12 + 1
    days = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(int)
    labels = tuple(str(m) for m in months)
    return Timeline(months, np.where(moy >= 4, year, year - 1), moy, days, labels)


def seasonal_matrix() -> np.ndarray:
    return np.stack([seasonal_profile(c) for c in CATEGORIES], axis=1)  # (12, C)


def base_levels(real: RealData) -> np.ndarray:
    """Base monthly level of each LSOA x category (2018/19, average month, no season).

    The real counts of :data:`~csplib.synth.realdata.BASE_MONTHS` are divided by the sum of
    the months' seasonal and day-count factors; each LSOA's category shares are pulled
    toward its group's shares (pseudo-count :data:`SHARE_PSEUDOCOUNT` months' rows); and
    each LSOA's total is pulled toward population x its IMD decile's rate in the group
    (gamma-Poisson, prior shape :data:`TOTAL_PRIOR_SHAPE`). For a modelled area
    (``real.base`` set, :mod:`csplib.synth.rates`) the modelled base is returned as it is.

    Parameters
    ----------
    real : RealData
        The real inputs (:func:`~csplib.synth.realdata.load_real_data`).

    Returns
    -------
    numpy.ndarray
        Shape (LSOAs, categories).

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> real = load_real_data("data")
    >>> base = base_levels(real)
    >>> # 24,123 real city rows in five winter months: about 5,100 a month without season
    >>> bool((base > 0).all()), round(float(base[real.lsoa["city"]].sum()), -2)
    (True, 5100.0)
    """
    if real.base is not None:  # a modelled area (csplib.synth.rates)
        return real.base
    tl = timeline(BASE_MONTHS[0], BASE_MONTHS[-1])
    seasonal = seasonal_matrix()
    factor = (seasonal[tl.moy - 1] * (tl.days / MEAN_MONTH_DAYS)[:, None]).sum(axis=0)
    raw = real.counts / factor[None, :]  # monthly, deseasonalised
    out = np.zeros_like(raw)
    n_months = len(BASE_MONTHS)
    for group in (True, False):
        rows = (real.lsoa["city"] == group).to_numpy()
        sub = raw[rows]
        total = sub.sum(axis=1)
        shares = (sub + SHARE_PSEUDOCOUNT * (sub.sum(0) / sub.sum())[None, :]) / (
            total + SHARE_PSEUDOCOUNT
        )[:, None]
        lsoa = real.lsoa[rows]
        counts = real.counts[rows].sum(axis=1).astype(float)
        pop = lsoa["population"].to_numpy(float)
        rate = (
            pd.Series(counts).groupby(lsoa["imd_decile"].to_numpy()).sum()
            / pd.Series(pop).groupby(lsoa["imd_decile"].to_numpy()).sum()
        )
        prior = pop * lsoa["imd_decile"].map(rate).to_numpy()
        posterior = prior * (counts + TOTAL_PRIOR_SHAPE) / (prior + TOTAL_PRIOR_SHAPE)
        scale = np.where(counts > 0, posterior / np.maximum(counts, 1), 0.0)
        smoothed_total = np.where(counts > 0, total * scale, posterior / n_months)
        out[rows] = shares * smoothed_total[:, None]
    return out


def _fy_interpolate(values, months: np.ndarray, fy0: int) -> np.ndarray:
    """Log-linear interpolation of yearly values (anchored mid-year) to months."""
    t = np.arange(len(months), dtype=float)
    first = int((np.datetime64(f"{fy0}-04", "M") - months[0]).astype(int))
    anchors = first + 12 * np.arange(len(values)) + 5.5
    return np.exp(np.interp(t, anchors, np.log(np.asarray(values, dtype=float))))


def _covid(tl: Timeline) -> np.ndarray:
    """Mean daily Covid-19 factor of each month and category: (months, C)."""
    first = tl.months[0].astype("datetime64[D]")
    last = (tl.months[-1] + 1).astype("datetime64[D]")
    days = np.arange(first, last)
    level = daily_stringency(days)
    month_of_day = (days.astype("datetime64[M]") - tl.months[0]).astype(int)
    e = np.array([COVID_ELASTICITY[c] for c in CATEGORIES])
    factor = 1.0 + level[:, None] * e[None, :]
    sums = np.zeros((len(tl.months), len(CATEGORIES)))
    np.add.at(sums, month_of_day, factor)
    return sums / tl.days[:, None]


@dataclass(frozen=True)
class Levels:
    """Expected counts and the pieces they were built from.

    ``mu`` (months x LSOAs x C); ``base`` (LSOAs x C); ``path`` (months x C: R);
    ``covid`` (months x C); ``effects`` (months x LSOAs x C); ``g_vb`` and ``g_asb``
    (months: fitted group levels); ``anchors`` (fitted yearly anchors by group).
    """

    mu: np.ndarray
    base: np.ndarray
    path: np.ndarray
    covid: np.ndarray
    effects: np.ndarray
    g_vb: np.ndarray
    g_asb: np.ndarray
    anchors: dict


def _fit_group(k_month: np.ndarray, tl: Timeline, targets: dict[int, int]) -> tuple:
    """Smooth level g(t) with sum over each financial year of g(t) k(t) = target."""
    years = np.array(FINANCIAL_YEARS)
    target = np.array([targets[y] for y in years], dtype=float)
    sums = np.array([k_month[tl.fy == y].sum() for y in years])
    anchors = target / sums
    for _ in range(200):
        g = _fy_interpolate(anchors, tl.months, int(years[0]))
        achieved = np.array([(g * k_month)[tl.fy == y].sum() for y in years])
        ratio = target / achieved
        anchors = anchors * ratio
        if np.abs(ratio - 1).max() < 1e-12:
            break
    g = _fy_interpolate(anchors, tl.months, int(years[0]))
    return g, dict(zip(years.tolist(), anchors.tolist(), strict=True))


def expected_counts(real: RealData, effects: np.ndarray, tl: Timeline | None = None) -> Levels:
    """Expected counts of every month x LSOA x category over the full timeline.

    Parameters
    ----------
    real : RealData
        The real inputs.
    effects : numpy.ndarray
        Planted multipliers (months x LSOAs x C), as
        :func:`~csplib.synth.effects.planted_multipliers`.
    tl : Timeline, optional
        Default: the full timeline (:data:`FIRST_MONTH` .. :data:`LAST_MONTH`).

    Returns
    -------
    Levels

    Examples
    --------
    >>> from csplib.synth.realdata import load_real_data
    >>> from csplib.synth.effects import planted_multipliers
    >>> real = load_real_data("data")
    >>> tl = timeline()
    >>> lv = expected_counts(real, planted_multipliers(tl.months, real.lsoa), tl)
    >>> city, year = real.lsoa["city"].to_numpy(), tl.fy == 2018
    >>> round(float(lv.mu[year][:, city][:, :, list(VB_INDEX)].sum()))
    37486
    """
    tl = tl or timeline()
    base = base_levels(real)
    fy0 = FINANCIAL_YEARS[0]
    path = np.ones((len(tl.months), len(CATEGORIES)))
    for c, name in enumerate(CATEGORIES):
        values = CATEGORY_DRIFT.get(name) or CATEGORY_INDEX.get(name)
        if values is not None:
            path[:, c] = _fy_interpolate(values, tl.months, fy0)
    seasonal = seasonal_matrix()[tl.moy - 1]
    covid = _covid(tl)
    monthly = path * seasonal * covid * (tl.days / MEAN_MONTH_DAYS)[:, None]
    k = base[None, :, :] * monthly[:, None, :] * effects
    city = real.lsoa["city"].to_numpy()
    vb = list(VB_INDEX)
    asb = CATEGORIES.index(ASB)
    profile = real.profile
    g_vb, anchors_vb = _fit_group(
        k[:, city][:, :, vb].sum(axis=(1, 2)), tl, profile.victim_based_path
    )
    g_asb, anchors_asb = _fit_group(k[:, city, asb].sum(axis=1), tl, profile.asb_path)
    group = np.ones((len(tl.months), len(CATEGORIES)))
    group[:, vb] = g_vb[:, None]
    group[:, asb] = g_asb
    mu = k * group[:, None, :]
    return Levels(
        mu=mu,
        base=base,
        path=path,
        covid=covid,
        effects=effects,
        g_vb=g_vb,
        g_asb=g_asb,
        anchors={"victim_based": anchors_vb, "asb": anchors_asb},
    )
