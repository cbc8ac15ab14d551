"""Emerging-trend screen: which of many series changed recently, with FDR control."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.stats.multitest import multipletests

from csplib.models._glm import MONTH_ABBR, design, seasonal_problem
from csplib.models._results import ModelResults, join_notes
from csplib.models._series import (
    as_monthly_frame,
    check_choice,
    check_int,
    check_level,
    count_months,
    format_months,
)

__all__ = ["EmergingTrendScreen", "ScreenResults"]


class EmergingTrendScreen:
    """Rank many monthly series by the evidence that their recent months changed.

    For each series (a column of the wide ``counts`` frame, e.g. category x ward), the last
    ``recent_months`` are compared with the ``baseline_months`` before them, allowing for
    seasonality:

    1. **Seasonal index.** ``s_m`` for month of year *m* (mean 1) is estimated from the pooled
       baseline counts of all series, or of each group of series sharing ``pool_by`` key
       values (e.g. one index per category), by one Poisson GLM of the monthly totals on month
       of year and a linear trend (an offset allows for series missing in some months).
       Per-series indices are not estimated: at ward or LSOA level they are mostly noise.
    2. **Expected count.** With ``B`` the baseline total, ``W_B`` and ``W_R`` the sums of
       ``s_m`` over the baseline and recent months with data, the recent count expected if
       nothing changed is ``E = B W_R / W_B``; the rate ratio is ``RR = O / E``.
    3. **Test.** Given the total ``N = O + B``, under no change ``O ~ Binomial(N, pi0)`` with
       ``pi0 = W_R / (W_R + W_B)``: the exact conditional test for two Poisson rates.
       Overdispersion (``dispersion="pooled"``, the default) is allowed for with a negative
       binomial (NB2) variance ``mu + alpha mu^2`` whose ``alpha`` is a moment estimate pooled
       over all series (or each ``pool_by`` group) from the baseline Pearson residuals; each
       series' counts are divided by its variance inflation ``phi = 1 + alpha * mean`` before
       the binomial tail is taken (the incomplete beta function extends it to fractional
       counts). With ``phi = 1`` this is exactly the binomial test. The interval for ``RR`` is
       the Clopper-Pearson interval for ``pi`` on the same scaled counts, transformed.
    4. **Multiple testing.** p-values are adjusted with Benjamini-Hochberg
       (:func:`statsmodels.stats.multitest.multipletests`, ``"fdr_bh"``); a series is
       ``flagged`` when its q-value is below ``fdr``. Ranks order series by p-value, then by
       the size of the change.

    Everything is vectorised across series; only the seasonal indices need a GLM (one per
    group).

    Parameters
    ----------
    counts : DataFrame
        Wide frame: one row per month (month-start ``DatetimeIndex``), one column per series.
        Build it from a long table with :func:`csplib.models.long_to_wide`.
    recent_months : int
        Months at the end compared with the baseline (6).
    baseline_months : int
        Months before the recent window used as the baseline (36). Fewer are used, with a
        note, when the frame is shorter.
    seasonality : {"pooled", "none"} or Series
        How to allow for the season: a pooled index (default), none, or a given index of 12
        values indexed 1-12 (month of year).
    pool_by : str or list of str, optional
        Column level name(s) whose values define groups that get their own seasonal index
        and dispersion (e.g. ``"category"``). Default: pool all series.
    dispersion : {"pooled", "none"}
        Allow for overdispersion with a pooled NB2 alpha (default), or assume Poisson.
    direction : {"both", "increase", "decrease"}
        Test for change either way (two-sided; default) or one way.
    fdr : float
        False discovery rate for flagging (0.05).
    level : float
        Confidence level of the rate-ratio interval (0.95).

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
    >>> rng = np.random.default_rng(0)
    >>> counts = pd.DataFrame(rng.poisson(20, (48, 30)), index=idx).add_prefix("ward_")
    >>> counts.iloc[-6:, 0] = rng.poisson(40, 6)          # ward_0 doubles
    >>> res = EmergingTrendScreen(counts).fit()
    >>> res.table.index[0], bool(res.table["flagged"].iloc[0]), int(res.table["flagged"].sum())
    ('ward_0', True, 1)
    """

    def __init__(
        self,
        counts,
        recent_months: int = 6,
        baseline_months: int = 36,
        seasonality="pooled",
        pool_by=None,
        dispersion: str = "pooled",
        direction: str = "both",
        fdr: float = 0.05,
        level: float = 0.95,
    ):
        self.counts = as_monthly_frame(counts)
        self.recent_months = check_int(recent_months, "recent_months", 1)
        self.baseline_months = check_int(baseline_months, "baseline_months", 1)
        if len(self.counts) <= self.recent_months:
            raise ValueError(
                f"counts must cover more than recent_months ({self.recent_months}) months so "
                f"that a baseline remains; it covers {len(self.counts)}"
            )
        if isinstance(seasonality, str):
            check_choice(seasonality, "seasonality", ("pooled", "none"))
        else:
            index = (
                pd.Series(seasonality, dtype=float)
                if not isinstance(seasonality, pd.Series)
                else seasonality.astype(float)
            )
            if len(index) == 12 and not isinstance(seasonality, pd.Series):
                index.index = range(1, 13)
            if sorted(index.index.tolist()) != list(range(1, 13)) or not (index > 0).all():
                raise ValueError(
                    "seasonality must be 'pooled', 'none' or 12 positive values indexed by "
                    "month of year 1-12"
                )
            seasonality = index.sort_index() / index.mean()
        self.seasonality = seasonality
        names = [n for n in self.counts.columns.names]
        if pool_by is not None:
            pool_by = [pool_by] if isinstance(pool_by, str) else list(pool_by)
            unknown = [p for p in pool_by if p not in names]
            if unknown or not pool_by:
                raise ValueError(
                    f"pool_by must name column levels of counts ({names}); got {unknown or pool_by}"
                )
        self.pool_by = pool_by
        self.dispersion = check_choice(dispersion, "dispersion", ("pooled", "none"))
        self.direction = check_choice(direction, "direction", ("both", "increase", "decrease"))
        self.fdr = check_level(fdr, "fdr")
        self.level = check_level(level)

    # -- steps --------------------------------------------------------------------------
    def _groups(self) -> tuple[np.ndarray, list]:
        cols = self.counts.columns
        if self.pool_by is None:
            return np.zeros(len(cols), dtype=int), ["all series"]
        keys = cols.to_frame(index=False)[self.pool_by]
        labels = (
            keys.astype(str).agg(" / ".join, axis=1) if len(self.pool_by) > 1 else (keys.iloc[:, 0])
        )
        codes, uniques = pd.factorize(labels)
        return codes, list(uniques)

    def _seasonal_index(self, Y_b, months_b, codes, labels, notes) -> np.ndarray:
        """Seasonal index per group, shape (n_groups, 12)."""
        n_groups = len(labels)
        flat = np.ones((n_groups, 12))
        if isinstance(self.seasonality, pd.Series):
            return np.tile(self.seasonality.to_numpy(), (n_groups, 1))
        if self.seasonality == "none":
            return flat
        out = flat.copy()
        flat_groups = []
        for g in range(n_groups):
            Yg = Y_b[:, codes == g]
            present = (~np.isnan(Yg)).sum(axis=1)
            total = pd.Series(np.where(present > 0, np.nansum(Yg, axis=1), np.nan), index=months_b)
            problem = seasonal_problem(total)
            if problem:
                flat_groups.append((labels[g], problem))
                continue
            X = design(months_b, months_b[0], seasonal=True, trend=True)
            ok = present > 0
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.GLM(
                    total.to_numpy()[ok],
                    X.to_numpy()[ok],
                    family=sm.families.Poisson(),
                    offset=np.log(present[ok] / Yg.shape[1]),
                ).fit()
            gamma = np.concatenate([[0.0], np.asarray(res.params)[2:]])
            index = np.exp(gamma)
            out[g] = index / index.mean()
        if flat_groups:
            shown = "; ".join(f"{lab}: {why}" for lab, why in flat_groups[:3])
            more = f" and {len(flat_groups) - 3} more" if len(flat_groups) > 3 else ""
            notes.append(f"No seasonal adjustment for {shown}{more}.")
        return out

    def fit(self) -> ScreenResults:
        """Screen every series.

        Returns
        -------
        ScreenResults
        """
        counts = self.counts
        T, n = counts.shape
        notes = []
        n_recent = self.recent_months
        n_base = min(self.baseline_months, T - n_recent)
        if n_base < self.baseline_months:
            notes.append(
                f"Only {count_months(n_base, 'baseline month')} before the recent window "
                f"({self.baseline_months} requested)."
            )
        window = counts.iloc[T - n_recent - n_base :]
        months = window.index
        Y = window.to_numpy(dtype=float)
        Y_b, Y_r = Y[:n_base], Y[n_base:]
        codes, labels = self._groups()
        s_index = self._seasonal_index(Y_b, months[:n_base], codes, labels, notes)
        moy = months.month.to_numpy() - 1
        W = s_index[codes][:, moy].T  # (months, series) seasonal weight
        has_b, has_r = ~np.isnan(Y_b), ~np.isnan(Y_r)
        B_sum = np.nansum(Y_b, axis=0)
        R_sum = np.nansum(Y_r, axis=0)
        n_b, n_r = has_b.sum(axis=0), has_r.sum(axis=0)
        W_B = np.where(has_b, W[:n_base], 0.0).sum(axis=0)
        W_R = np.where(has_r, W[n_base:], 0.0).sum(axis=0)
        testable = (n_b > 0) & (n_r > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.where(testable, B_sum * W_R / W_B, np.nan)
            rr = np.where(
                testable & (B_sum > 0), R_sum / expected, np.where(R_sum > 0, np.inf, np.nan)
            )
            rr = np.where(testable, rr, np.nan)
            base_mean = np.where(n_b > 0, B_sum / n_b, np.nan)

        # Pooled NB2 alpha from baseline Pearson residuals (moment estimate).
        alpha = np.zeros(len(labels))
        if self.dispersion == "pooled":
            with np.errstate(divide="ignore", invalid="ignore"):
                mu = (B_sum / W_B)[None, :] * W[:n_base]
                resid2 = np.where(has_b & (mu > 0), (Y_b - mu) ** 2 / mu, 0.0)
            x2 = resid2.sum(axis=0)
            df = n_b - 1.0
            usable = (B_sum > 0) & (df > 0)
            for g in range(len(labels)):
                sel = usable & (codes == g)
                denom = np.sum(df[sel] * base_mean[sel])
                if denom > 0:
                    alpha[g] = max(0.0, np.sum(x2[sel] - df[sel]) / denom)
        phi = 1.0 + alpha[codes] * np.nan_to_num(base_mean)

        # Conditional (quasi-)binomial test on counts scaled by phi.
        with np.errstate(divide="ignore", invalid="ignore"):
            pi0 = W_R / (W_R + W_B)
            o_s, b_s = R_sum / phi, B_sum / phi
            p_up = np.where(o_s > 0, special.betainc(o_s, b_s + 1.0, pi0), 1.0)
            p_low = np.where(b_s > 0, 1.0 - special.betainc(o_s + 1.0, b_s, pi0), 1.0)
            tail = (1.0 - self.level) / 2.0
            pi_lo = np.where(o_s > 0, stats.beta.ppf(tail, o_s, b_s + 1.0), 0.0)
            pi_hi = np.where(b_s > 0, stats.beta.ppf(1.0 - tail, o_s + 1.0, b_s), 1.0)
            odds = W_B / W_R
            rr_lo = pi_lo / (1.0 - pi_lo) * odds
            rr_hi = np.where(pi_hi < 1.0, pi_hi / (1.0 - pi_hi) * odds, np.inf)
        if self.direction == "both":
            p = np.minimum(1.0, 2.0 * np.minimum(p_up, p_low))
        elif self.direction == "increase":
            p = p_up
        else:
            p = p_low
        p = np.where(testable, np.clip(p, 0.0, 1.0), np.nan)
        q = np.full(n, np.nan)
        flagged = np.zeros(n, dtype=bool)
        if testable.any():
            reject, q_ok, _, _ = multipletests(p[testable], alpha=self.fdr, method="fdr_bh")
            q[testable] = q_ok
            flagged[testable] = reject
        untestable = int((~testable).sum())
        if untestable:
            notes.append(
                f"{untestable} series have no data in the baseline or the recent window and "
                "were not tested."
            )
        change = np.where(
            ~testable | (R_sum == expected),
            "none",
            np.where(R_sum > expected, "increase", "decrease"),
        )
        table = pd.DataFrame(
            {
                "baseline_mean": base_mean,
                "observed": R_sum,
                "expected": expected,
                "rate_ratio": rr,
                "rr_lower": np.where(testable, rr_lo, np.nan),
                "rr_upper": np.where(testable, rr_hi, np.nan),
                "pct_change": 100.0 * (rr - 1.0),
                "dispersion": phi,
                "p_value": p,
                "q_value": q,
                "flagged": flagged,
                "change": change,
            },
            index=counts.columns,
        )
        strength = np.abs(np.log(np.where(rr > 0, rr, np.nan)))
        order = np.lexsort(
            (-np.nan_to_num(strength, nan=-1.0, posinf=1e300), np.nan_to_num(p, nan=2.0))
        )
        table = table.iloc[order]
        table.insert(0, "rank", np.arange(1, n + 1))
        seasonal = pd.DataFrame(s_index, index=pd.Index(labels, name="group"), columns=MONTH_ABBR)
        config = {
            "recent": f"{months[n_base]:%Y-%m} to {months[-1]:%Y-%m}",
            "baseline": f"{months[0]:%Y-%m} to {months[n_base - 1]:%Y-%m}",
            "recent_months": n_recent,
            "baseline_months": self.baseline_months,
            "baseline_months_used": n_base,
            "seasonality": self.seasonality if isinstance(self.seasonality, str) else "given",
            "pool_by": self.pool_by,
            "dispersion": self.dispersion,
            "direction": self.direction,
            "fdr": self.fdr,
            "level": self.level,
            "n_series": n,
        }
        gaps = months[np.isnan(Y).all(axis=1)]
        if gaps.size:
            notes.append(f"No data for any series in {format_months(gaps)} (left out).")
        seas_text = {
            "pooled": "pooled seasonal index"
            + (f" by {', '.join(self.pool_by)}" if self.pool_by else ""),
            "none": "no seasonal adjustment",
        }.get(self.seasonality if isinstance(self.seasonality, str) else "", "given seasonal index")
        disp_text = (
            "NB2 overdispersion pooled" + (f" by {', '.join(self.pool_by)}" if self.pool_by else "")
            if self.dispersion == "pooled"
            else "Poisson"
        )
        method = (
            f"conditional binomial test of the last {n_recent} months against the previous "
            f"{n_base} ({seas_text}; {disp_text}); Benjamini-Hochberg FDR {self.fdr:g}"
        )
        return ScreenResults(
            table,
            seasonal_index=seasonal,
            alpha=pd.Series(alpha, index=pd.Index(labels, name="group"), name="alpha"),
            config=config,
            method=method,
            note=join_notes(*notes),
        )


class ScreenResults(ModelResults):
    """Results of :class:`EmergingTrendScreen`.

    Attributes
    ----------
    table : DataFrame
        One row per series (index: the series keys), sorted by ``rank``: ``baseline_mean``
        (monthly), ``observed`` and ``expected`` recent totals, ``rate_ratio`` with
        ``rr_lower`` / ``rr_upper``, ``pct_change``, ``dispersion`` (variance inflation used),
        ``p_value``, ``q_value`` (BH-adjusted), ``flagged``, ``change``
        (increase / decrease / none).
    seasonal_index : DataFrame
        The seasonal index used, one row per pooling group.
    alpha : Series
        Pooled NB2 dispersion per group (0 = Poisson).
    """

    def __init__(self, table, *, seasonal_index, alpha, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.seasonal_index = seasonal_index
        self.alpha = alpha

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged series, strongest evidence first."""
        return self.table[self.table["flagged"]]

    def plot(self, ax=None, title: str | None = None, top: int = 15):
        """Rate ratios with intervals for the ``top`` ranked series; returns the Axes."""
        from csplib.charts.models import plot_screen

        return plot_screen(self.table, ax=ax, title=title, top=top)
