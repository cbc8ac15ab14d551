"""Special-cause rules and the Making Data Count classification, as NHSRplotthedots has them.

The functions here work on plain arrays of the points with data, in time order, and are
shared by :class:`~csplib.methods.models.SPCChart` (XmR and c-charts) and
:class:`~csplib.methods.models.LaneyChart` (u' and p' charts, whose limits vary by point).
By default they reproduce the rule code of the NHS-R Community package NHSRplotthedots
(``ptd_spc_standard``, ``ptd_calculate_point_type``, ``ptd_calculate_assurance_type``),
which mimics NHS England's Making Data Count (MDC) Excel tool.

Rules
-----
``outside_limits``
    A point above the upper or below the lower process limit.
``trend``
    A run of ``7`` or more consecutive points each strictly higher than the one before (or
    each strictly lower). Two equal consecutive values break a trend. Every point of the run
    is flagged. A trend may cross the mean.
``two_of_three``
    Two or three of three consecutive points *close to a limit* (beyond the two-sigma line but
    not beyond the process limit), with all three points on the same side of the mean (a point
    exactly on the mean is on neither side). Only the points close to a limit are flagged.
    A point beyond the process limit does not count as close (it is already
    ``outside_limits``), but it does count as one of the three points on that side. With
    ``"western_electric"`` instead of ``True`` the rule is read as in the Western Electric
    *Statistical Quality Control Handbook* (1956) and Minitab's "Test 5": points beyond the
    limit count as beyond the two-sigma line, and the third point may be anywhere.
``shift``
    A run of ``7`` or more consecutive points all above or all below the mean. A point exactly
    on the mean breaks the run. Every point of the run is flagged.

Direction of a special-cause point
----------------------------------
When several rules flag a point, its direction comes from the first in this order (NHSR's
``ptd_special_cause_type``): ``outside_limits`` (its side of the mean), ``trend`` (the
direction of the trend, whatever the side of the mean: a rising run of seven below the mean
is *high*), ``two_of_three`` (side of the mean), ``shift`` (side of the mean). A point in a
trend takes the direction of the step to the next point when the next point is also in a
trend, otherwise the step from the point before; NHSR reads a flat step there as
*decreasing*, and so does this code (it can happen only where one trend ends with the value
the next one starts from).

Classification (Making Data Count)
----------------------------------
A point's ``variation`` is ``common_cause``, ``special_cause_concern``,
``special_cause_improvement`` or ``special_cause_neither`` (no better direction: NHSR's
``special_cause_neutral``), and its ``direction`` ``high`` or ``low``; together they give the
MDC variation icon, e.g. ``special_cause_concern_high`` (:func:`variation_key`), with a
plain-English reading in :data:`VARIATION_LABELS`. The chart's variation is that of its latest
point with data. The assurance against a target (:func:`assurance`) compares the target with
the process limits: ``consistent_pass``, ``consistent_fail`` or ``inconsistent`` ("hit and
miss"), read in :data:`ASSURANCE_LABELS`; none without a target or when no direction is
better.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from csplib.methods.models._series import check_month

__all__ = [
    "DEFAULT_RULES",
    "RULE_ORDER",
    "VARIATION_LABELS",
    "ASSURANCE_LABELS",
    "check_rules",
    "check_baseline",
    "baseline_mask",
    "shift_flags",
    "trend_flags",
    "two_of_three_flags",
    "apply_rules",
    "variation_key",
    "assurance",
]

#: Rule name -> default setting (True/False for on/off rules, run length for runs).
DEFAULT_RULES: dict[str, bool | int | str] = {
    "outside_limits": True,
    "shift": 7,
    "trend": 7,
    "two_of_three": True,
}
#: The order in which rules set a special-cause point's direction (NHSRplotthedots').
RULE_ORDER = ("outside_limits", "trend", "two_of_three", "shift")
#: Readings of the two-of-three rule: NHSRplotthedots / MDC (True) or Western Electric.
TWO_OF_THREE_READINGS = (True, False, "western_electric")

#: Variation key (variation, with ``_high`` / ``_low`` for special causes) -> plain English.
VARIATION_LABELS = {
    "common_cause": "Common cause: no significant change",
    "special_cause_concern_high": "Special cause of concern: significantly higher",
    "special_cause_concern_low": "Special cause of concern: significantly lower",
    "special_cause_improvement_high": "Special cause of improvement: significantly higher",
    "special_cause_improvement_low": "Special cause of improvement: significantly lower",
    "special_cause_neither_high": "Special cause, neither improvement nor concern: "
    "significantly higher",
    "special_cause_neither_low": "Special cause, neither improvement nor concern: "
    "significantly lower",
    "none": "No chart: too few months with data",
}
#: Assurance against a target -> plain English (MDC's assurance icons).
ASSURANCE_LABELS = {
    "consistent_pass": "Consistently passing: the target lies beyond the process limits on "
    "the better side, so it will be met every month unless the process changes",
    "consistent_fail": "Consistently failing: the target lies beyond the process limits on "
    "the worse side, so it will be missed every month unless the process changes",
    "inconsistent": "Hit and miss: the target lies within the process limits, so it will be "
    "met in some months and missed in others by chance alone",
}


def check_rules(rules) -> dict[str, bool | int | str]:
    """Validate rule overrides and return the full rule settings.

    Examples
    --------
    >>> check_rules({"shift": 8})["shift"]
    8
    >>> check_rules({"two_of_three": "western_electric"})["two_of_three"]
    'western_electric'
    """
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
        if name == "two_of_three":
            if not any(setting is r or setting == r for r in TWO_OF_THREE_READINGS) or (
                isinstance(setting, int | float) and not isinstance(setting, bool)
            ):
                raise ValueError(
                    "rule 'two_of_three' takes True (the NHS reading), False or "
                    f"'western_electric'; got {setting!r}"
                )
        elif name == "outside_limits":
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


def check_baseline(baseline, index: pd.DatetimeIndex):
    """Validate a baseline: None, a number of first points, or a (start, end) pair of months.

    Returns the baseline with months as Timestamps.

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=6, freq="MS")
    >>> check_baseline(("2022-01", "2022-03"), idx)[1]
    Timestamp('2022-03-01 00:00:00')
    """
    if baseline is None:
        return None
    if isinstance(baseline, int | np.integer) and not isinstance(baseline, bool):
        if not 2 <= baseline <= len(index):
            raise ValueError(
                f"baseline must be between 2 and the length of the series ({len(index)}) "
                f"points; got {baseline}"
            )
        return int(baseline)
    if isinstance(baseline, tuple | list) and len(baseline) == 2:
        first = check_month(baseline[0], "baseline start", index)
        last = check_month(baseline[1], "baseline end", index)
        if last < first:
            raise ValueError(
                f"baseline end ({last:%Y-%m}) must not be before its start ({first:%Y-%m})"
            )
        return (first, last)
    raise ValueError(
        "baseline must be None (all months), an integer number of first months, or a "
        f"(start, end) pair of months; got {baseline!r}"
    )


def baseline_mask(obs_index: pd.DatetimeIndex, baseline) -> np.ndarray:
    """Which points with data set the limits, for a baseline from :func:`check_baseline`.

    An integer baseline counts points with data (NHSR's ``fix_after_n_points``).

    Examples
    --------
    >>> idx = pd.date_range("2022-01-01", periods=4, freq="MS")
    >>> baseline_mask(idx, 2).tolist()
    [True, True, False, False]
    """
    mask = np.zeros(len(obs_index), dtype=bool)
    if baseline is None:
        mask[:] = True
    elif isinstance(baseline, tuple):
        mask[(obs_index >= baseline[0]) & (obs_index <= baseline[1])] = True
    else:
        mask[:baseline] = True
    return mask


def _run_marks(sign: np.ndarray, length: int) -> np.ndarray:
    """Mark every element of a run of ``length`` or more equal non-zero signs."""
    sign = np.asarray(sign)
    n = len(sign)
    out = np.zeros(n, dtype=bool)
    if n == 0:
        return out
    change = np.flatnonzero(np.diff(sign) != 0) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, n]
    for s, e in zip(starts, ends, strict=True):
        if sign[s] != 0 and e - s >= length:
            out[s:e] = True
    return out


def shift_flags(side, length: int = 7) -> np.ndarray:
    """Points in a run of ``length`` or more on one side of the mean (side 0 breaks a run).

    ``side`` is the sign of each point's difference from the mean.

    Examples
    --------
    >>> shift_flags([1] * 8 + [-1]).astype(int).tolist()
    [1, 1, 1, 1, 1, 1, 1, 1, 0]
    """
    return _run_marks(np.sign(np.asarray(side, dtype=float)), int(length))


def trend_flags(values, length: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Points in a run of ``length`` or more strict rises (or falls), and their direction.

    The direction is NHSRplotthedots': the step to the next point when that point is also in a
    trend, else the step from the point before; ``+1`` for a rise and ``-1`` otherwise (a
    flat step counts as a fall, as in NHSR). It is 0 for points not in a trend.

    Examples
    --------
    >>> flags, direction = trend_flags([2, 1, 2, 3, 4, 5, 6, 7, 3])
    >>> flags.astype(int).tolist()
    [0, 1, 1, 1, 1, 1, 1, 1, 0]
    >>> direction.tolist()
    [0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    flags = np.zeros(n, dtype=bool)
    direction = np.zeros(n)
    if n < 2:
        return flags, direction
    step = np.sign(np.diff(y))
    marked = _run_marks(step, int(length) - 1)
    flags[:-1] |= marked
    flags[1:] |= marked
    right = np.r_[step, step[-1]]
    left = np.r_[0.0, step]
    use_right = flags & np.r_[flags[1:], False]
    chosen = np.where(use_right, right, left)
    direction = np.where(flags, np.where(chosen == 1, 1.0, -1.0), 0.0)
    return flags, direction


def two_of_three_flags(close, side) -> np.ndarray:
    """NHSR's two-of-three: points close to a limit, two or more of them among three
    consecutive points that are all on one side of the mean.

    ``close`` marks points beyond the two-sigma line but within the process limits;
    ``side`` is the sign of each point's difference from the mean.

    Examples
    --------
    >>> two_of_three_flags([0, 0, 1, 0, 1, 0, 0], [1] * 7).astype(int).tolist()
    [0, 0, 1, 0, 1, 0, 0]
    >>> two_of_three_flags([1, 0, 1], [1, -1, 1]).astype(int).tolist()
    [0, 0, 0]
    """
    close = np.asarray(close, dtype=bool)
    side = np.sign(np.asarray(side, dtype=float))
    flags = np.zeros(len(close), dtype=bool)
    if len(close) < 3:
        return flags
    c = sliding_window_view(close.astype(int), 3)
    s = sliding_window_view(side, 3)
    hit = (c.sum(axis=1) >= 2) & (np.abs(s.sum(axis=1)) == 3)
    for k in range(3):
        flags[k : k + len(hit)] |= hit
    return flags & close


def _two_of_three_western_electric(y, lower2, upper2) -> np.ndarray:
    beyond = np.where(y > upper2, 1, np.where(y < lower2, -1, 0))
    flags = np.zeros(len(y), dtype=bool)
    if len(y) < 3:
        return flags
    w = sliding_window_view(beyond, 3)
    for s in (1, -1):
        hit = (w == s).sum(axis=1) >= 2
        for k in range(3):
            flags[k : k + len(hit)] |= hit & (w[:, k] == s)
    return flags


def apply_rules(values, centre, lower, upper, lower2, upper2, rules, polarity: str) -> dict:
    """Apply the special-cause rules and classify each point.

    Parameters
    ----------
    values : array
        The points with data, in time order.
    centre, lower, upper, lower2, upper2 : float or array
        Mean, process limits and two-sigma lines (per point for charts whose limits vary).
    rules : mapping
        Settings from :func:`check_rules`.
    polarity : {"down", "up", "neutral"}
        Which direction is better.

    Returns
    -------
    dict
        One boolean array per rule, ``special_cause``, ``rule`` (the rule that set the
        direction, or ``""``), ``direction`` (+1 high, -1 low, 0 common cause) and
        ``variation``.

    Examples
    --------
    >>> out = apply_rules(np.arange(1.0, 8.0), 10.0, 0.0, 20.0, 3.0, 17.0,
    ...                   check_rules(None), "down")
    >>> bool(out["trend"].all()), bool(out["shift"].all()), out["variation"][0]
    (True, True, 'special_cause_concern')
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    side = np.sign(y - centre)
    outside = (y > upper) | (y < lower)
    flags = {name: np.zeros(n, dtype=bool) for name in RULE_ORDER}
    dirs = {name: np.zeros(n) for name in RULE_ORDER}
    above = np.where(side > 0, 1.0, -1.0)
    if rules["outside_limits"]:
        flags["outside_limits"] = outside
        dirs["outside_limits"] = np.where(side == 1, 1.0, -1.0)
    if rules["trend"] is not False:
        flags["trend"], dirs["trend"] = trend_flags(y, rules["trend"])
    if rules["two_of_three"] == "western_electric":
        flags["two_of_three"] = _two_of_three_western_electric(y, lower2, upper2)
    elif rules["two_of_three"]:
        close = ~outside & ((y < lower2) | (y > upper2))
        flags["two_of_three"] = two_of_three_flags(close, side)
    dirs["two_of_three"] = above
    if rules["shift"] is not False:
        flags["shift"] = shift_flags(side, rules["shift"])
    dirs["shift"] = above
    direction = np.zeros(n)
    rule = np.full(n, "", dtype=object)
    for name in reversed(RULE_ORDER):  # the first rule in RULE_ORDER wins
        f = flags[name]
        direction = np.where(f, dirs[name], direction)
        rule = np.where(f, name, rule)
    special = np.logical_or.reduce([flags[name] for name in RULE_ORDER])
    variation = np.full(n, "common_cause", dtype=object)
    if polarity == "neutral":
        variation[special] = "special_cause_neither"
    else:
        better = 1.0 if polarity == "up" else -1.0
        variation[special & (direction == better)] = "special_cause_improvement"
        variation[special & (direction == -better)] = "special_cause_concern"
    return {
        **flags,
        "special_cause": special,
        "rule": rule,
        "direction": direction,
        "variation": variation,
    }


def variation_key(variation: str, direction: str) -> str:
    """The MDC variation icon of a point: ``variation`` with ``_high`` or ``_low``.

    Examples
    --------
    >>> variation_key("special_cause_concern", "high")
    'special_cause_concern_high'
    >>> variation_key("common_cause", "")
    'common_cause'
    """
    return variation + (f"_{direction}" if direction and variation != "common_cause" else "")


def assurance(target, lower: float, upper: float, polarity: str) -> str | None:
    """MDC assurance of a target against the process limits, as NHSRplotthedots computes it.

    A target above the upper limit is consistently passed when lower is better
    (``polarity="down"``) and consistently failed when higher is better; below the lower
    limit the reverse; between or on the limits it is hit and miss (``"inconsistent"``).
    None without a target or with ``polarity="neutral"``. The limits are the process limits
    before any clipping at zero.

    Examples
    --------
    >>> assurance(4, lower=1, upper=3, polarity="up")
    'consistent_fail'
    >>> assurance(4, lower=5, upper=7, polarity="up")
    'consistent_pass'
    >>> assurance(4, lower=1, upper=5, polarity="down")
    'inconsistent'
    """
    if target is None or polarity == "neutral" or not np.isfinite(lower + upper):
        return None
    if target > upper:
        return "consistent_fail" if polarity == "up" else "consistent_pass"
    if target < lower:
        return "consistent_pass" if polarity == "up" else "consistent_fail"
    return "inconsistent"
