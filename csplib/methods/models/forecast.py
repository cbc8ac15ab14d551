"""Forecast of the coming months with count-aware prediction intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.methods.models._glm import Predictive, project_counts, terms_text
from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import (
    as_monthly_counts,
    check_bool,
    check_choice,
    check_int,
    check_level,
    count_months,
    format_months,
)

__all__ = ["CountForecast", "ForecastResults"]

FAMILIES = ("auto", "poisson", "negbin")


class CountForecast:
    """Forecast the next ``horizon`` months of a count series, with prediction intervals.

    The trend GLM (Poisson, or negative binomial when overdispersed; month of year + linear
    trend; see :mod:`csplib.methods.models`) is fitted to the last ``history_months`` and
    extrapolated. Prediction intervals come from the predictive distribution: coefficients
    (and the NB dispersion) drawn from their sampling distributions with a fixed seed, each
    draw a Poisson / NB distribution, mixed; interval ends are mid-p quantiles (not whole
    numbers). A linear trend on the log scale is extrapolated as it is: keep ``horizon``
    short (12 months) or set ``trend=False`` when the trend is not expected to continue.

    Fallbacks (stated in ``method`` and ``note``): fewer than 24 months with data (or a
    calendar month never counted) give a constant-rate forecast with no seasonality or trend;
    an all-zero history gives the Poisson-gamma predictive of a rate with a Jeffreys prior.

    Parameters
    ----------
    series : Series
        Monthly counts.
    horizon : int
        Months ahead (12).
    level : float
        Coverage of the prediction intervals (0.95).
    trend : bool
        Extrapolate a linear trend (default True).
    history_months : int, optional
        Use only the last this-many months (default: all).
    family : {"auto", "poisson", "negbin"}
        Count family.
    n_sims : int
        Parameter draws (500).
    random_state : int
        Seed (0).

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> y = pd.Series(np.random.default_rng(1).poisson(25, 48), index=idx)
    >>> res = CountForecast(y, horizon=3).fit()
    >>> res.table.index[0].strftime("%Y-%m"), list(res.table.columns)
    ('2024-01', ['expected', 'median', 'lower', 'upper'])
    """

    def __init__(
        self,
        series,
        horizon: int = 12,
        level: float = 0.95,
        trend: bool = True,
        history_months: int | None = None,
        family: str = "auto",
        n_sims: int = 500,
        random_state: int = 0,
    ):
        self.series = as_monthly_counts(series)
        self.horizon = check_int(horizon, "horizon", 1)
        self.level = check_level(level)
        self.trend = check_bool(trend, "trend")
        if history_months is not None:
            history_months = check_int(history_months, "history_months", 1)
        self.history_months = history_months
        self.family = check_choice(family, "family", FAMILIES)
        self.n_sims = check_int(n_sims, "n_sims", 100)
        self.random_state = check_int(random_state, "random_state", 0)

    def fit(self) -> ForecastResults:
        """Fit and forecast.

        Returns
        -------
        ForecastResults
        """
        y = self.series
        history = y if self.history_months is None else y.iloc[-self.history_months :]
        future = pd.date_range(
            y.index[-1] + pd.DateOffset(months=1),
            periods=self.horizon,
            freq="MS",
            name=y.index.name,
        )
        config = {
            "horizon": self.horizon,
            "level": self.level,
            "trend": self.trend,
            "history": f"{history.index[0]:%Y-%m} to {history.index[-1]:%Y-%m}",
            "family": self.family,
            "n_sims": self.n_sims,
            "random_state": self.random_state,
        }
        notes = []
        gaps = history.index[history.isna()]
        if gaps.size:
            notes.append(f"No data for {format_months(gaps)} (left out).")
        obs = history.dropna()
        rng = np.random.default_rng(self.random_state)
        if obs.empty:
            table = pd.DataFrame(
                np.nan, index=future, columns=["expected", "median", "lower", "upper"]
            )
            return ForecastResults(
                table,
                history,
                config={**config, "family_used": None},
                method="none (no data)",
                note="No forecast: every month is missing.",
            )
        if obs.sum() == 0:
            pred = Predictive.from_rate(future, 0.0, len(obs))
            return ForecastResults(
                pred.frame(self.level),
                history,
                config={**config, "family_used": None},
                method="Poisson rate with a Jeffreys prior (all months are zero)",
                note=join_notes(
                    f"All {count_months(len(obs))} are zero: the forecast comes from a Poisson "
                    "rate with a Jeffreys prior, with no seasonality or trend.",
                    *notes,
                ),
            )
        p = project_counts(
            history, future, trend=self.trend, family=self.family, n_sims=self.n_sims, rng=rng
        )
        if p.problem:
            notes.append(f"No seasonality or trend: {p.problem}; the forecast is a constant rate.")
        return ForecastResults(
            p.pred.frame(self.level),
            history,
            config={**config, "family_used": p.fit.family, "alpha": p.fit.alpha},
            method=f"{p.fit.family_text} GLM: {terms_text(p.seasonal, p.trend)}; mid-p "
            "predictive interval",
            note=join_notes(p.fit.family_reason, *notes, p.fit.note),
        )


class ForecastResults(ModelResults):
    """Results of :class:`CountForecast`.

    Attributes
    ----------
    table : DataFrame
        One row per future month: ``expected`` (predictive mean), ``median``, ``lower``,
        ``upper`` (prediction interval).
    history : Series
        The months the model was fitted to.
    """

    def __init__(self, table, history, *, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.history = history

    @property
    def total(self) -> float:
        """Expected total over the horizon (sum of the monthly means)."""
        return float(self.table["expected"].sum())

    def plot(self, ax=None, title: str | None = None):
        """History and forecast with its prediction band; returns the Axes."""
        from csplib.present.charts.models import plot_series

        return plot_series(
            self.history.rename("observed"),
            expected=self.table,
            ax=ax,
            title=title,
            band_label=f"{self.level_label} prediction interval",
        )

    @property
    def level_label(self) -> str:
        return f"{self.config['level']:.0%}"
