"""Trend estimates and tests for monthly counts: a count GLM and a Mann-Kendall alternative."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from csplib.methods.models._glm import (
    MIN_SEASONAL_MONTHS,
    MONTH_ABBR,
    design,
    fit_counts,
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

__all__ = ["CountTrend", "TrendResults", "MannKendallTrend", "MannKendallResults"]

FAMILIES = ("auto", "poisson", "negbin")
#: Fewest months with data for which a trend is estimated at all.
MIN_TREND_MONTHS = 6


class CountTrend:
    """Annual percentage change in monthly counts from a Poisson / negative binomial GLM.

    The model is ``log E[y_t] = const + beta t + gamma_{month(t)}`` with ``t`` in months, so
    the annual change is ``exp(12 beta) - 1``, with a Wald confidence interval and p-value
    (H0: no trend). Month-of-year effects keep seasonality out of the trend. The family is
    Poisson unless the Pearson chi-squared test of the Poisson fit finds overdispersion
    (one-sided, 5% level), in which case it is negative binomial (NB2) with the Pearson
    moment estimate of ``alpha``; ``family`` on the results says which was used and why.
    Missing months are left out of the fit (not treated as zero).

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
        Count family; ``"auto"`` chooses by the overdispersion test.
    level : float
        Confidence level (0.95).

    Examples
    --------
    >>> idx = pd.date_range("2019-01-01", periods=60, freq="MS")
    >>> rng = np.random.default_rng(7)
    >>> mu = 50 * 0.9 ** (np.arange(60) / 12)          # -10% a year
    >>> res = CountTrend(pd.Series(rng.poisson(mu), index=idx)).fit()
    >>> res.family
    'Poisson'
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
        fit = fit_counts(y, X, origin=origin, family=self.family)
        beta, se = fit.contrast({"time": 1.0})
        z = stats.norm.ppf(0.5 + self.level / 2)
        with np.errstate(over="ignore"):
            change = np.expm1(12 * beta)
            ci = (float(np.expm1(12 * (beta - z * se))), float(np.expm1(12 * (beta + z * se))))
        p_value = float(2 * stats.norm.sf(abs(beta / se))) if se > 0 else np.nan
        fitted = fit.predict_mu(X).rename("fitted")
        # Trend line: the fitted rate with month-of-year effects averaged (geometric mean).
        level_shift = fit.params[list(MONTH_ABBR[1:])].sum() / 12 if seasonal else 0.0
        trend = np.exp(fit.params["const"] + level_shift + fit.params["time"] * X["time"])
        return TrendResults(
            y,
            annual_change=float(change),
            ci=ci,
            p_value=p_value,
            family=fit.family,
            alpha=fit.alpha,
            dispersion=fit.dispersion,
            dispersion_pvalue=fit.dispersion_pvalue,
            trend=trend.rename("trend"),
            fitted=fitted,
            config={**config, "seasonal_used": seasonal, "months_used": int(fit.nobs)},
            method=f"{fit.family_text} GLM: {terms_text(seasonal, True)}",
            note=join_notes(fit.family_reason, *notes, gap_note, fit.note),
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
        Wald test of no trend.
    family : str or None
        ``"Poisson"`` or ``"negative binomial"`` (None when nothing was fitted).
    alpha : float
        NB2 dispersion (0 for Poisson).
    dispersion, dispersion_pvalue : float
        Pearson chi2/df of the Poisson fit and the overdispersion test p-value.
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


class MannKendallTrend:
    """Non-parametric trend test: Mann-Kendall on deseasonalised counts, with Sen's slope.

    The series is deseasonalised by subtracting each calendar month's mean and adding back the
    overall mean (when there are at least 24 months and every calendar month is seen at
    least twice; otherwise it is used as it is and the note says so). Kendall's tau-b between
    time and the deseasonalised values is tested with :func:`scipy.stats.kendalltau`
    (``method="asymptotic"``): the normal approximation with the variance corrected for
    ties in the values (time has no ties). Sen's slope (:func:`scipy.stats.theilslopes`, the
    median of pairwise slopes, with its distribution-free interval) is reported per year and
    as a percentage of the mean monthly count. Missing months are left out.

    Parameters
    ----------
    series : Series
        Monthly counts.
    deseasonalise : bool
        Remove month-of-year means first (default True).
    level : float
        Confidence level of Sen's slope interval (0.95).

    Examples
    --------
    >>> idx = pd.date_range("2019-01-01", periods=48, freq="MS")
    >>> y = pd.Series(np.arange(48) // 4 + 10, index=idx)
    >>> res = MannKendallTrend(y).fit()
    >>> bool(res.tau > 0.8 and res.p_value < 0.001)
    True
    """

    def __init__(self, series, deseasonalise: bool = True, level: float = 0.95):
        self.series = as_monthly_counts(series)
        self.deseasonalise = check_bool(deseasonalise, "deseasonalise")
        self.level = check_level(level)

    def fit(self) -> MannKendallResults:
        """Run the test.

        Returns
        -------
        MannKendallResults
        """
        y = self.series
        config = {"deseasonalise": self.deseasonalise, "level": self.level}
        obs = y.dropna()
        notes = []
        missing = y.index[y.isna()]
        if missing.size:
            notes.append(f"No data for {format_months(missing)} (left out).")
        values = obs
        deseasonalised = False
        if self.deseasonalise:
            seen = obs.groupby(obs.index.month).size().reindex(range(1, 13), fill_value=0)
            if len(obs) < MIN_SEASONAL_MONTHS or (seen < 2).any():
                notes.append(
                    f"Not deseasonalised: {count_months(len(obs))} with data (at least "
                    f"{MIN_SEASONAL_MONTHS}, with every calendar month seen twice, are needed)."
                )
            else:
                month_mean = obs.groupby(obs.index.month).transform("mean")
                values = obs - month_mean + obs.mean()
                deseasonalised = True
        empty = {"tau": np.nan, "p_value": np.nan, "sen_slope": np.nan, "sen_ci": (np.nan,) * 2}
        if len(obs) < MIN_TREND_MONTHS or values.nunique() < 2:
            why = (
                f"only {count_months(len(obs))} with data (at least {MIN_TREND_MONTHS} are needed)"
                if len(obs) < MIN_TREND_MONTHS
                else "every value is the same"
            )
            return MannKendallResults(
                values.rename("deseasonalised").reindex(y.index),
                **empty,
                mean=float(obs.mean()) if len(obs) else np.nan,
                config={**config, "deseasonalised": deseasonalised},
                method="none",
                note=join_notes(f"No test: {why}.", *notes),
            )
        t = (
            (values.index.year - y.index[0].year) * 12 + values.index.month - y.index[0].month
        ).to_numpy(float)
        tau = stats.kendalltau(t, values.to_numpy(), method="asymptotic")
        sen = stats.theilslopes(values.to_numpy(), t, alpha=self.level)
        method = (
            "Mann-Kendall (Kendall tau-b against time, normal approximation with tie "
            f"correction) on {'deseasonalised' if deseasonalised else 'raw'} counts; "
            "Sen's slope"
        )
        return MannKendallResults(
            values.rename("deseasonalised").reindex(y.index),
            tau=float(tau.statistic),
            p_value=float(tau.pvalue),
            sen_slope=12 * float(sen.slope),
            sen_ci=(12 * float(sen.low_slope), 12 * float(sen.high_slope)),
            mean=float(obs.mean()),
            config={**config, "deseasonalised": deseasonalised},
            method=method,
            note=join_notes(*notes),
        )


class MannKendallResults(ModelResults):
    """Results of :class:`MannKendallTrend`.

    Attributes
    ----------
    tau, p_value : float
        Kendall's tau-b against time and its two-sided p-value.
    sen_slope : float
        Sen's slope in counts per year; ``sen_ci`` its interval.
    sen_pct : float
        Sen's slope as a percentage of the mean monthly count, per year.
    deseasonalised : Series
        The values tested.
    """

    def __init__(
        self, deseasonalised, *, tau, p_value, sen_slope, sen_ci, mean, config, method, note=""
    ):
        super().__init__(config=config, method=method, note=note)
        self.deseasonalised = deseasonalised
        self.tau = tau
        self.p_value = p_value
        self.sen_slope = sen_slope
        self.sen_ci = sen_ci
        self.mean = mean

    @property
    def sen_pct(self) -> float:
        if not self.mean:
            return np.nan
        return 100 * self.sen_slope / self.mean
