"""Expected range for each month from the previous years, with exceedance and run flags."""

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
    check_month,
    count_months,
    format_months,
)

__all__ = ["ExpectedRange", "ExpectedRangeResults", "expected_range_table", "flag_runs"]

FAMILIES = ("auto", "poisson", "negbin")


def flag_runs(condition: pd.Series, length: int) -> pd.Series:
    """Mark every element of a run of at least ``length`` consecutive True values.

    Missing (NA) values break a run.

    Examples
    --------
    >>> flag_runs(pd.Series([True, True, False, True, True, True]), 3).tolist()
    [False, False, False, True, True, True]
    """
    values = condition.fillna(False).astype(bool).to_numpy()
    out = np.zeros(len(values), dtype=bool)
    start = None
    for i, v in enumerate([*values, False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return pd.Series(out, index=condition.index)


class ExpectedRange:
    """The range of counts expected in each assessed month, from the years before it.

    A count GLM (Poisson, or negative binomial when overdispersed: see
    :mod:`csplib.methods.models`) with month-of-year effects and, by default, a linear trend is
    fitted to the ``baseline_months`` before ``start``. For each month from ``start`` on, the
    expected range is the central ``level`` interval of the *predictive* distribution of the
    count: coefficients drawn from their sampling distribution (and, for NB, the dispersion
    from its fiducial distribution), each draw giving a Poisson / NB distribution, mixed.
    Interval ends and tail probabilities use the mid-p convention, so a range covers close
    to ``level`` of new counts (see :mod:`csplib.methods.models._glm`). A month is ``above``
    when its count is above the range, ``below`` when below; ``run_high`` / ``run_low`` mark runs of
    ``run_length`` or more consecutive months above / below the predictive median.

    Fallbacks (stated in ``method`` and ``note``): with fewer than 24 baseline months with
    data, or a calendar month never counted, the model has no seasonality and no trend (a
    constant rate with a Poisson / NB interval); when every baseline month is zero, the rate
    has a Jeffreys prior (``Gamma(1/2, n months)``) and the range is its Poisson-gamma
    predictive interval.

    Parameters
    ----------
    series : Series
        Monthly counts.
    start : str or Timestamp, optional
        First month to assess. Default: the last 12 months of the series.
    baseline_months : int
        How many months before ``start`` to learn from (36). Fewer are used when the series
        is shorter, and the note says so.
    level : float
        Coverage of the expected range (0.95).
    trend : bool
        Include a linear trend in the baseline model (default True).
    family : {"auto", "poisson", "negbin"}
        Count family; ``"auto"`` chooses by the overdispersion test.
    run_length : int
        Consecutive months above (below) the median that make a run (3).
    n_sims : int
        Parameter draws for the predictive distribution (500).
    random_state : int
        Seed for the draws, so results are reproducible (0).

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> y = pd.Series(np.random.default_rng(2).poisson(30, 48), index=idx)
    >>> y.iloc[-1] = 60
    >>> res = ExpectedRange(y, start="2023-01").fit()
    >>> row = res.table.loc["2023-12-01"]
    >>> float(row["observed"]), bool(row["above"]), bool(row["upper"] < 60)
    (60.0, True, True)
    """

    def __init__(
        self,
        series,
        start=None,
        baseline_months: int = 36,
        level: float = 0.95,
        trend: bool = True,
        family: str = "auto",
        run_length: int = 3,
        n_sims: int = 500,
        random_state: int = 0,
    ):
        self.series = as_monthly_counts(series)
        index = self.series.index
        if start is None:
            if len(index) < 2:
                raise ValueError(
                    "series must have at least 2 months: a baseline and a month to assess"
                )
            start = index[max(len(index) - 12, 1)]
        self.start = check_month(start, "start", index)
        if self.start == index[0]:
            raise ValueError(
                "start must leave at least one baseline month before it; "
                f"the series begins in {index[0]:%Y-%m}"
            )
        self.baseline_months = check_int(baseline_months, "baseline_months", 1)
        self.level = check_level(level)
        self.trend = check_bool(trend, "trend")
        self.family = check_choice(family, "family", FAMILIES)
        self.run_length = check_int(run_length, "run_length", 2)
        self.n_sims = check_int(n_sims, "n_sims", 100)
        self.random_state = check_int(random_state, "random_state", 0)

    def fit(self) -> ExpectedRangeResults:
        """Fit the baseline model and compute the ranges and flags.

        Returns
        -------
        ExpectedRangeResults
        """
        y = self.series
        before = y.loc[: self.start - pd.DateOffset(months=1)]
        baseline = before.iloc[-self.baseline_months :]
        assessed = y.loc[self.start :]
        notes = []
        if len(baseline) < self.baseline_months:
            notes.append(
                f"Only {count_months(len(baseline), 'baseline month')} before {self.start:%Y-%m} "
                f"({self.baseline_months} requested)."
            )
        gaps = baseline.index[baseline.isna()]
        if gaps.size:
            notes.append(f"No data for baseline months {format_months(gaps)} (left out).")
        config = {
            "start": f"{self.start:%Y-%m}",
            "baseline": f"{baseline.index[0]:%Y-%m} to {baseline.index[-1]:%Y-%m}",
            "baseline_months": self.baseline_months,
            "level": self.level,
            "trend": self.trend,
            "family": self.family,
            "run_length": self.run_length,
            "n_sims": self.n_sims,
            "random_state": self.random_state,
        }
        rng = np.random.default_rng(self.random_state)
        obs = baseline.dropna()
        if obs.empty:
            table = expected_range_table(assessed, None, self.level, self.run_length)
            return ExpectedRangeResults(
                table,
                baseline,
                config={**config, "family_used": None},
                method="none (no baseline data)",
                note=join_notes("No expected range: every baseline month is missing.", *notes),
            )
        if obs.sum() == 0:
            pred = Predictive.from_rate(assessed.index, 0.0, len(obs))
            return ExpectedRangeResults(
                expected_range_table(assessed, pred, self.level, self.run_length),
                baseline,
                config={**config, "family_used": None},
                method="Poisson rate with a Jeffreys prior (all baseline months are zero)",
                note=join_notes(
                    f"All {count_months(len(obs), 'baseline month')} are zero: the range comes "
                    "from a Poisson rate with a Jeffreys prior, with no seasonality or trend.",
                    *notes,
                ),
            )
        p = project_counts(
            baseline,
            assessed.index,
            trend=self.trend,
            family=self.family,
            n_sims=self.n_sims,
            rng=rng,
        )
        if p.problem:
            notes.append(f"No seasonality or trend: {p.problem}; the range is for a constant rate.")
        return ExpectedRangeResults(
            expected_range_table(assessed, p.pred, self.level, self.run_length),
            baseline,
            config={**config, "family_used": p.fit.family, "alpha": p.fit.alpha},
            method=f"{p.fit.family_text} GLM: {terms_text(p.seasonal, p.trend)}; mid-p "
            "predictive interval",
            note=join_notes(p.fit.family_reason, *notes, p.fit.note),
        )


def expected_range_table(
    assessed: pd.Series, pred: Predictive | None, level: float, run_length: int
) -> pd.DataFrame:
    """The :attr:`ExpectedRangeResults.table` of the ``assessed`` months from a predictive
    distribution (all missing without one)."""
    observed = assessed.rename("observed")
    if pred is None:
        frame = pd.DataFrame(
            np.nan, index=assessed.index, columns=["expected", "median", "lower", "upper"]
        )
        p_high = np.full(len(assessed), np.nan)
    else:
        frame = pred.frame(level)
        p_high = pred.midp_high(assessed.to_numpy())
    table = pd.concat([observed, frame], axis=1)
    table["p_high"] = p_high
    table["p_low"] = 1.0 - p_high
    has = observed.notna() & table["upper"].notna()
    table["above"] = has & (observed > table["upper"])
    table["below"] = has & (observed < table["lower"])
    table["run_high"] = flag_runs(has & (observed > table["median"]), run_length)
    table["run_low"] = flag_runs(has & (observed < table["median"]), run_length)
    table.index.name = assessed.index.name or "month"
    return table


class ExpectedRangeResults(ModelResults):
    """Results of :class:`ExpectedRange`.

    Attributes
    ----------
    table : DataFrame
        One row per assessed month: ``observed``, ``expected`` (predictive mean),
        ``median``, ``lower``, ``upper`` (the expected range), ``p_high`` (mid-p probability
        of a count at least this high) and ``p_low``, and the flags ``above``, ``below``,
        ``run_high``, ``run_low``.
    baseline : Series
        The baseline months used.
    """

    def __init__(self, table, baseline, *, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.baseline = baseline

    @property
    def exceedances(self) -> pd.DataFrame:
        """Rows of ``table`` outside the expected range or in a run."""
        t = self.table
        return t[t["above"] | t["below"] | t["run_high"] | t["run_low"]]

    def plot(self, ax=None, title: str | None = None):
        """Baseline and assessed counts with the expected band; returns the Axes."""
        from csplib.present.charts.models import plot_series

        observed = pd.concat([self.baseline, self.table["observed"]]).rename("observed")
        return plot_series(observed, expected=self.table, ax=ax, title=title)
