"""Funnel plots of rates across areas, with limits adjusted for overdispersion.

A funnel plot shows each area's rate (crimes per 1,000 residents) against its population,
with control limits around the rate of all the areas together that narrow as the population
grows: an area outside the 95% limits is unusual, outside the 99.8% limits very unusual.
Under Poisson variation alone the limits of a rate per person ``theta0`` are
``theta0 +- z sqrt(theta0 / n)``; but crime rates of ~310 partnerships differ far more than
chance (cities, coasts, deprivation), so Poisson limits would flag most areas. Following
Spiegelhalter (2005), *Handling over-dispersion of performance indicators*
(Qual Saf Health Care 14:347-351; Stat Med 24:1185-1202), :func:`funnel_limits`:

1. computes each area's z-score against the pooled rate, ``z_i = (y_i - theta0) / s_i``
   with ``s_i = sqrt(theta0 / n_i)`` (per person; scaled to per 1,000 for showing);
2. winsorizes the z-scores, setting the lowest and highest 10% to the nearest remaining
   value (so the areas being judged cannot inflate the allowance for their own
   extremeness), and estimates the overdispersion ``phi = mean(z_w^2) / c``;
3. **additive** (the default, a random-effects model): when ``I phi > I - 1``, the
   between-area variance is ``tau^2 = (I phi - (I - 1)) / (sum w_i - sum w_i^2 / sum w_i)``
   with ``w_i = 1 / s_i^2`` (DerSimonian-Laird), and the limits are
   ``theta0 +- z sqrt(s_i^2 + tau^2)``; **multiplicative**: ``theta0 +- z sqrt(phi) s_i``
   when ``phi > 1``; **none**: Poisson limits.

The additive model suits rates of large populations: the overdispersion does not vanish as
the population grows, so the funnel's mouth stays open.

**Where csplib differs from the paper.** Spiegelhalter takes ``phi = mean(z_w^2)`` and the
DerSimonian-Laird ``tau^2`` from it. But winsorizing also shrinks the z-scores of areas that
are not outliers: when every area varies (the usual case across partnerships) the
winsorized mean square falls well short of the variance it estimates, and in simulation
(310 areas whose rates vary 20% about one mean, no area special) 16% of areas fall outside
the 95% limits instead of 5%. With ``consistent=True`` (the default) csplib winsorizes
where the z-scores are alike: ``tau^2`` is the value at which the z-scores against the
adjusted limits, ``(y_i - theta0) / sqrt(s_i^2 + tau^2)``, winsorized, have the mean square
``c`` of a winsorized standard normal (0.679 for 10%); for the multiplicative model,
``phi = mean(z_w^2) / c``. Outliers still cannot inflate the allowance, and 5% of areas
fall outside the 95% limits when none is special (``tests/methods/test_funnel.py``).
``consistent=False`` gives the paper's estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

__all__ = ["FUNNEL_LEVELS", "FunnelLimits", "funnel_limits", "winsor_factor", "winsorized"]

#: The two-sided coverage of the inner and outer limits (as in NHS and ONS funnel plots).
FUNNEL_LEVELS = (0.95, 0.998)

_METHODS = ("additive", "multiplicative", "none")


@dataclass(frozen=True)
class FunnelLimits:
    """Areas against the funnel: the table and what the limits were drawn from.

    Attributes
    ----------
    table : DataFrame
        One row per area (the input's index): ``count``, ``population``, ``rate`` (per
        ``per`` residents), ``z`` (against Poisson variation), ``z_adjusted`` (against the
        adjusted variance), the limits of each level (``lower_95``, ``upper_95``,
        ``lower_99.8``, ``upper_99.8``) and ``position``: ``"above 99.8%"``, ``"above 95%"``,
        ``"within"``, ``"below 95%"`` or ``"below 99.8%"``.
    target : float
        The pooled rate (per ``per``).
    phi, tau2 : float
        The overdispersion (winsorized mean squared z) and the between-area variance (per
        person squared; 0 unless ``method="additive"``).
    method : str
    per : float
    """

    table: pd.DataFrame
    target: float
    phi: float
    tau2: float
    method: str
    per: float

    def limits_at(self, population, level: float) -> tuple[np.ndarray, np.ndarray]:
        """The (lower, upper) limits at ``level`` for the given populations (for drawing).

        Examples
        --------
        >>> counts = pd.Series([900, 1100, 1000, 950])
        >>> f = funnel_limits(counts, pd.Series([10_000.0] * 4), method="none")
        >>> [round(float(v), 1) for v in f.limits_at(10_000, 0.95)]
        [92.6, 104.9]
        """
        n = np.asarray(population, dtype=float)
        theta = self.target / self.per
        var = theta / n
        if self.method == "additive":
            var = var + self.tau2
        elif self.method == "multiplicative":
            var = var * max(self.phi, 1.0)
        half = stats.norm.ppf(0.5 + level / 2) * np.sqrt(var)
        return (theta - half) * self.per, (theta + half) * self.per


def funnel_limits(
    counts: pd.Series,
    population: pd.Series,
    *,
    method: str = "additive",
    per: float = 1000.0,
    winsor: float = 0.1,
    consistent: bool = True,
    target: float | None = None,
) -> FunnelLimits:
    """Each area's rate against funnel limits adjusted for overdispersion (module notes).

    Parameters
    ----------
    counts, population : Series
        Crimes and residents of each area (same index).
    method : {"additive", "multiplicative", "none"}
        How overdispersion widens the limits (see the module notes).
    per : float
        Rates per this many residents (1,000).
    winsor : float
        Share of z-scores winsorized at each end before estimating the overdispersion (0.1).
    consistent : bool
        Divide the winsorized mean square by its value for standard normal z-scores
        (:func:`winsor_factor`), so that it estimates the variance without bias (default);
        False for the paper's estimate (see the module notes).
    target : float, optional
        The rate the areas are judged against (per ``per``); default the pooled rate
        ``sum(counts) / sum(population)``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pop = pd.Series(rng.integers(50_000, 500_000, 300).astype(float))
    >>> truth = rng.gamma(25, 0.08 / 25, 300)          # rates vary 20% between areas
    >>> f = funnel_limits(pd.Series(rng.poisson(truth * pop)), pop)
    >>> bool(f.tau2 > 0), float((f.table["position"] != "within").mean()) < 0.15
    (True, True)
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if not 0 <= winsor < 0.5:
        raise ValueError(f"winsor must be at least 0 and below 0.5; got {winsor!r}")
    counts = pd.Series(counts, dtype=float)
    population = pd.Series(population, dtype=float).reindex(counts.index)
    usable = counts.notna() & population.notna() & (population > 0)
    if usable.sum() < 3:
        raise ValueError("a funnel plot needs at least 3 areas with a count and a population")
    o, n = counts[usable].to_numpy(), population[usable].to_numpy()
    theta = o.sum() / n.sum() if target is None else target / per
    s2 = theta / n
    z = (o / n - theta) / np.sqrt(s2)
    phi = float(np.mean(winsorized(z, winsor) ** 2))
    if consistent:
        phi /= winsor_factor(winsor)
    k = len(z)
    w = 1.0 / s2
    tau2 = 0.0
    if method == "additive" and consistent:
        tau2 = _robust_tau2(o / n - theta, s2, winsor)
    elif method == "additive" and k * phi > k - 1:
        tau2 = float((k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    result = FunnelLimits(pd.DataFrame(), theta * per, phi, tau2, method, per)
    var = s2 + tau2 if method == "additive" else s2 * (max(phi, 1.0) if method != "none" else 1.0)
    table = pd.DataFrame(
        {
            "count": counts,
            "population": population,
            "rate": per * counts / population,
        }
    )
    table["z"] = np.nan
    table["z_adjusted"] = np.nan
    table.loc[usable, "z"] = z
    table.loc[usable, "z_adjusted"] = (o / n - theta) / np.sqrt(var)
    for level in FUNNEL_LEVELS:
        lower, upper = result.limits_at(population.where(usable), level)
        name = f"{100 * level:g}"
        table[f"lower_{name}"] = lower
        table[f"upper_{name}"] = upper
    table["position"] = _positions(table)
    return FunnelLimits(table, theta * per, phi, tau2, method, per)


def _robust_tau2(d: np.ndarray, s2: np.ndarray, share: float) -> float:
    """The between-area variance at which the winsorized mean square of the adjusted
    z-scores ``d / sqrt(s2 + tau2)`` is that of a winsorized standard normal (0 when the
    z-scores against Poisson limits are already no more spread than that)."""
    target = winsor_factor(share)

    def excess(tau2: float) -> float:
        return float(np.mean(winsorized(d / np.sqrt(s2 + tau2), share) ** 2)) - target

    if excess(0.0) <= 0:
        return 0.0
    high = float(np.mean(d**2))
    while excess(high) > 0:  # the mean square falls as tau2 grows: bracket the root
        high *= 4
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-14 * high, rtol=1e-12))


def winsorized(z: np.ndarray, share: float) -> np.ndarray:
    """``z`` with its lowest and highest ``floor(share * len(z))`` values set to the nearest
    value kept (Spiegelhalter's winsorizing; as :func:`scipy.stats.mstats.winsorize`).

    Examples
    --------
    >>> winsorized(np.arange(10.0), 0.1).tolist()
    [1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.0]
    """
    z = np.asarray(z, dtype=float)
    k = int(share * len(z))
    if k == 0:
        return z.copy()
    ordered = np.sort(z)
    return np.clip(z, ordered[k], ordered[len(z) - 1 - k])


def winsor_factor(share: float) -> float:
    """The mean square of a standard normal winsorized at ``share`` each end: what the
    winsorized mean square of z-scores of variance 1 comes to.

    Examples
    --------
    >>> round(winsor_factor(0.1), 4), winsor_factor(0.0)
    (0.6787, 1.0)
    """
    if share <= 0:
        return 1.0
    c = stats.norm.ppf(1 - share)
    inside = (1 - 2 * share) - 2 * c * stats.norm.pdf(c)
    return float(inside + 2 * share * c**2)


def _positions(table: pd.DataFrame) -> pd.Series:
    """Where each area's rate lies against the limits (outer limits first)."""
    rate = table["rate"]
    out = pd.Series("within", index=table.index, dtype=object)
    out[rate > table["upper_95"]] = "above 95%"
    out[rate > table["upper_99.8"]] = "above 99.8%"
    out[rate < table["lower_95"]] = "below 95%"
    out[rate < table["lower_99.8"]] = "below 99.8%"
    out[table["z"].isna()] = "not assessed"
    return out
