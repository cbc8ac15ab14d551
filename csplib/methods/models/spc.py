"""Statistical process control charts as the NHS draws them ("Making Data Count").

The chart (XmR, or a Poisson c-chart for low counts) has a centre line at the baseline mean
and process limits; the four special-cause rules, the direction of a special-cause point and
the Making Data Count (MDC) variation and assurance are those of the NHS-R Community package
NHSRplotthedots, which reproduces NHS England's MDC Excel tool: see
:mod:`csplib.methods.models.spc_rules` for the rules word for word. In short: a point beyond
a process limit; a run of 7 or more points on one side of the mean (a point on the mean
breaks it); a run of 7 or more strict rises or falls (a tie breaks it); two of three
consecutive points between the two-sigma line and the limit with all three on the same side
of the mean. Every point of a run is flagged. Where rules overlap, a trend sets the
direction: a rising run of seven below the mean is *high*, a concern when lower is better.
Run lengths can be changed and rules switched off with ``rules``; ``{"two_of_three":
"western_electric"}`` reads that rule as the Western Electric handbook (1956) and Minitab's
Test 5 do (points beyond the limit count, the third point may be anywhere).

Limits
------
* **XmR** (default for counts of 5 or more a month): centre = baseline mean; limits =
  mean +- 2.66 x the mean moving range of the baseline (2.66 = 3 / 1.128, so the limits are
  about 3 sigma); two-sigma lines at mean +- (2/3) x 2.66 x mean moving range. As in the MDC
  Excel tool, moving ranges are not screened for outliers unless ``screen_outliers=True``
  (then moving ranges of 3.267 x their mean or more are dropped and the mean recomputed:
  NHSRplotthedots' default, which its "deviations" vignette says the Excel tool does not do).
* **c-chart** (Poisson limits): centre = baseline mean ``c``; limits = ``c +- 3 sqrt(c)``,
  two-sigma lines at ``c +- 2 sqrt(c)``. With ``chart="auto"`` the c-chart is used when the
  baseline mean is below ``c_chart_below`` (5 a month): there the moving range takes only a
  few distinct values and XmR limits are unstable, while the Poisson variance is a
  reasonable assumption for rare, independent events. NHSRplotthedots and the MDC tool draw
  XmR only: use ``chart="xmr"`` to match them on low counts.

Lower limits and lines are drawn no lower than zero (a count cannot be negative); the rules
and the assurance use the limits before clipping, as NHSRplotthedots does (for counts the
result is the same).

Differences from NHSRplotthedots
--------------------------------
* Baseline: NHSR fixes the limits on the first ``n`` points (``fix_after_n_points``, here
  ``baseline=n``); a ``(start, end)`` baseline of months anywhere in the series is an
  addition. There is no rebasing: a chart has one set of limits (for a changed process, chart
  the months since the change on their own).
* Missing months are skipped, the points either side treated as consecutive (NHSR expects no
  gaps); the note names them.
* The c-chart for low counts (above) and the default ``screen_outliers=False`` (the Excel
  tool's choice, not NHSR's).
* Fewer than 15 baseline points give a note (NHSR warns below 12).

Classification
--------------
Each point has a ``variation`` (``common_cause``, ``special_cause_concern``,
``special_cause_improvement``, ``special_cause_neither``) and a ``direction`` (high / low):
with ``polarity="down"`` (lower is better, the default for crime counts) a high point is a
concern, with ``"up"`` an improvement, with ``"neutral"`` neither. The chart's variation is
that of the latest point with data (the MDC variation icon), e.g.
``special_cause_concern_high``; with a ``target``, the assurance is ``consistent_pass``,
``consistent_fail`` or ``inconsistent`` (hit and miss). :data:`VARIATION_LABELS` and
:data:`ASSURANCE_LABELS` give the plain-English reading of each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import as_monthly_counts, check_choice, format_months
from csplib.methods.models.spc_rules import (
    ASSURANCE_LABELS,
    DEFAULT_RULES,
    VARIATION_LABELS,
    apply_rules,
    assurance,
    baseline_mask,
    check_baseline,
    check_rules,
    variation_key,
)

__all__ = [
    "SPCChart",
    "SPCResults",
    "DEFAULT_RULES",
    "VARIATION_LABELS",
    "ASSURANCE_LABELS",
    "check_target",
    "spc_results",
]

XMR_FACTOR = 2.66
MR_SCREEN_FACTOR = 3.267
MIN_BASELINE_POINTS = 15
POLARITIES = ("down", "up", "neutral")


def check_target(target) -> float | None:
    """Validate a target: None or a finite number.

    Examples
    --------
    >>> check_target(12)
    12.0
    """
    if target is None:
        return None
    if isinstance(target, bool) or not isinstance(target, int | float | np.number):
        raise ValueError(f"target must be a number or None; got {target!r}")
    if not np.isfinite(target):
        raise ValueError(f"target must be a finite number; got {target!r}")
    return float(target)


def mean_moving_range(values: np.ndarray, screen: bool) -> tuple[float, int]:
    """Mean moving range of ``values``, with NHSR's outlier screen; and how many were dropped.

    Examples
    --------
    >>> y = np.array([1.0, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1])
    >>> mean_moving_range(y, screen=True)
    (1.0, 2)
    """
    mr = np.abs(np.diff(values))
    mr_bar = float(mr.mean())
    if not screen:
        return mr_bar, 0
    kept = mr[mr < MR_SCREEN_FACTOR * mr_bar]
    if len(kept) == 0:  # every moving range equal (e.g. all zero): nothing to screen
        return mr_bar, 0
    return float(kept.mean()), int(len(mr) - len(kept))


def spc_results(
    y: pd.Series,
    obs: pd.Series,
    in_base: np.ndarray,
    limits: dict,
    *,
    rules,
    polarity: str,
    target: float | None,
    config: dict,
    method: str,
    notes: list[str],
    extra: dict | None = None,
    clip_upper: float | None = None,
) -> SPCResults:
    """Apply the rules to charted points and assemble :class:`SPCResults`.

    Parameters
    ----------
    y : Series
        The whole series on the chart's scale (missing months ``NaN``).
    obs : Series
        Its months with data.
    in_base : array of bool
        Which points with data set the limits.
    limits : dict
        ``centre``, ``lower``, ``upper``, ``lower_2sigma``, ``upper_2sigma`` before clipping
        (floats, or arrays over ``obs``).
    extra : dict, optional
        Further columns over ``obs`` for the table, placed after ``value``.
    clip_upper : float, optional
        Largest value a limit is drawn at (1 for proportions).

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=3, freq="MS")
    >>> y = pd.Series([5.0, 6, 30], index=idx)
    >>> lim = dict(centre=6.0, lower=0.0, upper=12.0, lower_2sigma=2.0, upper_2sigma=10.0)
    >>> res = spc_results(y, y, np.ones(3, bool), lim, rules=check_rules(None),
    ...                   polarity="down", target=None, config={}, method="XmR", notes=[])
    >>> res.variation
    'special_cause_concern_high'
    """
    values = obs.to_numpy(float)
    n = len(values)
    lim = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in limits.items()}
    out = apply_rules(
        values,
        lim["centre"],
        lim["lower"],
        lim["upper"],
        lim["lower_2sigma"],
        lim["upper_2sigma"],
        rules,
        polarity,
    )
    pos = y.index.get_indexer(obs.index)

    def full(values, fill, dtype=float):
        out = np.full(len(y), fill, dtype=dtype)
        out[pos] = values
        return out

    columns = {"value": y.to_numpy(float)}
    columns.update({k: full(v, np.nan) for k, v in (extra or {}).items()})
    columns["centre"] = full(lim["centre"], np.nan)
    for k in ("lower", "upper", "lower_2sigma", "upper_2sigma"):
        v = np.maximum(lim[k], 0.0)
        columns[k] = full(np.minimum(v, clip_upper) if clip_upper is not None else v, np.nan)
    columns["baseline"] = full(in_base, False, bool)
    for name in ("outside_limits", "two_of_three", "shift", "trend", "special_cause"):
        columns[name] = full(out[name], False, bool)
    direction = np.where(out["direction"] > 0, "high", np.where(out["direction"] < 0, "low", ""))
    columns["direction"] = full(direction, np.nan, object)
    columns["variation"] = full(out["variation"], np.nan, object)
    table = pd.DataFrame(columns, index=y.index)
    last = n - 1
    key = variation_key(out["variation"][last], direction[last])
    return SPCResults(
        table,
        variation=key,
        assurance=assurance(target, lim["lower"][last], lim["upper"][last], polarity),
        target=target,
        config={**config, "target": target},
        method=method,
        note=join_notes(*notes),
    )


class SPCChart:
    """A statistical process control chart of monthly counts, as NHS Making Data Count draws it.

    See the module documentation for the limits, the rules and how they differ from
    NHSRplotthedots.

    Parameters
    ----------
    series : Series
        Monthly counts. Missing months are skipped: rules run over the months with data as if
        consecutive, and the note names the skipped months.
    baseline : None, int or (start, end)
        Months that set the centre and limits: all (default), the first ``n`` months with
        data, or the months from ``start`` to ``end`` inclusive (e.g. ``("2019-04",
        "2021-03")``). Limits are extended over the whole series.
    polarity : {"down", "up", "neutral"}
        Which direction is better: ``"down"`` (fewer is better; default, for crime and ASB),
        ``"up"`` or ``"neutral"`` (NHSR's ``improvement_direction`` "decrease", "increase",
        "neutral").
    rules : mapping, optional
        Override :data:`DEFAULT_RULES`: ``{"shift": 8, "two_of_three": False}``.
    chart : {"auto", "xmr", "c"}
        Limits: XmR, Poisson c-chart, or ``"auto"`` (c-chart when the baseline mean is below
        ``c_chart_below``).
    c_chart_below : float
        Baseline mean below which ``"auto"`` uses the c-chart (5).
    screen_outliers : bool
        Drop moving ranges of 3.267 x their mean or more before computing XmR limits (False,
        as in the MDC Excel tool; NHSRplotthedots' default is True).
    target : float, optional
        A target for the count, for the MDC assurance.

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=20, freq="MS")
    >>> y = pd.Series([20, 22, 19, 21, 20, 23, 18, 21, 20, 22,
    ...                19, 21, 20, 22, 21, 20, 19, 45, 21, 20], index=idx)
    >>> res = SPCChart(y, baseline=12, target=10).fit()
    >>> row = res.table.loc["2023-06-01"]
    >>> bool(row["outside_limits"]), row["variation"]
    (True, 'special_cause_concern')
    >>> res.variation, res.assurance
    ('common_cause', 'consistent_fail')
    >>> res.assurance_label.split(":")[0]
    'Consistently failing'
    """

    def __init__(
        self,
        series,
        baseline=None,
        polarity: str = "down",
        rules=None,
        chart: str = "auto",
        c_chart_below: float = 5.0,
        screen_outliers: bool = False,
        target=None,
    ):
        self.series = as_monthly_counts(series)
        self.baseline = check_baseline(baseline, self.series.index)
        self.polarity = check_choice(polarity, "polarity", POLARITIES)
        self.rules = check_rules(rules)
        self.chart = check_choice(chart, "chart", ("auto", "xmr", "c"))
        if (
            isinstance(c_chart_below, bool)
            or not isinstance(c_chart_below, int | float)
            or (c_chart_below < 0)
        ):
            raise ValueError(f"c_chart_below must be a number >= 0; got {c_chart_below!r}")
        self.c_chart_below = float(c_chart_below)
        if not isinstance(screen_outliers, bool):
            raise ValueError(f"screen_outliers must be True or False; got {screen_outliers!r}")
        self.screen_outliers = screen_outliers
        self.target = check_target(target)

    def fit(self) -> SPCResults:
        """Compute the limits, apply the rules and classify the chart.

        Returns
        -------
        SPCResults
        """
        y = self.series
        notes = []
        obs = y.dropna()
        missing = y.index[y.isna()]
        if missing.size:
            notes.append(
                f"No data for {format_months(missing)}: skipped, with the months either side "
                "treated as consecutive."
            )
        in_base = baseline_mask(obs.index, self.baseline)
        base = obs[in_base]
        config = {
            "baseline": f"{base.index[0]:%Y-%m} to {base.index[-1]:%Y-%m}" if len(base) else None,
            "baseline_points": int(len(base)),
            "polarity": self.polarity,
            "rules": dict(self.rules),
            "chart": self.chart,
            "c_chart_below": self.c_chart_below,
            "screen_outliers": self.screen_outliers,
        }
        if len(base) < 2:
            return empty_results(y, config, len(base), notes, self.target)
        if len(base) < MIN_BASELINE_POINTS:
            notes.append(
                f"The limits rest on only {len(base)} baseline points "
                f"({MIN_BASELINE_POINTS} or more are recommended): treat them with caution."
            )
        centre = float(base.mean())
        chart = self.chart
        if chart == "auto":
            chart = "c" if centre < self.c_chart_below else "xmr"
        if chart == "c":
            half = 3.0 * np.sqrt(centre)
            method = (
                f"c-chart (Poisson limits mean +- 3 sqrt(mean)); baseline mean {centre:.3g}"
                + (f" is below {self.c_chart_below:g}" if self.chart == "auto" else "")
            )
            mr_bar = np.nan
        else:
            mr_bar, dropped = mean_moving_range(base.to_numpy(float), self.screen_outliers)
            if dropped:
                notes.append(
                    f"{dropped} moving range(s) of {MR_SCREEN_FACTOR} x their mean or more "
                    "were left out of the limits."
                )
            half = XMR_FACTOR * mr_bar
            method = "XmR chart (mean +- 2.66 x mean moving range)"
        if centre == 0:
            notes.append("Every baseline month is zero: the limits collapse to zero.")
        limits = dict(
            centre=centre,
            lower=centre - half,
            upper=centre + half,
            lower_2sigma=centre - 2 * half / 3,
            upper_2sigma=centre + 2 * half / 3,
        )
        return spc_results(
            y,
            obs,
            in_base,
            limits,
            rules=self.rules,
            polarity=self.polarity,
            target=self.target,
            config={
                **config,
                "chart_used": "c-chart" if chart == "c" else "XmR",
                "mean_moving_range": mr_bar,
            },
            method=method,
            notes=notes,
        )


def empty_results(y, config, n_base, notes, target, extra_columns=()) -> SPCResults:
    """Results with no chart: too few baseline points with data."""
    table = pd.DataFrame(
        {
            "value": y,
            **{c: np.nan for c in extra_columns},
            "centre": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "lower_2sigma": np.nan,
            "upper_2sigma": np.nan,
            "baseline": False,
        },
        index=y.index,
    )
    for name in ("outside_limits", "two_of_three", "shift", "trend"):
        table[name] = False
    table["special_cause"] = False
    table["direction"] = ""
    table["variation"] = "common_cause"
    return SPCResults(
        table,
        variation="none",
        assurance=None,
        target=target,
        config={**config, "chart_used": None, "target": target},
        method="none (fewer than 2 baseline points with data)",
        note=join_notes(
            f"No chart: the baseline has {n_base} month(s) with data; at least 2 "
            "are needed (15 or more recommended).",
            *notes,
        ),
    )


class SPCResults(ModelResults):
    """Results of :class:`SPCChart` and :class:`~csplib.methods.models.LaneyChart`.

    Attributes
    ----------
    table : DataFrame
        One row per month: ``value``, ``centre``, ``lower``, ``upper`` (process limits),
        ``lower_2sigma``, ``upper_2sigma``, ``baseline`` (used for the limits), one boolean
        column per rule, ``special_cause``, ``direction`` (high / low) and ``variation``
        (``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neither``). Missing months have a missing value and no flags. A
        Laney chart adds ``numerator``, ``denominator`` and ``z``.
    variation : str
        The chart's MDC variation: that of the latest point with data, with ``_high`` /
        ``_low`` for special causes, e.g. ``"special_cause_concern_high"``; ``"none"`` when
        there is no chart. A key of :data:`VARIATION_LABELS`.
    icon : str
        The same as ``variation`` (the MDC variation icon).
    variation_label : str
        ``variation`` in plain English.
    assurance : str or None
        ``"consistent_pass"``, ``"consistent_fail"`` or ``"inconsistent"`` (hit and miss)
        against ``target``; None without a target or with neutral polarity.
    assurance_label : str or None
        ``assurance`` in plain English.
    target : float or None
        The target the assurance was judged against.
    """

    def __init__(self, table, *, variation, assurance, target, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.variation = variation
        self.assurance = assurance
        self.target = target

    @property
    def icon(self) -> str:
        return self.variation

    @property
    def variation_label(self) -> str:
        return VARIATION_LABELS[self.variation]

    @property
    def assurance_label(self) -> str | None:
        return ASSURANCE_LABELS[self.assurance] if self.assurance else None

    @property
    def point_variation(self) -> pd.Series:
        """Each month's MDC variation key (a key of :data:`VARIATION_LABELS`); missing
        months are ``None``.

        Examples
        --------
        >>> idx = pd.date_range("2022-01-01", periods=13, freq="MS")
        >>> res = SPCChart(pd.Series([12, 8] * 6 + [30], index=idx), baseline=12).fit()
        >>> res.point_variation.iloc[-2:].tolist()
        ['common_cause', 'special_cause_concern_high']
        """
        t = self.table
        keys = [
            variation_key(v, d) if pd.notna(x) else None
            for v, d, x in zip(t["variation"], t["direction"], t["value"], strict=True)
        ]
        return pd.Series(keys, index=t.index, name="variation", dtype=object)

    def classification(self) -> dict:
        """The chart's MDC classification as data a page can draw: machine values and labels.

        Examples
        --------
        >>> idx = pd.date_range("2022-01-01", periods=13, freq="MS")
        >>> res = SPCChart(pd.Series([12, 8] * 6 + [30], index=idx), baseline=12).fit()
        >>> res.classification()["variation_label"]
        'Special cause of concern: significantly higher'
        """
        has = self.table["value"].notna()
        month = self.table.index[has][-1] if has.any() else None
        return {
            "month": None if month is None else f"{month:%Y-%m}",
            "variation": self.variation,
            "variation_label": self.variation_label,
            "assurance": self.assurance,
            "assurance_label": self.assurance_label,
            "target": self.target,
        }

    def plot(self, ax=None, title: str | None = None, ylabel: str | None = None):
        """The SPC chart in the MDC look; returns the Axes."""
        from csplib.present.charts.models import plot_spc

        kwargs = {} if ylabel is None else {"ylabel": ylabel}
        return plot_spc(self.table, ax=ax, title=title, target=self.target, **kwargs)
