"""Seasonal decomposition (STL) and month-of-year profiles of monthly counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import STL

from csplib.methods.models._glm import MONTH_ABBR, design, fit_counts, seasonal_problem
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

__all__ = [
    "SeasonalDecomposition",
    "DecompositionResults",
    "SeasonalProfile",
    "ProfileResults",
]

FAMILIES = ("auto", "poisson", "negbin")


class SeasonalDecomposition:
    """Split monthly counts into trend, seasonal and remainder with STL (Cleveland et al. 1990).

    A thin layer over :class:`statsmodels.tsa.seasonal.STL` that handles the cases STL
    cannot: missing months are filled by linear interpolation for the decomposition only
    (their remainder is reported as missing, and the note names them); a series with fewer
    than two full periods of data gets a centred 3-month moving average as its trend and no
    seasonal component; an all-zero series is returned as zeros.

    Parameters
    ----------
    series : Series
        Monthly counts (see :mod:`csplib.methods.models`).
    period : int
        Length of the seasonal cycle in months (12).
    seasonal : int
        STL seasonal smoother length: odd, >= 7 (13 is a common choice for monthly data).
    robust : bool
        Use STL's robust weights, so single unusual months do not distort the trend and
        seasonal components (default True).

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> y = pd.Series(20 + 5 * np.sin(2 * np.pi * idx.month / 12), index=idx).round()
    >>> res = SeasonalDecomposition(y).fit()
    >>> res.method
    'STL (period 12, seasonal window 13, robust)'
    >>> bool((res.trend + res.seasonal + res.resid - res.observed).abs().max() < 1e-9)
    True
    """

    def __init__(self, series, period: int = 12, seasonal: int = 13, robust: bool = True):
        self.series = as_monthly_counts(series)
        self.period = check_int(period, "period", 2)
        if (
            isinstance(seasonal, bool)
            or not isinstance(seasonal, int)
            or seasonal < 7
            or (seasonal % 2 == 0)
        ):
            raise ValueError(f"seasonal must be an odd integer >= 7; got {seasonal!r}")
        self.seasonal = seasonal
        self.robust = check_bool(robust, "robust")

    def fit(self) -> DecompositionResults:
        """Decompose the series.

        Returns
        -------
        DecompositionResults
        """
        y = self.series
        config = {"period": self.period, "seasonal": self.seasonal, "robust": self.robust}
        observed = y.rename("observed")
        obs = y.dropna()
        zeros = pd.Series(0.0, index=y.index)
        missing = y.index[y.isna()]
        notes = []
        if missing.size:
            notes.append(f"No data for {format_months(missing)}.")
        if obs.empty or (obs == 0).all():
            trend = zeros.where(y.notna())
            return DecompositionResults(
                observed,
                trend.rename("trend"),
                zeros.rename("seasonal"),
                trend.rename("resid"),
                config=config,
                method="none (every month is zero or missing)",
                note=join_notes("Nothing to decompose: every month with data is zero.", *notes),
            )
        if len(obs) < 2 * self.period:
            trend = y.rolling(3, center=True, min_periods=1).mean()
            trend = trend.where(y.notna())
            return DecompositionResults(
                observed,
                trend.rename("trend"),
                zeros.rename("seasonal"),
                (y - trend).rename("resid"),
                config=config,
                method="centred 3-month moving average (no seasonal component)",
                note=join_notes(
                    f"Only {count_months(len(obs))} with data: STL needs at least two full periods "
                    f"({2 * self.period} months), so the trend is a centred 3-month moving "
                    "average and no seasonal component is estimated.",
                    *notes,
                ),
            )
        span = y.loc[obs.index[0] : obs.index[-1]]
        filled = span.interpolate(method="linear")
        filled.index.freq = "MS"
        res = STL(filled, period=self.period, seasonal=self.seasonal, robust=self.robust).fit()
        trend = res.trend.reindex(y.index)
        seasonal = res.seasonal.reindex(y.index)
        resid = (y - trend - seasonal).rename("resid")
        if missing.size:
            notes.append("They were interpolated for the decomposition; their remainder is blank.")
        method = (
            f"STL (period {self.period}, seasonal window {self.seasonal}"
            f"{', robust' if self.robust else ''})"
        )
        return DecompositionResults(
            observed,
            trend.rename("trend"),
            seasonal.rename("seasonal"),
            resid,
            config=config,
            method=method,
            note=join_notes(*notes),
        )


class DecompositionResults(ModelResults):
    """Results of :class:`SeasonalDecomposition`.

    Attributes
    ----------
    observed, trend, seasonal, resid : Series
        The components, named, on the input's monthly index (``observed = trend + seasonal
        + resid`` where the month has data).
    """

    def __init__(self, observed, trend, seasonal, resid, *, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.observed = observed
        self.trend = trend
        self.seasonal = seasonal
        self.resid = resid

    @property
    def seasonally_adjusted(self) -> pd.Series:
        """Observed counts minus the seasonal component."""
        return (self.observed - self.seasonal).rename("seasonally_adjusted")

    @property
    def frame(self) -> pd.DataFrame:
        """All components as one DataFrame."""
        return pd.concat([self.observed, self.trend, self.seasonal, self.resid], axis=1)

    def plot(self, ax=None, title: str | None = None):
        """Observed counts with the trend; returns the Axes."""
        from csplib.present.charts.models import plot_series

        return plot_series(self.observed, trend=self.trend, ax=ax, title=title)


class SeasonalProfile:
    """How each month of the year compares with the average month, with uncertainty.

    The profile comes from a count GLM of the series on month of year (and a linear trend,
    so that growth is not mistaken for seasonality): Poisson, or negative binomial when the
    counts are overdispersed (see :mod:`csplib.methods.models`). The index for month *m* is
    ``exp(gamma_m - mean(gamma))``, the month's rate relative to the geometric mean of the
    twelve months, so an index of 1.25 means "25% above a typical month"; its confidence
    interval is the Wald interval of that contrast on the log scale.

    With fewer than 24 months of data (or a calendar month seen fewer than twice, or never
    with a count) the GLM cannot separate season from noise: the profile is then each calendar
    month's mean divided by the overall mean, without an interval, and ``method`` says so.

    Parameters
    ----------
    series : Series
        Monthly counts.
    trend : bool
        Include a linear trend in the model (default True).
    family : {"auto", "poisson", "negbin"}
        Count family; ``"auto"`` chooses by the overdispersion test.
    level : float
        Confidence level of the intervals (0.95).

    Examples
    --------
    >>> idx = pd.date_range("2019-01-01", periods=60, freq="MS")
    >>> rng = np.random.default_rng(3)
    >>> y = pd.Series(rng.poisson(40 * (1 + 0.3 * (idx.month.isin([6, 7, 8])))), index=idx)
    >>> res = SeasonalProfile(y).fit()
    >>> res.table.loc[7, "month"], bool(res.table.loc[7, "index"] > 1.1)
    ('Jul', True)
    """

    def __init__(self, series, trend: bool = True, family: str = "auto", level: float = 0.95):
        self.series = as_monthly_counts(series)
        self.trend = check_bool(trend, "trend")
        self.family = check_choice(family, "family", FAMILIES)
        self.level = check_level(level)

    def fit(self) -> ProfileResults:
        """Estimate the profile.

        Returns
        -------
        ProfileResults
        """
        y = self.series
        config = {"trend": self.trend, "family": self.family, "level": self.level}
        months = pd.Index(range(1, 13), name="month_of_year")
        obs = y.dropna()
        table = pd.DataFrame(
            {"month": list(MONTH_ABBR), "index": np.nan, "lower": np.nan, "upper": np.nan},
            index=months,
        )
        if obs.empty or obs.sum() == 0:
            return ProfileResults(
                table,
                config={**config, "family_used": None},
                method="none (every month is zero or missing)",
                note="No profile: every month with data is zero.",
            )
        problem = seasonal_problem(y)
        if problem:
            by_month = obs.groupby(obs.index.month).mean().reindex(months)
            table["index"] = (by_month / obs.mean()).to_numpy()
            return ProfileResults(
                table,
                config={**config, "family_used": None},
                method="ratio of each calendar month's mean to the overall mean (no interval)",
                note=f"No modelled profile: {problem}.",
            )
        origin = y.index[0]
        X = design(y.index, origin, seasonal=True, trend=self.trend)
        fit = fit_counts(y, X, origin=origin, family=self.family)
        z = stats.norm.ppf(0.5 + self.level / 2)
        names = ["Jan", *MONTH_ABBR[1:]]
        for m, name in enumerate(names, start=1):
            weights = {col: -1.0 / 12 for col in MONTH_ABBR[1:]}
            if m > 1:
                weights[name] += 1.0
            est, se = fit.contrast(weights)
            table.loc[m, ["index", "lower", "upper"]] = np.exp([est, est - z * se, est + z * se])
        method = (
            f"{fit.family_text} GLM: month of year"
            f"{' + linear trend' if self.trend else ''}; index relative to the geometric "
            "mean month"
        )
        return ProfileResults(
            table,
            config={**config, "family_used": fit.family, "alpha": fit.alpha},
            method=method,
            note=join_notes(fit.family_reason, fit.note),
        )


class ProfileResults(ModelResults):
    """Results of :class:`SeasonalProfile`.

    Attributes
    ----------
    table : DataFrame
        Indexed by month of year (1-12): ``month`` (Jan...Dec), ``index`` (1 = a typical
        month), ``lower``, ``upper`` (confidence interval; missing for the fallback method).
    """

    def __init__(self, table, *, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table

    def plot(self, ax=None, title: str | None = None):
        """Index by month of year with its interval; returns the Axes."""
        from csplib.present.charts.models import plot_seasonal_profile

        return plot_seasonal_profile(self.table, ax=ax, title=title)
