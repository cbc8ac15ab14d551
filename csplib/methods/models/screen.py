"""Emerging-trend screen: which of many series changed recently, with FDR control."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.stats.multitest import multipletests

from csplib.methods.models._glm import MONTH_ABBR, Predictive, design, seasonal_problem
from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import (
    as_monthly_counts,
    as_monthly_frame,
    check_choice,
    check_int,
    check_level,
    count_months,
    format_months,
)
from csplib.methods.models.expected import ExpectedRangeResults, expected_range_table

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
       Overdispersion is allowed for with a negative binomial (NB2) variance
       ``mu + alpha mu^2``: each series' counts are divided by its variance inflation
       ``phi = 1 + alpha * mean`` before the binomial tail is taken (the incomplete beta
       function extends it to fractional counts). With ``phi = 1`` this is exactly the
       binomial test. The interval for ``RR`` is the Clopper-Pearson interval for ``pi`` on
       the same scaled counts, transformed.
    4. **Overdispersion.** ``alpha`` is a moment estimate from the baseline months, pooled
       over all series (or each ``pool_by`` group). ``dispersion="robust"`` (the default)
       guards it against the changes the screen looks for, in two ways:

       * *Successive differences.* The estimate uses the squared differences between
         consecutive months of each deseasonalised series (the mean squared successive
         difference of von Neumann, as in an XmR chart's moving range), scaled by the
         series' level: under Poisson their expectation is exactly 1 (given the baseline
         total) and under NB2 ``1 + alpha * mean``. A steady trend adds next to nothing to
         them and a step inside the baseline adds one term, whereas about a constant level
         both are read as noise: a ward rising 40% a year for three years would look like
         ``alpha`` of about 0.08 by itself (0.0004 from successive differences). A single
         aberrant month still adds two terms: set such months to missing.
       * *Leave-one-out.* The ``alpha`` used to test a series comes from the *other* series
         of its group (the group sums minus the series' own terms), so whatever is left of a
         series' own signal cannot widen its own test (its own estimate is used only when
         no other series of the group has baseline data, with a note).

       Together, one or two changing series can neither hide themselves nor each other. The
       price is some efficiency (successive differences use about two thirds of the
       information of residuals about the mean; immaterial when pooling many series) and
       an assumption: months are independent given the level. Slow wandering of the level
       from month to month (positive autocorrelation) is not counted as noise, and the
       screen treats it as change; so is a change shared by every series of a group (a
       category falling area-wide), which larger series then show as significant: the test
       is against each series' own baseline, not against its group.

       ``dispersion="pooled"`` is the earlier estimate, from Pearson residuals about each
       series' constant baseline level, pooled over all series of the group including the
       one tested; any trend or step inside the baseline then inflates ``alpha`` for the
       whole group. ``dispersion="none"`` assumes Poisson.
    5. **Multiple testing.** p-values are adjusted with Benjamini-Hochberg
       (:func:`statsmodels.stats.multitest.multipletests`, ``"fdr_bh"``); a series is
       ``flagged`` when its q-value is below ``fdr``. Ranks order series by p-value, then by
       the size of the change.

    Everything is vectorised across series; only the seasonal indices need a GLM (one per
    group).

    Parameters
    ----------
    counts : DataFrame
        Wide frame: one row per month (month-start ``DatetimeIndex``), one column per series.
        Build it from a long table with :func:`csplib.methods.models.long_to_wide`.
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
    dispersion : {"robust", "pooled", "none"}
        Allow for overdispersion with an NB2 alpha from successive differences of the other
        series of the group (default), with the earlier alpha from Pearson residuals of all
        the series of the group, or assume Poisson (see step 4).
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
        dispersion: str = "robust",
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
        self.dispersion = check_choice(dispersion, "dispersion", ("robust", "pooled", "none"))
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

        # NB2 alpha per group (reported) and per series (used in the test).
        alpha = np.zeros(len(labels))
        alpha_used = np.zeros(n)
        if self.dispersion == "pooled":
            alpha = _pooled_alpha(Y_b, W[:n_base], has_b, B_sum, W_B, n_b, codes, len(labels))
            alpha_used = alpha[codes]
        elif self.dispersion == "robust":
            alpha, alpha_used, alone = _robust_alpha(
                Y_b, W[:n_base], has_b, B_sum, W_B, codes, len(labels)
            )
            if alone:
                notes.append(
                    f"Overdispersion for {alone} series was estimated from the series "
                    "itself: no other series of its group has baseline data."
                )
        phi = 1.0 + alpha_used * np.nan_to_num(base_mean)

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
                "alpha": np.where(testable, alpha_used, np.nan),
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
        by = f" by {', '.join(self.pool_by)}" if self.pool_by else ""
        disp_text = {
            "robust": f"NB2 overdispersion from successive differences, pooled{by} over the "
            "other series",
            "pooled": f"NB2 overdispersion pooled{by}",
            "none": "Poisson",
        }[self.dispersion]
        method = (
            f"conditional binomial test of the last {n_recent} months against the previous "
            f"{n_base} ({seas_text}; {disp_text}); Benjamini-Hochberg FDR {self.fdr:g}"
        )
        return ScreenResults(
            table,
            seasonal_index=seasonal,
            weights=pd.DataFrame(W, index=months, columns=counts.columns),
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
        ``rr_lower`` / ``rr_upper``, ``pct_change``, ``alpha`` (the NB2 dispersion used for
        the series: with ``dispersion="robust"``, that of the other series of its group),
        ``dispersion`` (the variance inflation ``1 + alpha * baseline_mean`` used),
        ``p_value``, ``q_value`` (BH-adjusted), ``flagged``, ``change``
        (increase / decrease / none).
    seasonal_index : DataFrame
        The seasonal index used, one row per pooling group.
    weights : DataFrame
        The seasonal weight ``s_m`` of each month of the window (baseline then recent
        months) for each series (that of its group).
    alpha : Series
        NB2 dispersion per group from all its series (0 = Poisson); the table's ``alpha``
        column holds the value each series was tested with.
    """

    def __init__(self, table, *, seasonal_index, weights, alpha, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.seasonal_index = seasonal_index
        self.weights = weights
        self.alpha = alpha

    def expected_range(
        self,
        key,
        series,
        *,
        level: float | None = None,
        run_length: int = 3,
        n_sims: int = 500,
        random_state: int = 0,
    ) -> ExpectedRangeResults:
        """The screen's expected level of one series, month by month, with its range.

        The screen expects ``E = B W_R / W_B`` in the recent months; month *m* expects its
        share ``B s_m / W_B``, so the recent months with data add up to the series'
        ``expected`` in :attr:`table` and a chart of the months states the same expected
        level (and ratio) as the screen. The range for each month is the central ``level``
        interval (mid-p, as :class:`~csplib.methods.models.ExpectedRange`) of a negative
        binomial with the series' NB2 ``alpha`` about a baseline level drawn from its
        sampling distribution, a gamma with shape ``B / phi`` (``1/2`` when ``B`` is 0) and
        rate ``W_B / phi`` (``phi`` the variance inflation the screen tested with): the
        uncertainty of the baseline and month-to-month variation together.

        Parameters
        ----------
        key
            The series' column key in the screened frame.
        series : Series
            Its monthly counts (the column of the screened frame).
        level : float, optional
            Coverage of the range (default: the screen's ``level``).
        run_length, n_sims, random_state
            As :class:`~csplib.methods.models.ExpectedRange`.

        Returns
        -------
        ExpectedRangeResults
            ``table`` has one row per recent month.

        Examples
        --------
        >>> idx = pd.date_range("2020-01-01", periods=48, freq="MS")
        >>> rng = np.random.default_rng(0)
        >>> counts = pd.DataFrame(rng.poisson(20, (48, 30)), index=idx).add_prefix("ward_")
        >>> res = EmergingTrendScreen(counts).fit()
        >>> er = res.expected_range("ward_0", counts["ward_0"])
        >>> bool(np.isclose(er.table["expected"].sum(), res.table.loc["ward_0", "expected"]))
        True
        """
        if key not in self.table.index:
            raise KeyError(f"{key!r} is not a series of this screen")
        level = self.config["level"] if level is None else check_level(level)
        row = self.table.loc[key]
        n_base = self.config["baseline_months_used"]
        weights = self.weights[key]
        y = as_monthly_counts(series).reindex(weights.index)
        baseline, assessed = y.iloc[:n_base], y.iloc[n_base:]
        has_b = baseline.notna().to_numpy()
        w_b = float(weights.iloc[:n_base].to_numpy()[has_b].sum())
        w_r = weights.iloc[n_base:].to_numpy()
        b_sum = float(baseline.sum())
        config = {
            "start": f"{assessed.index[0]:%Y-%m}",
            "baseline": self.config["baseline"],
            "baseline_months": n_base,
            "level": level,
            "trend": False,
            "family_used": "negbin" if row["alpha"] > 0 else "poisson",
            "alpha": float(row["alpha"]),
            "n_sims": n_sims,
            "random_state": random_state,
        }
        method = (
            "the emerging-trend screen's expected level: the baseline level times the "
            "seasonal index, with a negative binomial range"
        )
        if not has_b.any() or not np.isfinite(row["dispersion"]):
            table = expected_range_table(assessed, None, level, run_length)
            return ExpectedRangeResults(
                table, baseline, config=config, method=method, note="No baseline data."
            )
        phi = float(row["dispersion"])
        shape = b_sum / phi if b_sum > 0 else 0.5
        draws = np.random.default_rng(random_state).gamma(shape, phi / w_b, n_sims)
        pred = Predictive(
            assessed.index,
            mu=w_r[:, None] * draws[None, :],
            alpha=np.full(n_sims, float(row["alpha"])),
        )
        table = expected_range_table(assessed, pred, level, run_length)
        table["expected"] = w_r * b_sum / w_b
        return ExpectedRangeResults(table, baseline, config=config, method=method)

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged series, strongest evidence first."""
        return self.table[self.table["flagged"]]

    def plot(self, ax=None, title: str | None = None, top: int = 15):
        """Rate ratios with intervals for the ``top`` ranked series; returns the Axes."""
        from csplib.present.charts.models import plot_screen

        return plot_screen(self.table, ax=ax, title=title, top=top)


# -- overdispersion estimators ------------------------------------------------------------
def _pooled_alpha(Y_b, W_b, has_b, B_sum, W_B, n_b, codes, n_groups) -> np.ndarray:
    """Group NB2 alpha from Pearson residuals about each series' constant baseline level.

    The moment estimate ``sum(X2_i - df_i) / sum(df_i * mean_i)`` over the usable series of
    a group (``X2_i`` the Pearson statistic of series *i* about ``mu_t = level_i * s_t``,
    ``df_i = n_i - 1``), floored at 0. Any change within the baseline (a trend, a step)
    counts as noise. ``dispersion="pooled"``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = (B_sum / W_B)[None, :] * W_b
        resid2 = np.where(has_b & (mu > 0), (Y_b - mu) ** 2 / mu, 0.0)
        base_mean = B_sum / n_b
    x2 = resid2.sum(axis=0)
    df = n_b - 1.0
    usable = (B_sum > 0) & (df > 0)
    num = np.bincount(codes, np.where(usable, x2 - df, 0.0), minlength=n_groups)
    den = np.bincount(codes, np.where(usable, df * base_mean, 0.0), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, np.maximum(0.0, num / den), 0.0)


def _robust_alpha(Y_b, W_b, has_b, B_sum, W_B, codes, n_groups):
    """NB2 alpha from successive differences, pooled over the *other* series of a group.

    For series *i* with baseline level ``m_i = B_i / W_B,i`` (count per unit of seasonal
    index), deseasonalised counts ``z_t = y_t / s_t`` and each pair of consecutive baseline
    months with data, ``r_t^2 = (z_t - z_{t-1})^2 / (m_i c_t)`` with
    ``c_t = 1 / s_t + 1 / s_{t-1}``. Under the NB2 model with a constant level,
    ``E[r_t^2] = 1 + alpha m_i g_t`` with ``g_t = 2 / c_t`` (exactly 1 under Poisson, given
    the baseline total). Summing over the ``P_i`` pairs (``X2_i = sum r_t^2``,
    ``G_i = sum g_t``), the moment estimate for a set of series is
    ``sum(X2_i - P_i) / sum(m_i G_i)``, floored at 0.

    Returns the group estimates (all usable series), the estimate used for each series (the
    group's other usable series; its own when it is the only one) and how many series had
    no other series to borrow from.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        level = B_sum / W_B
        z = Y_b / W_b
        pair = has_b[1:] & has_b[:-1]
        c = 1.0 / W_b[1:] + 1.0 / W_b[:-1]
        r2 = np.where(pair, (z[1:] - z[:-1]) ** 2 / (level[None, :] * c), 0.0)
        g = np.where(pair, 2.0 / c, 0.0)
    n_pairs = pair.sum(axis=0)
    usable = (B_sum > 0) & (n_pairs > 0)
    num = np.where(usable, r2.sum(axis=0) - n_pairs, 0.0)
    den = np.where(usable, level * g.sum(axis=0), 0.0)
    group_num = np.bincount(codes, num, minlength=n_groups)
    group_den = np.bincount(codes, den, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        group = np.where(group_den > 0, np.maximum(0.0, group_num / group_den), 0.0)
        n_usable = np.bincount(codes, usable.astype(float), minlength=n_groups)
        has_others = n_usable[codes] - usable > 0
        loo = np.maximum(0.0, (group_num[codes] - num) / (group_den[codes] - den))
    used = np.where(has_others, loo, group[codes])
    alone = int((usable & ~has_others).sum())
    return group, used, alone
