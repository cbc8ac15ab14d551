"""Interrupted time series: level and slope change in monthly counts at a given month."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from csplib.methods.models._glm import design, fit_counts, seasonal_problem
from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import (
    as_monthly_counts,
    check_bool,
    check_choice,
    check_int,
    check_level,
    check_month,
    format_months,
)

__all__ = ["InterruptedTimeSeries", "ITSResults"]

FAMILIES = ("auto", "poisson", "negbin")


class InterruptedTimeSeries:
    """Segmented count regression: did the level or the trend change at a given month?

    The model (Poisson, or negative binomial when overdispersed: see
    :mod:`csplib.methods.models`) is

    ``log E[y_t] = const + beta t + gamma_{month(t)} + delta * step_t + kappa * ramp_t``

    with ``t`` in months, ``step_t = 1`` from the intervention month on and ``ramp_t`` the
    months since the intervention (0 before and in the intervention month). So:

    * **level change**: ``exp(delta)``, the rate ratio at the intervention month against the
      pre-intervention trend projected forward (``-0.3`` = 30% drop);
    * **slope change**: ``exp(12 kappa)``, the ratio of the annual rates of change after and
      before (reported as the change in annual % change points and as a ratio);
    * **pre-** and **post-intervention trends** as annual % changes.

    All with Wald confidence intervals and p-values. Month-of-year effects are dropped (with a
    note) when there are fewer than 24 months with data or a calendar month is never counted;
    missing months are left out of the fit.

    Parameters
    ----------
    series : Series
        Monthly counts.
    intervention : str or Timestamp
        First month of the new regime (e.g. ``"2020-04"`` for the first lockdown).
    slope_change : bool
        Estimate a change in slope as well as in level (default True).
    seasonal : bool
        Include month-of-year effects when the data allow (default True).
    family : {"auto", "poisson", "negbin"}
        Count family.
    level : float
        Confidence level (0.95).
    min_months : int
        Months with data needed on each side of the intervention (3).

    Examples
    --------
    >>> idx = pd.date_range("2018-01-01", periods=60, freq="MS")
    >>> mu = np.where(idx >= "2020-04-01", 30 * 0.6, 30)
    >>> y = pd.Series(np.random.default_rng(4).poisson(mu), index=idx)
    >>> res = InterruptedTimeSeries(y, "2020-04", slope_change=False).fit()
    >>> lo, hi = res.rate_ratios.loc["level change", ["lower", "upper"]]
    >>> bool(lo < 0.6 < hi)
    True
    """

    def __init__(
        self,
        series,
        intervention,
        slope_change: bool = True,
        seasonal: bool = True,
        family: str = "auto",
        level: float = 0.95,
        min_months: int = 3,
    ):
        self.series = as_monthly_counts(series)
        self.intervention = check_month(intervention, "intervention", self.series.index)
        self.slope_change = check_bool(slope_change, "slope_change")
        self.seasonal = check_bool(seasonal, "seasonal")
        self.family = check_choice(family, "family", FAMILIES)
        self.level = check_level(level)
        self.min_months = check_int(min_months, "min_months", 2)
        y = self.series
        pre = int(y.loc[: self.intervention - pd.DateOffset(months=1)].notna().sum())
        post = int(y.loc[self.intervention :].notna().sum())
        if pre < self.min_months or post < self.min_months:
            raise ValueError(
                f"intervention must leave at least min_months ({self.min_months}) months with "
                f"data on each side; {self.intervention:%Y-%m} leaves {pre} before and "
                f"{post} from it"
            )

    def fit(self) -> ITSResults:
        """Fit the segmented model.

        Returns
        -------
        ITSResults
        """
        y = self.series
        config = {
            "intervention": f"{self.intervention:%Y-%m}",
            "slope_change": self.slope_change,
            "seasonal": self.seasonal,
            "family": self.family,
            "level": self.level,
        }
        rows = ["level change", "slope change", "trend before", "trend after"]
        empty = pd.DataFrame(
            np.nan,
            index=pd.Index(rows, name="effect"),
            columns=["estimate", "lower", "upper", "p_value"],
        )
        notes = []
        missing = y.index[y.isna()]
        if missing.size:
            notes.append(f"No data for {format_months(missing)} (left out).")
        pre = y.loc[: self.intervention - pd.DateOffset(months=1)]
        if y.sum() == 0 or pre.sum() == 0:
            nan_series = pd.Series(np.nan, index=y.index)
            return ITSResults(
                empty,
                y,
                nan_series.rename("fitted"),
                nan_series.rename("counterfactual"),
                self.intervention,
                config={**config, "seasonal_used": False, "family_used": None},
                method="none (no counts before the intervention)",
                note=join_notes(
                    "No model: every month before the intervention is zero, so no rate "
                    "ratio can be estimated.",
                    *notes,
                ),
            )
        seasonal = self.seasonal
        if seasonal:
            problem = seasonal_problem(y)
            if problem:
                seasonal = False
                notes.append(f"No month-of-year effects: {problem}.")
        origin = y.index[0]
        after = (y.index >= self.intervention).astype(float)
        since = np.maximum(
            (y.index.year - self.intervention.year) * 12
            + (y.index.month - self.intervention.month),
            0,
        ).to_numpy(float)
        extra = {"step": after}
        if self.slope_change:
            extra["ramp"] = since
        X = design(y.index, origin, seasonal=seasonal, trend=True, extra=extra)
        fit = fit_counts(y, X, origin=origin, family=self.family)
        z = stats.norm.ppf(0.5 + self.level / 2)

        def row(weights, scale=1.0):
            est, se = fit.contrast(weights)
            p = 2 * stats.norm.sf(abs(est / se)) if se > 0 else np.nan
            lo, hi = est - z * se, est + z * se
            with np.errstate(over="ignore"):
                return [np.expm1(scale * est), np.expm1(scale * lo), np.expm1(scale * hi), p]

        table = empty.copy()
        table.loc["level change"] = row({"step": 1.0})
        table.loc["trend before"] = row({"time": 1.0}, 12)
        if self.slope_change:
            table.loc["slope change"] = row({"ramp": 1.0}, 12)
            table.loc["trend after"] = row({"time": 1.0, "ramp": 1.0}, 12)
        else:
            table = table.drop(["slope change", "trend after"])
        fitted = fit.predict_mu(X).rename("fitted")
        X_cf = X.copy()
        X_cf["step"] = 0.0
        if self.slope_change:
            X_cf["ramp"] = 0.0
        counterfactual = fit.predict_mu(X_cf).where(y.index >= self.intervention)
        terms = "month of year + linear trend" if seasonal else "linear trend (no seasonality)"
        changes = "level and slope change" if self.slope_change else "level change"
        return ITSResults(
            table,
            y,
            fitted,
            counterfactual.rename("counterfactual"),
            self.intervention,
            config={
                **config,
                "seasonal_used": seasonal,
                "family_used": fit.family,
                "alpha": fit.alpha,
            },
            method=f"segmented {fit.family_text} GLM: {terms} + {changes} at "
            f"{self.intervention:%Y-%m}",
            note=join_notes(fit.family_reason, *notes, fit.note),
        )


class ITSResults(ModelResults):
    """Results of :class:`InterruptedTimeSeries`.

    Attributes
    ----------
    table : DataFrame
        Rows ``level change``, ``slope change``, ``trend before``, ``trend after`` (the last
        two annual); columns ``estimate``, ``lower``, ``upper`` as proportional changes
        (``-0.3`` = 30% lower; for ``slope change`` the ratio of annual rates of change
        minus 1) and ``p_value``. Add 1 for rate ratios (:attr:`rate_ratios`).
    observed, fitted, counterfactual : Series
        The data, the fitted values and, from the intervention on, the fitted values with the
        pre-intervention level and trend continued.
    """

    def __init__(
        self, table, observed, fitted, counterfactual, intervention, *, config, method, note=""
    ):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.observed = observed
        self.fitted = fitted
        self.counterfactual = counterfactual
        self.intervention = intervention

    @property
    def rate_ratios(self) -> pd.DataFrame:
        """The table as rate ratios (estimate and interval plus 1)."""
        out = self.table.copy()
        out[["estimate", "lower", "upper"]] += 1.0
        return out

    def plot(self, ax=None, title: str | None = None):
        """Observed counts, fitted values and the counterfactual; returns the Axes."""
        from csplib.present.charts.models import plot_its

        return plot_its(
            self.observed,
            self.fitted,
            self.counterfactual,
            self.intervention,
            ax=ax,
            title=title,
        )
