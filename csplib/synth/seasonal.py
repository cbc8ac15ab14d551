"""Seasonal monthly counts with known truth, for checking the trend tests by simulation.

:func:`seasonal_counts` draws many series at once: month-of-year effects of about +-30%, a
known annual change, and overdispersion as negative binomial NB2 (gamma-Poisson, variance
``mu + alpha mu^2``), or Poisson-lognormal with the same variance and a latent AR(1) rate of
lag-1 correlation ``rho``. The size tests (``tests/methods/models/test_trend_size.py``) and
the benchmark (``benchmarks/trend_size.py``) share it.

Examples
--------
>>> idx, y = seasonal_counts(np.random.default_rng(1), 2000, 24, 30.0, alpha=0.05)
>>> y.shape, idx[0].strftime("%Y-%m")
((2000, 24), '2019-04')
>>> bool(abs(y.mean() / 30.0 - 1.03) < 0.02)  # the season's mean effect is about +3%
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["seasonal_counts"]


def seasonal_counts(
    rng: np.random.Generator,
    reps: int,
    n: int,
    mean: float,
    *,
    alpha: float = 0.0,
    annual: float = 0.0,
    rho: float = 0.0,
    start: str = "2019-04-01",
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """``reps`` series of ``n`` months of seasonal counts with known truth.

    Parameters
    ----------
    rng : numpy.random.Generator
    reps, n : int
        How many series, and how many months each.
    mean : float
        The typical month's expected count at the start.
    alpha : float
        Overdispersion: NB2 ``alpha`` (0: Poisson).
    annual : float
        The true change a year (``-0.1``: a fall of 10% a year).
    rho : float
        Lag-1 correlation of the latent rate (0: independent months; otherwise
        Poisson-lognormal with the NB2 variance).
    start : str
        The first month.

    Returns
    -------
    (DatetimeIndex, ndarray)
        The months, and the counts as floats, one row a series.
    """
    idx = pd.date_range(start, periods=n, freq="MS")
    m = idx.month.to_numpy()
    season = np.exp(0.3 * np.sin(2 * np.pi * m / 12) + 0.1 * np.cos(4 * np.pi * m / 12))
    mu = mean * season * (1 + annual) ** (np.arange(n) / 12)
    if rho:
        s = np.sqrt(np.log1p(alpha))  # lognormal rate with the NB2 variance mu + alpha mu^2
        e = np.empty((reps, n))
        e[:, 0] = rng.standard_normal(reps)
        for k in range(1, n):
            e[:, k] = rho * e[:, k - 1] + np.sqrt(1 - rho**2) * rng.standard_normal(reps)
        rate = mu * np.exp(s * e - s**2 / 2)
    elif alpha:
        rate = mu * rng.gamma(1 / alpha, alpha, size=(reps, n))
    else:
        rate = np.broadcast_to(mu, (reps, n))
    return idx, rng.poisson(rate).astype(float)
