"""The Covid-19 restrictions, and trends whose window meets them.

Police-recorded crime and anti-social behaviour moved far from their usual levels while the
national lockdowns of 2020 and 2021 were in force: victim-based crime fell by about a third
in the first weeks and ASB rose by about half. A trend fitted to a window that *starts* in
those months measures the recovery from an unusual low (a partnership whose police.uk data
begin in May 2020 sees violence "rise by 14.5% a year"); one that *spans* them is pulled by
them. This module defines the period once (:data:`RESTRICTIONS`) and the one rule every
chapter applies to a trend window that meets it (:func:`restriction_rule`,
:func:`restriction_trend`).

The period, by month
--------------------
March 2020 to June 2021 (:data:`RESTRICTIONS`), the months when national restrictions on
movement and mixing were in force in England:

* first national lockdown from 23 March 2020, eased in steps from 13 May to 4 July 2020;
* second national lockdown, 5 November to 2 December 2020 (tiers before and after);
* third national lockdown from 6 January 2021, eased in steps from 8 March: non-essential
  retail on 12 April, indoor hospitality on 17 May, most legal limits ended on 19 July 2021.

March 2020 is in the period (the lockdown began on the 23rd; the interrupted time series of
the threat chapter leaves it out as a transition month). July 2021 is not: from 17 May the
remaining limits were light, and they ended on the 19th. Wales differed in detail (a
"firebreak" from 23 October to 9 November 2020, a lockdown from 20 December 2020, limits
lifted by 7 August 2021); the same months cover its lockdowns. The dates are
:data:`NATIONAL_LOCKDOWNS`.

The rule
--------
For a series over a trend window (:func:`restriction_rule`):

* **none**: no month of the window with data falls in the restrictions; the trend is
  fitted as usual;
* **left out**: the restriction months are left out of the trend fit, so the annual
  change is the underlying trend of the other months, net of the lockdowns. In the count
  GLM this is the same as giving each restriction month its own level (an indicator per
  month): those months then fit exactly and carry no information about the trend. One
  level-change indicator for the whole period would not do: crime recovered between the
  lockdowns (summer 2020) and fell again, so a single step leaves that movement in the
  trend. The rule assumes the underlying trend ran on through the restrictions (a lasting
  change of level after them reads as trend; the threat chapter's interrupted time series
  estimates what the first lockdown did). It is done when at least ``min_months`` months
  with data remain outside the restrictions;
* **not estimated**: fewer remain (the data start in the restrictions and too few months
  follow them, or the window ends in them with too few before), so no trend is stated and
  the note says why in plain words: the window starts (or ends) during the Covid-19
  lockdowns, when crime was unusually low (or ASB unusually high).

Examples
--------
>>> idx = pd.date_range("2020-05-01", "2023-03-01", freq="MS")
>>> rule = restriction_rule(pd.Series(50.0, index=idx))
>>> rule.rule, rule.used, len(rule.left_out)
('left out', 21, 14)
>>> restriction_rule(pd.Series(50.0, index=idx[:20])).rule
'not estimated'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.methods.models import CountTrend, MannKendallTrend
from csplib.methods.models._series import format_months

__all__ = [
    "RESTRICTIONS",
    "NATIONAL_LOCKDOWNS",
    "RULES",
    "MIN_MONTHS_OUTSIDE",
    "restriction_months",
    "restrictions_text",
    "RestrictionRule",
    "restriction_rule",
    "restriction_trend",
]

#: First and last month of the Covid-19 restrictions (see the module notes).
RESTRICTIONS = (pd.Timestamp("2020-03-01"), pd.Timestamp("2021-06-01"))
#: England's three national lockdowns: name, first day, the day the last of its limits on
#: mixing was lifted or the next regime began.
NATIONAL_LOCKDOWNS = (
    ("first national lockdown", "2020-03-23", "2020-07-04"),
    ("second national lockdown", "2020-11-05", "2020-12-02"),
    ("third national lockdown", "2021-01-06", "2021-07-19"),
)
#: What the rule did with a window: nothing to do, restriction months left out, no trend.
RULES = ("none", "left out", "not estimated")
#: Fewest months with data outside the restrictions for a trend that leaves them out.
MIN_MONTHS_OUTSIDE = 12


def restriction_months(index, period=RESTRICTIONS) -> np.ndarray:
    """Whether each month of ``index`` falls in the Covid-19 restrictions.

    Examples
    --------
    >>> restriction_months(pd.date_range("2020-01-01", periods=4, freq="MS")).tolist()
    [False, False, True, True]
    """
    idx = pd.DatetimeIndex(index)
    return np.asarray((idx >= period[0]) & (idx <= period[1]))


def restrictions_text(period=RESTRICTIONS) -> str:
    """The restrictions period in words.

    Examples
    --------
    >>> restrictions_text()
    'March 2020 to June 2021'
    """
    return f"{period[0]:%B %Y} to {period[1]:%B %Y}"


def _span(months) -> str:
    months = pd.DatetimeIndex(months)
    if len(months) == 1:
        return f"{months[0]:%b %Y}"
    return f"{months[0]:%b %Y} to {months[-1]:%b %Y}"


def _months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


@dataclass(frozen=True)
class RestrictionRule:
    """What :func:`restriction_rule` decided for one series over one window.

    Attributes
    ----------
    rule : {"none", "left out", "not estimated"}
    series : Series
        The series to fit: restriction months set to NaN when they are left out, and
        leading or trailing months without data dropped.
    left_out : DatetimeIndex
        Restriction months with data in the window (left out, or the reason for no trend).
    used : int
        Months with data the trend uses (or would use).
    note : str
        The rule in plain words (empty for ``"none"``).
    """

    rule: str
    series: pd.Series
    left_out: pd.DatetimeIndex
    used: int
    note: str = ""


def _trim(y: pd.Series) -> pd.Series:
    valid = y.index[y.notna()]
    return y.loc[valid[0] : valid[-1]] if len(valid) else y


def restriction_rule(
    series: pd.Series, *, min_months: int = MIN_MONTHS_OUTSIDE, period=RESTRICTIONS
) -> RestrictionRule:
    """The Covid-19 rule for a trend over ``series`` (one window of monthly counts).

    Parameters
    ----------
    series : Series
        Monthly counts over the trend window, NaN where a month has no data.
    min_months : int
        Months with data needed outside the restrictions to leave them out (12).
    period : (Timestamp, Timestamp)
        First and last month of the restrictions (:data:`RESTRICTIONS`).

    Returns
    -------
    RestrictionRule

    Examples
    --------
    A window spanning the restrictions, with months before and after them:

    >>> idx = pd.date_range("2018-04-01", "2025-03-01", freq="MS")
    >>> r = restriction_rule(pd.Series(10.0, index=idx))
    >>> r.rule, r.used
    ('left out', 68)
    >>> print(r.note)  # doctest: +NORMALIZE_WHITESPACE
    The 16 months of Covid-19 restrictions in this window (Mar 2020 to Jun 2021) are left out,
    so the annual change is the trend of the other 68 months, net of the lockdowns.
    """
    y = series.astype(float)
    inside = restriction_months(y.index, period) & y.notna().to_numpy()
    left_out = pd.DatetimeIndex(y.index[inside])
    outside = y.where(~inside)
    used = int(outside.notna().sum())
    if not len(left_out):
        return RestrictionRule("none", _trim(y), left_out, used)
    if used >= min_months:
        note = (
            f"The {_months(len(left_out))} of Covid-19 restrictions in this window "
            f"({_span(left_out)}) {'is' if len(left_out) == 1 else 'are'} left out, so the "
            f"annual change is the trend of the other {_months(used)}, net of the lockdowns."
        )
        valid = outside.index[outside.notna()]
        if valid[-1] < period[0]:
            note += (
                f" No month after the restrictions is in the window, so it is the trend "
                f"before them ({_span(valid)})."
            )
        return RestrictionRule("left out", _trim(outside), left_out, used, note)
    valid = y.index[y.notna()]
    if valid[0] >= period[0] and valid[-1] <= period[1]:
        where = "falls within"
    elif valid[0] >= period[0]:
        where = "starts during"
    else:
        where = "ends during"
    side = "after" if where == "starts during" else "outside"
    note = (
        f"No trend is stated: this window {where} the Covid-19 lockdowns "
        f"({_months(len(left_out))}, {_span(left_out)}, fall in the restrictions of "
        f"{restrictions_text(period)}), when crime was unusually low and anti-social "
        f"behaviour unusually high, and the {_months(used)} {side} them "
        f"{'is' if used == 1 else 'are'} too few to estimate the trend without them (at least "
        f"{min_months} are needed)."
    )
    return RestrictionRule("not estimated", _trim(y), left_out, used, note)


def _without_gap_note(note: str, series: pd.Series, left_out) -> str:
    """``note`` with the restriction months taken out of the "No data for ... (left out)."
    a model writes for the months of ``series`` without data: they had data."""
    missing = series.index[series.isna()]
    if not len(missing):
        return note
    genuine = missing.difference(left_out)
    gap = f"No data for {format_months(genuine)} (left out)." if len(genuine) else ""
    return " ".join(note.replace(f"No data for {format_months(missing)} (left out).", gap).split())


def restriction_trend(
    series: pd.Series,
    *,
    level: float = 0.95,
    min_months: int = MIN_MONTHS_OUTSIDE,
    mann_kendall: bool = False,
    period=RESTRICTIONS,
) -> tuple[dict, RestrictionRule]:
    """The annual % change of ``series`` under the Covid-19 rule.

    Fits :class:`csplib.methods.models.CountTrend` (and, when asked,
    :class:`csplib.methods.models.MannKendallTrend`) to the months the rule keeps.

    Parameters
    ----------
    series : Series
        Monthly counts over the trend window (NaN = no data).
    level : float
        Confidence level (0.95).
    min_months : int
        Months with data needed outside the restrictions (12).
    mann_kendall : bool
        Add ``mk_tau`` and ``mk_p_value``.
    period : (Timestamp, Timestamp)
        The restrictions (:data:`RESTRICTIONS`).

    Returns
    -------
    (dict, RestrictionRule)
        The trend row (:meth:`csplib.methods.models.TrendResults.row`: NaN estimates and
        ``method`` ``"none (Covid-19 restrictions)"`` when not estimated) with
        ``months_used``, ``covid_months`` (restriction months with data in the window) and
        ``covid_rule``; and the rule.

    Examples
    --------
    Flat at 40 a month, data starting in May 2020 at a lockdown low of half that:

    >>> idx = pd.date_range("2020-05-01", "2024-03-01", freq="MS")
    >>> mu = np.where(idx <= "2021-06-01", 20, 40)
    >>> y = pd.Series(np.random.default_rng(1).poisson(mu), index=idx)
    >>> naive = CountTrend(y).fit().row()
    >>> bool(naive["annual_change_pct"] > 10 and naive["p_value"] < 0.001)  # a false rise
    True
    >>> row, rule = restriction_trend(y)
    >>> row["covid_rule"], row["months_used"], bool(row["p_value"] > 0.05)
    ('left out', 33, True)
    """
    rule = restriction_rule(series, min_months=min_months, period=period)
    row = {
        "months_used": rule.used,
        "covid_months": len(rule.left_out),
        "covid_rule": rule.rule,
    }
    if rule.rule == "not estimated":
        row.update(
            annual_change_pct=np.nan,
            lower_pct=np.nan,
            upper_pct=np.nan,
            p_value=np.nan,
            family=None,
            method="none (Covid-19 restrictions)",
            note=rule.note,
        )
        if mann_kendall:
            row.update(mk_tau=np.nan, mk_p_value=np.nan)
        return row, rule
    fit = CountTrend(rule.series, level=level).fit().row()
    note = fit.pop("note")
    if rule.rule == "left out":
        rest = _without_gap_note(note, rule.series, rule.left_out)
        note = f"{rule.note} {rest}".strip()
    row.update(fit, note=note)
    if mann_kendall:
        mk = MannKendallTrend(rule.series).fit()
        row.update(mk_tau=mk.tau, mk_p_value=mk.p_value)
    return row, rule
