"""Count regression shared by the models: design, family choice, predictive distributions.

The models of monthly counts (trend, expected range, interrupted time series, forecast,
seasonal profile) share one engine:

* **Design.** ``log E[y_t] = const + beta * t + gamma_{month(t)} (+ extra terms)``, with ``t``
  in months since the first month fitted and month-of-year effects in treatment coding
  (January is the reference).
* **Family.** A Poisson GLM is fitted first (statsmodels). Overdispersion is tested with the
  Pearson chi-squared statistic of that fit, one-sided, against chi2(n - p) at level
  ``test_level`` (0.05). When it is significant, a negative binomial (NB2: variance
  ``mu + alpha mu^2``) GLM is used, with ``alpha`` the Pearson moment estimate (the value that
  makes the Pearson statistic equal its residual degrees of freedom, iterated with the fit).
  The moment estimate is used instead of maximum likelihood because the ML estimate of
  ``alpha`` is badly biased downwards with 13+ parameters on 36-60 months, which makes
  prediction intervals too narrow.
* **Predictive distribution.** Coefficients are drawn from their asymptotic normal
  distribution; for NB, ``alpha`` is drawn from its fiducial distribution (the Pearson
  statistic at the true ``alpha`` is close to chi2(n - p)). The predictive distribution of a
  new count is the exact mixture of Poisson / NB probabilities over the draws. Intervals and
  tail probabilities use the **mid-p** convention: a count ``y`` is outside a ``1 - a``
  interval when ``P(Y > y) + P(Y = y) / 2 < a / 2`` (or the same on the low side); interval
  ends are the matching quantiles of the continuity-corrected distribution (``Y`` plus a
  uniform(-1/2, 1/2) jitter), so they are not whole numbers. Plain discrete quantiles cover
  more than the nominal level at low counts (98% for a Poisson mean of 2); mid-p intervals
  cover close to the nominal level on average.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special, stats
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    DomainWarning,
    PerfectSeparationWarning,
)

from csplib.methods.models._series import count_months

__all__ = [
    "MIN_SEASONAL_MONTHS",
    "MONTH_ABBR",
    "CountFit",
    "Predictive",
    "design",
    "fit_counts",
    "project_counts",
    "seasonal_problem",
    "terms_text",
]

#: Months needed before month-of-year effects are estimated (two full years).
MIN_SEASONAL_MONTHS = 24
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SEASONAL_COLUMNS = tuple(MONTH_ABBR[1:])
POISSON = "Poisson"
NEGBIN = "negative binomial"


def month_number(index: pd.DatetimeIndex, origin: pd.Timestamp) -> np.ndarray:
    """Whole months from ``origin`` to each month of ``index``."""
    return ((index.year - origin.year) * 12 + (index.month - origin.month)).to_numpy(float)


def design(
    index: pd.DatetimeIndex,
    origin: pd.Timestamp,
    *,
    seasonal: bool,
    trend: bool,
    extra: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Design matrix: constant, linear time in months, month-of-year dummies, extra terms."""
    cols: dict[str, np.ndarray] = {"const": np.ones(len(index))}
    if trend:
        cols["time"] = month_number(index, origin)
    if seasonal:
        for m, name in enumerate(SEASONAL_COLUMNS, start=2):
            cols[name] = (index.month == m).astype(float)
    if extra:
        cols.update({k: np.asarray(v, dtype=float) for k, v in extra.items()})
    return pd.DataFrame(cols, index=index)


def seasonal_problem(y: pd.Series) -> str:
    """Why month-of-year effects cannot be estimated from ``y``; empty when they can.

    They need at least :data:`MIN_SEASONAL_MONTHS` months with data, every calendar month
    seen at least twice, and a count in every calendar month. A model without them fits no
    seasonality, and a forecast from it has no trend either (a constant rate).

    Parameters
    ----------
    y : pandas.Series
        Monthly counts indexed by month start; NaN is a month without data.

    Returns
    -------
    str
        The reason in words, or ``""``.

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=30, freq="MS")
    >>> seasonal_problem(pd.Series(5.0, index=idx))
    ''
    >>> seasonal_problem(pd.Series(5.0, index=idx[:18]))
    'only 18 months with data (month-of-year effects need at least 24)'
    """
    obs = y.dropna()
    if len(obs) < MIN_SEASONAL_MONTHS:
        return (
            f"only {count_months(len(obs))} with data (month-of-year effects need at least "
            f"{MIN_SEASONAL_MONTHS})"
        )
    grouped = obs.groupby(obs.index.month)
    size = grouped.size().reindex(range(1, 13), fill_value=0)
    total = grouped.sum().reindex(range(1, 13), fill_value=0)
    thin = [MONTH_ABBR[m - 1] for m in range(1, 13) if size[m] < 2]
    if thin:
        return f"fewer than two years of data for {', '.join(thin)}"
    empty = [MONTH_ABBR[m - 1] for m in range(1, 13) if total[m] == 0]
    if empty:
        return (
            f"no counts at all in {', '.join(empty)} (a month-of-year effect cannot be "
            "estimated from zeros)"
        )
    return ""


def terms_text(seasonal: bool, trend: bool) -> str:
    """The model terms in words."""
    if seasonal and trend:
        return "month of year + linear trend"
    if seasonal:
        return "month of year, no trend"
    if trend:
        return "linear trend, no seasonality"
    return "constant rate, no seasonality or trend"


def _pearson_alpha(y: np.ndarray, mu: np.ndarray, df: float) -> float:
    """NB2 alpha making the Pearson statistic equal ``df`` (0 when already below)."""
    r2 = (y - mu) ** 2

    def excess(a: float) -> float:
        return float(np.sum(r2 / (mu * (1.0 + a * mu))) - df)

    if df <= 0 or excess(0.0) <= 0:
        return 0.0
    hi = 1.0
    while excess(hi) > 0 and hi < 1e8:
        hi *= 10.0
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-12, rtol=1e-10))


@dataclass(frozen=True)
class CountFit:
    """A fitted Poisson or NB2 GLM of monthly counts (internal).

    Attributes
    ----------
    family : str
        ``"Poisson"`` or ``"negative binomial"``.
    params : Series
        Coefficients (log scale), named by design column.
    cov : DataFrame
        Their covariance.
    alpha : float
        NB2 dispersion (0 for Poisson).
    dispersion, dispersion_pvalue : float
        Pearson chi2 / df of the Poisson fit, and the one-sided p-value of the Pearson test.
    """

    family: str
    params: pd.Series
    cov: pd.DataFrame
    alpha: float
    dispersion: float
    dispersion_pvalue: float
    df_resid: float
    nobs: int
    origin: pd.Timestamp
    y: np.ndarray
    mu: np.ndarray
    note: str = ""

    def contrast(self, weights: dict[str, float]) -> tuple[float, float]:
        """Estimate and standard error of a linear combination of coefficients."""
        c = pd.Series(0.0, index=self.params.index)
        for name, w in weights.items():
            c[name] = w
        est = float(c @ self.params)
        se = float(np.sqrt(max(c @ self.cov @ c, 0.0)))
        return est, se

    def predict_mu(self, X: pd.DataFrame) -> pd.Series:
        """Fitted means for a design frame with the same columns."""
        return np.exp(X[self.params.index] @ self.params)

    @property
    def family_text(self) -> str:
        if self.family == NEGBIN:
            return f"negative binomial (NB2, alpha = {self.alpha:.3g})"
        return POISSON

    @property
    def family_reason(self) -> str:
        if not np.isfinite(self.dispersion_pvalue):
            return ""
        return (
            f"Pearson chi2/df of the Poisson fit = {self.dispersion:.2f} "
            f"(overdispersion test p = {self.dispersion_pvalue:.3g})."
        )


def fit_counts(
    y: pd.Series,
    X: pd.DataFrame,
    *,
    origin: pd.Timestamp,
    family: str = "auto",
    test_level: float = 0.05,
) -> CountFit:
    """Fit a Poisson or NB2 GLM of ``y`` on ``X`` (rows with missing ``y`` dropped).

    ``origin`` is the month where the design's ``time`` is 0. ``family`` is ``"auto"``
    (Poisson unless the Pearson test finds overdispersion), ``"poisson"`` or ``"negbin"``.
    """
    ok = y.notna().to_numpy()
    yv = y.to_numpy()[ok]
    Xv = X.to_numpy()[ok]
    names = list(X.columns)
    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pois = sm.GLM(yv, Xv, family=sm.families.Poisson()).fit()
        df = float(pois.df_resid)
        if df > 0:
            chi2 = float(pois.pearson_chi2)
            dispersion = chi2 / df
            pvalue = float(stats.chi2.sf(chi2, df))
        else:
            dispersion, pvalue = np.nan, np.nan
        use_nb = family == "negbin" or (
            family == "auto" and np.isfinite(pvalue) and pvalue < test_level
        )
        result, alpha, chosen = pois, 0.0, POISSON
        if use_nb:
            alpha = _pearson_alpha(yv, pois.mu, df)
            nb = None
            for _ in range(50):
                if alpha <= 0:
                    break
                nb = sm.GLM(yv, Xv, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
                    start_params=(nb if nb is not None else pois).params
                )
                new = _pearson_alpha(yv, nb.mu, df)
                done = abs(new - alpha) <= 1e-6 + 1e-5 * alpha
                alpha = new
                if done:
                    break
            if alpha > 0:
                nb = sm.GLM(yv, Xv, family=sm.families.NegativeBinomial(alpha=alpha)).fit(
                    start_params=nb.params if nb is not None else pois.params
                )
                result, chosen = nb, NEGBIN
            else:
                notes.append(
                    "A negative binomial model was requested but the counts show no "
                    "overdispersion (Pearson chi2/df <= 1), so Poisson was used."
                )
    trouble = [
        w
        for w in caught
        if issubclass(w.category, ConvergenceWarning | PerfectSeparationWarning | DomainWarning)
    ]
    if trouble:
        notes.append(f"The model fit reported: {str(trouble[0].message).splitlines()[0]}")
    if np.any(np.asarray(result.mu) < 1e-6):
        notes.append(
            "Some months are fitted as (almost) exactly zero: a group of months has no counts "
            "at all, so the estimates for that group sit at the boundary and their intervals "
            "are not informative."
        )
    params = pd.Series(np.asarray(result.params), index=names)
    cov = pd.DataFrame(np.asarray(result.cov_params()), index=names, columns=names)
    return CountFit(
        family=chosen,
        params=params,
        cov=cov,
        alpha=float(alpha) if chosen == NEGBIN else 0.0,
        dispersion=dispersion,
        dispersion_pvalue=pvalue,
        df_resid=df,
        nobs=int(ok.sum()),
        origin=origin,
        y=yv.astype(float),
        mu=np.asarray(result.mu, dtype=float),
        note=" ".join(notes),
    )


def _fiducial_alpha(fit: CountFit, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of NB2 alpha: solve Pearson(alpha) = c for c ~ chi2(df)."""
    if fit.family != NEGBIN or fit.df_resid <= 0:
        return np.zeros(n)
    y, mu, df = fit.y, fit.mu, fit.df_resid
    r2 = (y - mu) ** 2
    target = rng.chisquare(df, size=n)

    def pearson(a: np.ndarray) -> np.ndarray:
        return np.sum(r2[None, :] / (mu[None, :] * (1.0 + a[:, None] * mu[None, :])), axis=1)

    at_zero = pearson(np.zeros(1))[0]
    lo = np.zeros(n)
    hi = np.full(n, max(10.0 * fit.alpha, 1.0))
    for _ in range(60):
        grow = pearson(hi) > target
        if not grow.any():
            break
        hi = np.where(grow, hi * 10.0, hi)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = pearson(mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    draws = 0.5 * (lo + hi)
    return np.where(at_zero <= target, 0.0, draws)


def _mixture_pmf(k: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Mean over draws of P(Y = k): Poisson draws (alpha = 0) and NB2 draws (alpha > 0)."""
    kk = k[None, :].astype(float)
    log_k_fact = special.gammaln(kk + 1)
    total = np.zeros(len(k))
    nb = alpha > 0
    if (~nb).any():
        m = mu[~nb][:, None]
        total += np.exp(special.xlogy(kk, m) - m - log_k_fact).sum(axis=0)
    if nb.any():
        m = mu[nb][:, None]
        r = 1.0 / alpha[nb][:, None]
        log_pmf = (
            special.gammaln(kk + r)
            - special.gammaln(r)
            - log_k_fact
            + r * np.log(r / (r + m))
            + special.xlogy(kk, m / (r + m))
        )
        total += np.exp(log_pmf).sum(axis=0)
    return total / len(mu)


def _cdf(k: np.ndarray, mu: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """P(Y <= k) per draw for scalar-per-draw k (shape (draws,))."""
    out = stats.poisson.cdf(k, mu)
    nb = alpha > 0
    if nb.any():
        r = 1.0 / alpha[nb]
        out[nb] = stats.nbinom.cdf(k[nb], r, r / (r + mu[nb]))
    return out


class Predictive:
    """Predictive distribution of future monthly counts (internal).

    Either a mixture over parameter draws (``mu``: months x draws, ``alpha``: draws), or the
    Poisson-gamma predictive of a rate with a Jeffreys prior (``jeffreys=(a, b)``: the new count
    is negative binomial with size ``a`` and probability ``b / (b + 1)``).
    """

    def __init__(self, index, *, mu=None, alpha=None, jeffreys=None):
        self.index = index
        self.mu = mu
        self.alpha = alpha
        self.jeffreys = jeffreys

    @classmethod
    def from_fit(
        cls, fit: CountFit, X: pd.DataFrame, *, n_sims: int, rng: np.random.Generator
    ) -> Predictive:
        X = X[fit.params.index]
        alpha = _fiducial_alpha(fit, n_sims, rng)
        # The coefficients' covariance depends on alpha through the GLM weights
        # mu / (1 + alpha mu); scale it for each alpha draw so that coefficient and
        # dispersion uncertainty are drawn together (the same mechanism that widens a
        # normal prediction interval from z to t when the variance is estimated).
        weight = np.sum(fit.mu / (1.0 + fit.alpha * fit.mu))
        drawn = np.sum(fit.mu[None, :] / (1.0 + alpha[:, None] * fit.mu[None, :]), axis=1)
        scale = np.sqrt(weight / drawn)
        z = rng.multivariate_normal(
            np.zeros(len(fit.params)), fit.cov.to_numpy(), size=n_sims, method="eigh"
        )
        beta = fit.params.to_numpy()[None, :] + scale[:, None] * z
        eta = X.to_numpy() @ beta.T
        mu = np.exp(np.clip(eta, -50.0, 50.0))
        return cls(X.index, mu=mu, alpha=alpha)

    @classmethod
    def from_rate(cls, index, total: float, months: int) -> Predictive:
        """Jeffreys-prior Poisson rate: rate ~ Gamma(total + 1/2, months)."""
        return cls(index, jeffreys=(float(total) + 0.5, float(months)))

    # -- distribution functions -------------------------------------------------------
    def mean(self) -> np.ndarray:
        if self.jeffreys is not None:
            a, b = self.jeffreys
            return np.full(len(self.index), a / b)
        return self.mu.mean(axis=1)

    def cdf_at(self, k: np.ndarray) -> np.ndarray:
        """P(Y_j <= k_j) for one k per month."""
        k = np.asarray(k, dtype=float)
        if self.jeffreys is not None:
            a, b = self.jeffreys
            return stats.nbinom.cdf(k, a, b / (b + 1.0))
        out = np.empty(len(self.index))
        for j in range(len(self.index)):
            kk = np.full(self.mu.shape[1], k[j])
            out[j] = _cdf(kk, self.mu[j], self.alpha).mean()
        return out

    def _grid(self, j: int, eps: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
        """Support points ``k`` and ``F(k) = P(Y <= k)`` for month ``j``."""
        if self.jeffreys is not None:
            a, b = self.jeffreys
            p = b / (b + 1.0)
            hi = int(stats.nbinom.ppf(1 - eps, a, p))
            k = np.arange(0, hi + 2)
            return k, stats.nbinom.cdf(k, a, p)
        mu, alpha = self.mu[j], self.alpha
        # Support: from the lowest to the highest per-draw eps-quantile, so every draw's mass
        # outside the grid is below 2 eps. Exact quantiles are only worked out for the few
        # draws whose normal-approximation quantiles are most extreme.
        sd = np.sqrt(mu + alpha * mu**2)
        candidates = np.unique(
            np.concatenate([np.argsort(mu - 6 * sd)[:5], np.argsort(mu + 6 * sd)[-5:]])
        )
        m, a = mu[candidates], alpha[candidates]
        lo = stats.poisson.ppf(eps, m)
        hi = stats.poisson.ppf(1 - eps, m)
        nb = a > 0
        if nb.any():
            r = 1.0 / a[nb]
            lo[nb] = stats.nbinom.ppf(eps, r, r / (r + m[nb]))
            hi[nb] = stats.nbinom.ppf(1 - eps, r, r / (r + m[nb]))
        lo, hi = float(np.nanmin(lo)), float(np.nanmax(hi))
        k0, k1 = int(max(lo, 0)), int(hi) + 1
        k = np.arange(k0, k1 + 1)
        below = self.cdf_at_single(j, k0 - 1) if k0 > 0 else 0.0
        F = below + np.cumsum(_mixture_pmf(k, mu, alpha))
        return k, np.minimum(F, 1.0)

    def quantiles(self, probs) -> np.ndarray:
        """Mid-p (continuity-corrected) quantiles, shape (months, len(probs))."""
        probs = np.asarray(probs, dtype=float)
        out = np.empty((len(self.index), len(probs)))
        for j in range(len(self.index)):
            k, F = self._grid(j)
            prev = np.concatenate([[self.cdf_at_single(j, k[0] - 1)], F[:-1]])
            pmf = np.maximum(F - prev, 0.0)
            for i, q in enumerate(probs):
                pos = min(int(np.searchsorted(F, q)), len(k) - 1)
                step = pmf[pos] if pmf[pos] > 0 else 1.0
                out[j, i] = k[pos] - 0.5 + np.clip((q - prev[pos]) / step, 0.0, 1.0)
        return out

    def cdf_at_single(self, j: int, k: float) -> float:
        if k < 0:
            return 0.0
        if self.jeffreys is not None:
            a, b = self.jeffreys
            return float(stats.nbinom.cdf(k, a, b / (b + 1.0)))
        return float(_cdf(np.full(self.mu.shape[1], float(k)), self.mu[j], self.alpha).mean())

    def midp_high(self, y) -> np.ndarray:
        """``P(Y > y) + P(Y = y) / 2`` for each month (NaN where ``y`` is NaN)."""
        y = np.asarray(y, dtype=float)
        out = np.full(len(y), np.nan)
        ok = ~np.isnan(y)
        if ok.any():
            below = np.where(y - 1 >= 0, self.cdf_at(np.where(ok, y - 1, 0)), 0.0)
            at = self.cdf_at(np.where(ok, y, 0))
            out[ok] = (1.0 - 0.5 * (below + at))[ok]
        return np.clip(out, 0.0, 1.0)

    def frame(self, level: float) -> pd.DataFrame:
        """``expected`` (mean), ``median``, ``lower``, ``upper`` (mid-p) per month."""
        tail = (1.0 - level) / 2.0
        q = self.quantiles([tail, 0.5, 1.0 - tail])
        return pd.DataFrame(
            {
                "expected": self.mean(),
                "median": np.maximum(q[:, 1], 0.0),
                "lower": np.maximum(q[:, 0], 0.0),
                "upper": q[:, 2],
            },
            index=self.index,
        )


@dataclass(frozen=True)
class Projection:
    """A count GLM fitted to a history and its predictive distribution over new months."""

    fit: CountFit
    pred: Predictive
    seasonal: bool
    trend: bool
    problem: str  # why month-of-year effects (and so the trend) were left out; "" if not


def project_counts(
    history: pd.Series,
    new_index: pd.DatetimeIndex,
    *,
    trend: bool,
    family: str,
    n_sims: int,
    rng: np.random.Generator,
    test_level: float = 0.05,
) -> Projection:
    """Fit month-of-year effects (and a trend, when asked) to ``history`` and simulate the
    counts of the months in ``new_index``.

    Seasonality, and with it the trend, is left out when the history cannot support it
    (:func:`seasonal_problem`); the fit is then a constant rate. Shared by the expected
    range (:class:`csplib.methods.models.ExpectedRange`) and the forecast
    (:class:`csplib.methods.models.CountForecast`). ``test_level`` is the level of the
    overdispersion pre-test of ``family="auto"`` (:func:`fit_counts`).
    """
    problem = seasonal_problem(history)
    seasonal = not problem
    trend = trend and seasonal
    origin = history.index[0]
    X = design(history.index, origin, seasonal=seasonal, trend=trend)
    fit = fit_counts(history, X, origin=origin, family=family, test_level=test_level)
    X_new = design(new_index, origin, seasonal=seasonal, trend=trend)
    pred = Predictive.from_fit(fit, X_new, n_sims=n_sims, rng=rng)
    return Projection(fit, pred, seasonal, trend, problem)
