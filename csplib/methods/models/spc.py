"""Statistical process control charts in the NHS "Making Data Count" style.

The chart (XmR, or a Poisson c-chart for low counts) has a centre line at the baseline mean
and process limits; four special-cause rules, as in NHS England's Making Data Count (MDC)
guidance and the NHS-R ``NHSRplotthedots`` package that reproduces its Excel tool:

``outside_limits``
    A point above the upper or below the lower process limit.
``shift``
    A run of ``7`` or more consecutive points all above or all below the centre line. A point
    exactly on the centre line is neither above nor below: it **breaks** the run.
``trend``
    A run of ``7`` or more consecutive points each higher than the one before (or each
    lower). Two equal consecutive values **break** the trend (the difference is neither up
    nor down), as in the MDC Excel tool and NHSRplotthedots.
``two_of_three``
    Two (or three) out of three consecutive points beyond the two-sigma line (two thirds of
    the way from the centre to a limit) on the same side; the points beyond the line are
    flagged. Points beyond the process limits count as beyond the two-sigma line (the
    Western Electric reading of the rule). NHSRplotthedots counts only points between the
    two-sigma line and the limit, and also requires the third point to be on the same side
    of the mean; the two differ only next to a point that is already a special cause.

Every point of a run is flagged, not only the one that completes it. Run lengths can be
changed and rules switched off with ``rules``.

Limits
------
* **XmR** (default for counts of 5 or more a month): centre = baseline mean; limits =
  mean +- 2.66 x the mean moving range of the baseline (2.66 = 3 / 1.128, so the limits are
  about 3 sigma); two-sigma lines at mean +- (2/3) x 2.66 x mean moving range. As in the MDC
  Excel tool, moving ranges are not screened for outliers unless ``screen_outliers=True``
  (then moving ranges above 3.267 x their mean are dropped and the mean recomputed, as
  NHSRplotthedots does by default).
* **c-chart** (Poisson limits): centre = baseline mean ``c``; limits = ``c +- 3 sqrt(c)``,
  two-sigma lines at ``c +- 2 sqrt(c)``. With ``chart="auto"`` the c-chart is used when the
  baseline mean is below ``c_chart_below`` (5 a month): there the moving range takes only a
  few distinct values and XmR limits are unstable, while the Poisson variance is a
  reasonable assumption for rare, independent events.

Lower limits and lines are not allowed below zero (a count cannot be negative).

Variation icons
---------------
Each special-cause point is "high" or "low": for ``outside_limits``, ``two_of_three`` and
``shift`` by its side of the centre line, for ``trend`` by the direction of the trend (rules
are consulted in that order when several fire). With ``polarity="down"`` (lower is better,
the default for crime counts) a high point is *concern* and a low point *improvement*;
``"up"`` reverses this; ``"neutral"`` calls both *neither*. Common-cause points are
``common_cause``. The chart's icon is the variation of the latest point with data.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from csplib.methods.models._results import ModelResults, join_notes
from csplib.methods.models._series import (
    as_monthly_counts,
    check_choice,
    check_month,
    format_months,
)

__all__ = ["SPCChart", "SPCResults", "DEFAULT_RULES"]

#: Rule name -> default setting (True/False for on/off rules, run length for runs).
DEFAULT_RULES: dict[str, bool | int] = {
    "outside_limits": True,
    "shift": 7,
    "trend": 7,
    "two_of_three": True,
}
XMR_FACTOR = 2.66
MR_SCREEN_FACTOR = 3.267
MIN_BASELINE_POINTS = 15


def _runs(sign: np.ndarray, length: int) -> np.ndarray:
    """Mark elements of runs of ``length`` or more equal non-zero signs (0 breaks a run)."""
    out = np.zeros(len(sign), dtype=bool)
    start = 0
    for i in range(1, len(sign) + 1):
        if i == len(sign) or sign[i] != sign[start]:
            if sign[start] != 0 and i - start >= length:
                out[start:i] = True
            start = i
    return out


def _rule_outside_limits(y, centre, lower, upper, lower2, upper2, setting):
    flags = (y > upper) | (y < lower)
    return flags, np.sign(y - centre) * flags


def _rule_shift(y, centre, lower, upper, lower2, upper2, setting):
    side = np.sign(y - centre)
    flags = _runs(side, int(setting))
    return flags, side * flags


def _rule_trend(y, centre, lower, upper, lower2, upper2, setting):
    # A trend of L points is L - 1 consecutive differences of the same non-zero sign.
    n = len(y)
    flags = np.zeros(n, dtype=bool)
    direction = np.zeros(n)
    if n < 2:
        return flags, direction
    step = np.sign(np.diff(y))
    marked = _runs(step, int(setting) - 1)
    for j in np.flatnonzero(marked):
        flags[j] = flags[j + 1] = True
        direction[j] = direction[j + 1] = step[j]
    return flags, direction


def _rule_two_of_three(y, centre, lower, upper, lower2, upper2, setting):
    beyond = np.where(y > upper2, 1, np.where(y < lower2, -1, 0))
    flags = np.zeros(len(y), dtype=bool)
    for j in range(len(y) - 2):
        window = beyond[j : j + 3]
        for side in (1, -1):
            if (window == side).sum() >= 2:
                flags[j : j + 3] |= window == side
    return flags, np.sign(y - centre) * flags


#: The rule registry: name -> function(y, centre, lower, upper, lower2, upper2, setting)
#: returning (flags, direction). Order sets precedence for a point's direction.
RULES = {
    "outside_limits": _rule_outside_limits,
    "two_of_three": _rule_two_of_three,
    "shift": _rule_shift,
    "trend": _rule_trend,
}


def _check_rules(rules) -> dict[str, bool | int]:
    if rules is None:
        return dict(DEFAULT_RULES)
    if not isinstance(rules, Mapping):
        raise ValueError(
            f"rules must be a mapping of rule name to setting, e.g. {{'shift': 8}}; got {rules!r}"
        )
    out = dict(DEFAULT_RULES)
    for name, setting in rules.items():
        if name not in DEFAULT_RULES:
            raise ValueError(f"unknown SPC rule {name!r}; rules are {', '.join(DEFAULT_RULES)}")
        if isinstance(DEFAULT_RULES[name], bool):
            if not isinstance(setting, bool):
                raise ValueError(f"rule {name!r} is switched on or off: use True or False")
        elif setting is not False and (
            isinstance(setting, bool) or not isinstance(setting, int) or setting < 2
        ):
            raise ValueError(
                f"rule {name!r} takes a run length (an integer >= 2) or False to switch it off; "
                f"got {setting!r}"
            )
        out[name] = setting
    return out


class SPCChart:
    """A statistical process control chart of monthly counts (NHS Making Data Count style).

    See the module documentation for the limits, the rules and the conventions (a point on
    the mean breaks a shift; equal consecutive values break a trend).

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
        ``"up"`` or ``"neutral"``.
    rules : mapping, optional
        Override :data:`DEFAULT_RULES`: ``{"shift": 8, "two_of_three": False}``.
    chart : {"auto", "xmr", "c"}
        Limits: XmR, Poisson c-chart, or ``"auto"`` (c-chart when the baseline mean is below
        ``c_chart_below``).
    c_chart_below : float
        Baseline mean below which ``"auto"`` uses the c-chart (5).
    screen_outliers : bool
        Drop moving ranges above 3.267 x their mean before computing XmR limits (False, as
        in the MDC Excel tool).

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=20, freq="MS")
    >>> y = pd.Series([20, 22, 19, 21, 20, 23, 18, 21, 20, 22,
    ...                19, 21, 20, 22, 21, 20, 19, 45, 21, 20], index=idx)
    >>> res = SPCChart(y, baseline=12).fit()
    >>> row = res.table.loc["2023-06-01"]
    >>> bool(row["outside_limits"]), row["variation"]
    (True, 'special_cause_concern')
    >>> res.icon
    'common_cause'
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
    ):
        self.series = as_monthly_counts(series)
        index = self.series.index
        if (
            baseline is None
            or isinstance(baseline, int | np.integer)
            and not isinstance(baseline, bool)
        ):
            if baseline is not None and not 2 <= baseline <= len(index):
                raise ValueError(
                    f"baseline must be between 2 and the length of the series ({len(index)}) "
                    f"points; got {baseline}"
                )
        elif isinstance(baseline, tuple | list) and len(baseline) == 2:
            first = check_month(baseline[0], "baseline start", index)
            last = check_month(baseline[1], "baseline end", index)
            if last < first:
                raise ValueError(
                    f"baseline end ({last:%Y-%m}) must not be before its start ({first:%Y-%m})"
                )
            baseline = (first, last)
        else:
            raise ValueError(
                "baseline must be None (all months), an integer number of first months, or a "
                f"(start, end) pair of months; got {baseline!r}"
            )
        self.baseline = baseline
        self.polarity = check_choice(polarity, "polarity", ("down", "up", "neutral"))
        self.rules = _check_rules(rules)
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

    def fit(self) -> SPCResults:
        """Compute the limits and apply the rules.

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
        in_base = pd.Series(False, index=obs.index)
        if self.baseline is None:
            in_base[:] = True
        elif isinstance(self.baseline, tuple):
            in_base[self.baseline[0] : self.baseline[1]] = True
        else:
            in_base.iloc[: self.baseline] = True
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
            table = _empty_table(y)
            return SPCResults(
                table,
                icon="none",
                config={**config, "chart_used": None},
                method="none (fewer than 2 baseline points with data)",
                note=join_notes(
                    f"No chart: the baseline has {len(base)} month(s) with data; at least 2 "
                    "are needed (15 or more recommended).",
                    *notes,
                ),
            )
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
            mr = np.abs(np.diff(base.to_numpy()))
            mr_bar = float(mr.mean())
            if self.screen_outliers:
                kept = mr[mr < MR_SCREEN_FACTOR * mr_bar]
                if len(kept) < len(mr):
                    notes.append(
                        f"{len(mr) - len(kept)} moving range(s) above {MR_SCREEN_FACTOR} x "
                        "their mean were left out of the limits."
                    )
                mr_bar = float(kept.mean()) if len(kept) else mr_bar
            half = XMR_FACTOR * mr_bar
            method = "XmR chart (mean +- 2.66 x mean moving range)"
        if centre == 0:
            notes.append("Every baseline month is zero: the limits collapse to zero.")
        upper, lower = centre + half, max(centre - half, 0.0)
        upper2, lower2 = centre + 2 * half / 3, max(centre - 2 * half / 3, 0.0)
        values = obs.to_numpy()
        flags = {}
        direction = np.zeros(len(values))
        for name, rule in RULES.items():
            setting = self.rules[name]
            if setting is False:
                flags[name] = np.zeros(len(values), dtype=bool)
                continue
            f, d = rule(values, centre, lower, upper, lower2, upper2, setting)
            flags[name] = f
            direction = np.where((direction == 0) & f, d, direction)
        special = np.logical_or.reduce(list(flags.values()))
        variation = np.array(
            [_variation(s, d, self.polarity) for s, d in zip(special, direction, strict=True)],
            dtype=object,
        )
        table = pd.DataFrame(
            {
                "value": values,
                "centre": centre,
                "lower": lower,
                "upper": upper,
                "lower_2sigma": lower2,
                "upper_2sigma": upper2,
                "baseline": in_base.to_numpy(),
                **flags,
                "special_cause": special,
                "direction": np.where(direction > 0, "high", np.where(direction < 0, "low", "")),
                "variation": variation,
            },
            index=obs.index,
        ).reindex(y.index)
        for name in [*RULES, "special_cause", "baseline"]:
            table[name] = table[name].astype("boolean").fillna(False).astype(bool)
        table["value"] = y
        last = table.dropna(subset=["value"]).iloc[-1]
        icon = last["variation"] + (f"_{last['direction']}" if last["direction"] else "")
        return SPCResults(
            table,
            icon=icon,
            config={
                **config,
                "chart_used": "c-chart" if chart == "c" else "XmR",
                "mean_moving_range": mr_bar,
            },
            method=method,
            note=join_notes(*notes),
        )


def _variation(special: bool, direction: float, polarity: str) -> str:
    if not special:
        return "common_cause"
    if polarity == "neutral" or direction == 0:
        return "special_cause_neither"
    better = 1 if polarity == "up" else -1
    return "special_cause_improvement" if direction == better else "special_cause_concern"


def _empty_table(y: pd.Series) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "value": y,
            "centre": np.nan,
            "lower": np.nan,
            "upper": np.nan,
            "lower_2sigma": np.nan,
            "upper_2sigma": np.nan,
            "baseline": False,
        },
        index=y.index,
    )
    for name in RULES:
        table[name] = False
    table["special_cause"] = False
    table["direction"] = ""
    table["variation"] = "common_cause"
    return table


class SPCResults(ModelResults):
    """Results of :class:`SPCChart`.

    Attributes
    ----------
    table : DataFrame
        One row per month: ``value``, ``centre``, ``lower``, ``upper`` (process limits),
        ``lower_2sigma``, ``upper_2sigma``, ``baseline`` (used for the limits), one boolean
        column per rule, ``special_cause``, ``direction`` (high / low) and ``variation``
        (``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neither``). Missing months have a missing value and no flags.
    icon : str
        Variation of the latest point, with ``_high`` / ``_low`` for special causes,
        e.g. ``"special_cause_concern_high"`` (the MDC variation icon).
    """

    def __init__(self, table, *, icon, config, method, note=""):
        super().__init__(config=config, method=method, note=note)
        self.table = table
        self.icon = icon

    def plot(self, ax=None, title: str | None = None):
        """The SPC chart in the MDC look; returns the Axes."""
        from csplib.present.charts.models import plot_spc

        return plot_spc(self.table, ax=ax, title=title)
