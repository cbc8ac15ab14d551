"""Trend estimates and tests for monthly counts: a count GLM and a seasonal Mann-Kendall test.

Both are built to keep their stated size on monthly crime counts, which are overdispersed
(more variable than Poisson) and seasonal:

* :class:`CountTrend` fits ``log E[y_t] = const + beta t + gamma_{month(t)}`` with the
  dispersion always estimated: negative binomial (NB2, Pearson moment ``alpha``) when the
  Poisson fit's Pearson chi2 exceeds its degrees of freedom, quasi-Poisson (standard error
  scaled by chi2 / df) otherwise; the test and interval refer to Student t on the residual
  degrees of freedom (months - terms). There is no pre-test that keeps Poisson when an
  overdispersion test happens to miss.
* :class:`MannKendallTrend` (in :mod:`csplib.methods.models.kendall`, imported here) is
  the **seasonal** Mann-Kendall test (Hirsch & Slack 1984:
  Kendall's S summed over calendar months, so the season never enters), with its variance
  corrected for lag-1 autocorrelation, and the seasonal Sen slope.

:func:`trend_fits` and :func:`kendall_tests` are the engines, vectorised over many series that
share the same months; the classes add the checks, fallbacks and words. The sizes and
coverages measured by simulation are stated in each class's docstring
(``benchmarks/trend_size.py`` reproduces them; ``tests/methods/models/test_trend_size.py``
checks a smaller version).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from csplib.methods.models._glm import (
    MONTH_ABBR,
    NEGBIN,
    POISSON,
    design,
    seasonal_problem,
    terms_text,
)
from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import (
    as_monthly_counts,
    check_bool,
    check_choice,
    check_level,
    count_months,
    format_months,
)
from csplib.methods.models.kendall import (
    KendallTests,
    MannKendallResults,
    MannKendallTrend,
    kendall_tests,
)

__all__ = [
    "CountTrend",
    "TrendResults",
    "MannKendallTrend",
    "MannKendallResults",
    "TrendFits",
    "trend_fits",
    "KendallTests",
    "kendall_tests",
]

FAMILIES = ("auto", "poisson", "negbin")
QUASI = "quasi-Poisson"
#: Quasi-Poisson's scale is never below this quantile of chi2(df) / df, its distribution
#: for Poisson counts (a floor only counts far less variable than Poisson ever reach).
PHI_FLOOR_QUANTILE = 0.001
#: Fewest months with data for which a trend is estimated at all.
MIN_TREND_MONTHS = 6


class CountTrend:
    """Annual percentage change in monthly counts from an NB2 / quasi-Poisson GLM, with a t test.

    The model is ``log E[y_t] = const + beta t + gamma_{month(t)}`` with ``t`` in months, so the
    annual change is ``exp(12 beta) - 1``; month-of-year effects keep seasonality out of the
    trend. The dispersion is always estimated, never fixed by a pre-test (``family="auto"``):
    where the Pearson chi2 of the Poisson fit exceeds its degrees of freedom, the model is
    negative binomial (NB2, variance ``mu + alpha mu^2``) with ``alpha`` the Pearson moment
    estimate (iterated with the fit); where it does not, it is quasi-Poisson (Poisson
    coefficients, standard error scaled by ``sqrt(phi)``, ``phi = chi2 / df < 1``, floored at
    the 0.1% point of ``chi2(df) / df`` so that a constant series is no "significant" trend).
    The interval and the two-sided p-value (H0: no trend) refer ``beta / se`` to Student t on
    ``df = months - terms`` (47 for 60 months with seasonality), which allows for the dispersion
    being estimated. ``family="negbin"`` is the same with Poisson (``phi = 1``) where the counts
    are not overdispersed; ``family="poisson"`` fixes ``phi = 1`` with the normal reference.
    Missing months are left out of the fit (not treated as zero). :func:`trend_fits` is the
    engine.

    Why this choice. On simulated seasonal monthly counts with no trend (36, 48 or 60
    months; means 3, 5, 30 and 300 a month; NB2 ``alpha`` 0.02, 0.05, 0.1, and Poisson),
    the previous rule (Poisson unless the Pearson test finds overdispersion at 5%, normal
    reference) rejected 7-8% at the 5% level. This rule, measured by
    ``benchmarks/trend_size.py`` (4,000 series in each of 48 cells, SE 0.34 points a cell):

    ==================================  =========  =========  =========  =========
    mean a month                        3          5          30         300
    ==================================  =========  =========  =========  =========
    size, % (12 cells each)             4.1-5.8    4.3-5.4    4.5-5.8    4.7-6.2
    95% interval covers -10%/yr, %      94.9-95.8  94.2-96.3  94.4-95.4  94.4-95.2
    ==================================  =========  =========  =========  =========

    Pooled size 5.0%, coverage 95.0%. Quasi-Poisson throughout is a little liberal at high
    counts (5.5%: its variance ``phi mu`` misses the ``alpha mu^2`` term); flooring ``phi``
    at 1 is conservative on Poisson counts (3-4%); NB2 with a normal reference rejects up to
    7% at high counts. With a true fall of 15% a year at 30 a month (``alpha`` 0.05) the
    test finds it in about 70% of 36-month series and 98% of 48-month ones. Serial
    correlation is not modelled: an AR(1) correlation of 0.2 in the monthly rates gives
    7-12% at means of 30 or more (5-7% at 3-5); the seasonal Mann-Kendall test
    (:class:`MannKendallTrend`) corrects for it.

    Fallbacks (never an exception): with fewer than 24 months of data, or a calendar month
    seen fewer than twice or never with a count, the model has no month-of-year effects and
    the note warns that the trend may partly reflect the season; with fewer than 6 months or
    all zeros, no trend is estimated (the results hold NaN and say why).

    Parameters
    ----------
    series : Series
        Monthly counts.
    seasonal : bool
        Include month-of-year effects when the data allow (default True).
    family : {"auto", "poisson", "negbin"}
        How the dispersion is handled (see above).
    level : float
        Confidence level (0.95).

    Examples
    --------
    >>> idx = pd.date_range("2019-01-01", periods=60, freq="MS")
    >>> rng = np.random.default_rng(7)
    >>> mu = 50 * 0.9 ** (np.arange(60) / 12)          # -10% a year
    >>> res = CountTrend(pd.Series(rng.poisson(mu), index=idx)).fit()
    >>> res.family
    'quasi-Poisson'
    >>> bool(res.ci[0] < -0.10 < res.ci[1])
    True
    """

    def __init__(self, series, seasonal: bool = True, family: str = "auto", level: float = 0.95):
        self.series = as_monthly_counts(series)
        self.seasonal = check_bool(seasonal, "seasonal")
        self.family = check_choice(family, "family", FAMILIES)
        self.level = check_level(level)

    def fit(self) -> TrendResults:
        """Fit the trend model.

        Returns
        -------
        TrendResults
        """
        y = self.series
        config = {"seasonal": self.seasonal, "family": self.family, "level": self.level}
        obs = y.dropna()
        missing = y.index[y.isna()]
        gap_note = f"No data for {format_months(missing)} (left out)." if missing.size else ""
        nan_result = {
            "annual_change": np.nan,
            "ci": (np.nan, np.nan),
            "p_value": np.nan,
            "family": None,
            "alpha": np.nan,
            "dispersion": np.nan,
            "dispersion_pvalue": np.nan,
            "trend": pd.Series(np.nan, index=y.index, name="trend"),
            "fitted": pd.Series(np.nan, index=y.index, name="fitted"),
        }
        if obs.empty or obs.sum() == 0:
            upper = -np.log(1 - self.level) / max(len(obs), 1)
            return TrendResults(
                y,
                **nan_result,
                config={**config, "seasonal_used": False},
                method="none (every month is zero or missing)",
                note=join_notes(
                    f"No trend can be estimated: all {count_months(len(obs))} with data are zero "
                    f"(the {self.level:.0%} upper bound of the monthly rate is {upper:.2g}).",
                    gap_note,
                ),
            )
        if len(obs) < MIN_TREND_MONTHS:
            return TrendResults(
                y,
                **nan_result,
                config={**config, "seasonal_used": False},
                method="none (too few months)",
                note=join_notes(
                    f"No trend estimated: only {count_months(len(obs))} with data "
                    f"(at least {MIN_TREND_MONTHS} are needed).",
                    gap_note,
                ),
            )
        notes = []
        seasonal = self.seasonal
        if seasonal:
            problem = seasonal_problem(y)
            if problem:
                seasonal = False
                notes.append(
                    f"No month-of-year effects: {problem}; the trend may partly reflect the season."
                )
        origin = y.index[0]
        X = design(y.index, origin, seasonal=seasonal, trend=True)
        fits = trend_fits(obs.to_numpy(float), X.loc[obs.index], family=self.family)
        beta, se, df = float(fits.beta[0]), float(fits.se[0]), fits.df
        family, alpha = str(fits.family[0]), float(fits.alpha[0])
        if self.family == "negbin" and family == POISSON:
            notes.append(
                "A negative binomial model was requested but the counts show no "
                "overdispersion (Pearson chi2/df <= 1), so Poisson was used."
            )
        q = fits.critical(self.level)
        with np.errstate(over="ignore"):
            change = np.expm1(12 * beta)
            ci = (float(np.expm1(12 * (beta - q * se))), float(np.expm1(12 * (beta + q * se))))
        fitted = pd.Series(np.nan, index=y.index, name="fitted")
        fitted[obs.index] = fits.mu[0]
        params = pd.Series(fits.params[0], index=X.columns)
        # Trend line: the fitted rate with month-of-year effects averaged (geometric mean).
        level_shift = params[list(MONTH_ABBR[1:])].sum() / 12 if seasonal else 0.0
        trend = np.exp(params["const"] + level_shift + params["time"] * X["time"])
        phi, phi_p = float(fits.dispersion[0]), float(fits.dispersion_pvalue[0])
        ref = f"t on {df} df" if fits.reference == "t" else "normal reference"
        text = {
            QUASI: f"quasi-Poisson (dispersion {phi:.2f}, {ref})",
            POISSON: f"Poisson ({ref})",
            NEGBIN: f"negative binomial (NB2, alpha = {alpha:.3g}, {ref})",
        }[family]
        reason = (
            f"Pearson chi2/df of the Poisson fit = {phi:.2f} (overdispersion test "
            f"p = {phi_p:.3g})"
            + ("; below 1, used to scale the standard error." if family == QUASI else ".")
            if np.isfinite(phi_p)
            else ""
        )
        p_value = float(fits.p_values()[0])
        fit_note = ""
        if np.any(fits.mu[0] < 1e-6) or not fits.converged[0]:
            # a run of months with no counts at one end: the likelihood has no maximum (the
            # slope runs off to +-infinity), so no estimate or test is meaningful
            change, ci, p_value = np.nan, (np.nan, np.nan), np.nan
            fit_note = (
                "No trend estimated: the counts are all zero over a run of months at one end "
                "(or the fit did not converge), so the slope has no finite estimate."
            )
        return TrendResults(
            y,
            annual_change=float(change),
            ci=ci,
            p_value=p_value,
            family=family,
            alpha=alpha,
            dispersion=phi,
            dispersion_pvalue=phi_p,
            trend=trend.rename("trend"),
            fitted=fitted,
            config={
                **config,
                "seasonal_used": seasonal,
                "months_used": len(obs),
                "df": df,
                "reference": fits.reference,
            },
            method=f"{text} GLM: {terms_text(seasonal, True)}",
            note=join_notes(reason, *notes, gap_note, fit_note),
        )


class TrendResults(ModelResults):
    """Results of :class:`CountTrend`.

    Attributes
    ----------
    annual_change : float
        Estimated change per year as a fraction (``-0.1`` = 10% fall a year).
    ci : tuple of float
        Its confidence interval.
    p_value : float
        Test of no trend (t on the residual degrees of freedom when the dispersion is
        estimated).
    family : str or None
        ``"quasi-Poisson"``, ``"Poisson"`` or ``"negative binomial"`` (None when nothing was
        fitted).
    alpha : float
        NB2 dispersion (0 for Poisson, NaN for quasi-Poisson).
    dispersion, dispersion_pvalue : float
        Pearson chi2/df of the Poisson fit (quasi-Poisson's ``phi``) and the overdispersion
        test p-value.
    observed, trend, fitted : Series
        The data, the deseasonalised trend line and the fitted values (with seasonality).
    """

    def __init__(
        self,
        observed,
        *,
        annual_change,
        ci,
        p_value,
        family,
        alpha,
        dispersion,
        dispersion_pvalue,
        trend,
        fitted,
        config,
        method,
        note="",
    ):
        super().__init__(config=config, method=method, note=note)
        self.observed = observed
        self.annual_change = annual_change
        self.ci = ci
        self.p_value = p_value
        self.family = family
        self.alpha = alpha
        self.dispersion = dispersion
        self.dispersion_pvalue = dispersion_pvalue
        self.trend = trend
        self.fitted = fitted

    def row(self) -> dict:
        """The trend as one row of a table, in the one shape every chapter uses:
        ``annual_change_pct``, ``lower_pct``, ``upper_pct`` (the 95% interval, % a year),
        ``p_value``, ``family``, ``method`` and ``note``."""
        return {
            "annual_change_pct": 100 * self.annual_change,
            "lower_pct": 100 * self.ci[0],
            "upper_pct": 100 * self.ci[1],
            "p_value": self.p_value,
            "family": self.family,
            "method": self.method,
            "note": self.note,
        }

    @property
    def table(self) -> pd.DataFrame:
        """One-row summary: :meth:`row` without the note."""
        row = self.row()
        del row["note"]
        return pd.DataFrame({k: [v] for k, v in row.items()})

    def plot(self, ax=None, title: str | None = None):
        """Observed counts with the trend line; returns the Axes."""
        from csplib.present.charts.models import plot_series

        return plot_series(self.observed, trend=self.trend, ax=ax, title=title)


@dataclass(frozen=True)
class TrendFits:
    """The linear-trend coefficient of count GLMs fitted to many series at once.

    Attributes
    ----------
    family : ndarray of str
        Per series: ``"negative binomial"`` (NB2), ``"quasi-Poisson"`` or ``"Poisson"``.
    params : ndarray, shape (series, terms)
        Coefficients (log scale) in the order of the design's columns.
    beta, se : ndarray, shape (series,)
        The coefficient of the ``time`` column (per month) and its standard error.
    df : int
        Residual degrees of freedom (months - terms).
    reference : str
        ``"t"`` (the dispersion was estimated: Student t on ``df``) or ``"normal"``.
    dispersion, dispersion_pvalue : ndarray
        Pearson chi2 / df of the Poisson fit and the one-sided p-value of the Pearson
        overdispersion test.
    alpha : ndarray
        NB2 dispersion (0 for Poisson and quasi-Poisson).
    mu : ndarray, shape (series, months)
        Fitted means.
    converged : ndarray of bool
        Whether the fitting iterations converged.
    """

    family: np.ndarray
    params: np.ndarray
    beta: np.ndarray
    se: np.ndarray
    df: int
    reference: str
    dispersion: np.ndarray
    dispersion_pvalue: np.ndarray
    alpha: np.ndarray
    mu: np.ndarray
    converged: np.ndarray

    def critical(self, level: float) -> float:
        """Two-sided critical value of the reference distribution at ``level``."""
        q = 0.5 + level / 2
        return float(stats.t.ppf(q, self.df) if self.reference == "t" else stats.norm.ppf(q))

    def p_values(self) -> np.ndarray:
        """Two-sided p-values of no trend (NaN where the standard error is not positive)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.abs(self.beta / self.se)
        sf = stats.t.sf(stat, self.df) if self.reference == "t" else stats.norm.sf(stat)
        return np.where(self.se > 0, 2 * sf, np.nan)


def _irls(y, X, moments: float | None = None, max_iter: int = 200, tol: float = 1e-10):
    """Batched IRLS of log-link GLMs. Poisson when ``moments`` is None; otherwise NB2 with
    ``alpha`` re-estimated at every step so that the Pearson statistic equals ``moments`` (the
    residual df), floored at 0. Returns params, (X'WX)^-1, mu, alpha and convergence flags."""
    mu = np.maximum((y + y.mean(axis=1, keepdims=True)) / 2, 0.1)
    eta, alpha = np.log(mu), np.zeros(len(y))
    b, done = np.zeros((len(y), X.shape[1])), np.zeros(len(y), dtype=bool)
    for _ in range(max_iter):
        before = alpha
        if moments is not None:
            alpha = _moment_alpha(y, mu, moments, alpha)
        w = mu / (1.0 + alpha[:, None] * mu)
        z = eta + (y - mu) / mu
        A = (X.T[None] * w[:, None, :]) @ X
        rhs = (w * z) @ X
        try:
            b = np.linalg.solve(A, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:
            b = (np.linalg.pinv(A) @ rhs[..., None])[..., 0]
        new = np.clip(b @ X.T, -30.0, 30.0)
        done = (np.max(np.abs(new - eta), axis=1) < tol * (1.0 + np.max(np.abs(eta), axis=1))) & (
            np.abs(alpha - before) <= 1e-9 + 1e-7 * alpha
        )
        eta, mu = new, np.exp(new)
        if done.all():
            break
    w = mu / (1.0 + alpha[:, None] * mu)
    A = (X.T[None] * w[:, None, :]) @ X
    return b, np.linalg.pinv(A, hermitian=True), mu, alpha, done


def _pearson(y, mu, alpha):
    return np.sum((y - mu) ** 2 / (mu * (1.0 + alpha[:, None] * mu)), axis=1)


def _moment_alpha(y, mu, df, start):
    """NB2 alpha making the Pearson statistic equal ``df`` (0 where it is already below).

    Newton steps from ``start``: the Pearson statistic is convex and decreasing in alpha, so
    the steps approach the root from below after at most one step.
    """
    r2 = (y - mu) ** 2
    a = start.copy()
    for _ in range(30):
        d = 1.0 + a[:, None] * mu
        f = np.sum(r2 / (mu * d), axis=1) - df
        slope = -np.sum(r2 / d**2, axis=1)
        step = np.where(slope < 0, f / np.where(slope < 0, slope, -1.0), 0.0)
        a = np.maximum(a - step, 0.0)
        if np.all(np.abs(step) <= 1e-12 + 1e-10 * a):
            break
    return np.where(_pearson(y, mu, np.zeros(len(y))) <= df, 0.0, a)


def trend_fits(counts, X: pd.DataFrame, *, family: str = "auto") -> TrendFits:
    """Fit the count GLM of :class:`CountTrend` to many series sharing one design.

    The engine behind :class:`CountTrend`, vectorised so that simulation studies (and many
    series over the same months) run in one pass. ``"auto"``: where the Pearson statistic of
    the Poisson fit exceeds its degrees of freedom, NB2 with ``alpha`` the Pearson moment
    estimate (iterated with the fit, so the NB2 Pearson statistic equals ``df``);
    elsewhere quasi-Poisson (Poisson coefficients, covariance scaled by ``phi`` = Pearson
    chi2 / df < 1); Student t on ``df`` = months - terms. ``"negbin"`` is the same but keeps
    ``phi = 1`` where the counts are not overdispersed. ``"poisson"`` fixes ``phi = 1`` and
    uses the normal reference.

    Parameters
    ----------
    counts : array-like, shape (series, months) or (months,)
        Counts, no missing values (leave missing months out of ``counts`` and ``X``).
    X : DataFrame
        Design (:func:`csplib.methods.models._glm.design`) with a ``time`` column.
    family : {"auto", "poisson", "negbin"}

    Returns
    -------
    TrendFits

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=36, freq="MS")
    >>> X = design(idx, idx[0], seasonal=True, trend=True)
    >>> mu = 20 * 0.9 ** (np.arange(36) / 12)
    >>> y = np.random.default_rng(1).negative_binomial(10, 10 / (10 + mu), size=(2, 36))
    >>> fits = trend_fits(y, X)
    >>> fits.family.tolist(), fits.df, fits.reference
    (['negative binomial', 'negative binomial'], 23, 't')
    """
    y = np.atleast_2d(np.asarray(counts, dtype=float))
    Xv = X.to_numpy(float)
    if y.shape[1] != len(Xv) or np.isnan(y).any():
        raise ValueError("counts must have one column per design row and no missing values")
    family = check_choice(family, "family", FAMILIES)
    r, (n, p) = len(y), Xv.shape
    df = n - p
    ti = list(X.columns).index("time")
    b, cov, mu, alpha, ok = _irls(y, Xv)
    chi2 = _pearson(y, mu, np.zeros(r))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = chi2 / df if df > 0 else np.full(r, np.nan)
    pvalue = stats.chi2.sf(chi2, df) if df > 0 else np.full(r, np.nan)
    name = np.full(r, POISSON, dtype=object)
    scale = np.ones(r)
    if family != "poisson" and df > 0:
        over = chi2 > df
        if over.any():
            nb = _irls(y[over], Xv, moments=df)
            for whole, part in zip((b, cov, mu, alpha, ok), nb, strict=True):
                whole[over] = part
            name[over] = NEGBIN
        if family == "auto":
            # counts less variable than the lowest 0.1% of Poisson counts' chi2 are not
            # sampling noise (a constant or near-exactly fitted series): the scale is kept
            # at that floor, so a perfect fit cannot make a zero slope "significant"
            floor = stats.chi2.ppf(PHI_FLOOR_QUANTILE, df) / df
            scale = np.where(over, 1.0, np.maximum(phi, floor))
            name[~over] = QUASI
    se = np.sqrt(np.maximum(cov[:, ti, ti] * scale, 0.0))
    ref = "normal" if family == "poisson" or df <= 0 else "t"
    return TrendFits(name, b, b[:, ti], se, df, ref, phi, pvalue, alpha, mu, ok)
