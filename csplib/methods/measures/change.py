"""Change between two periods and direction of travel, with a test suited to the measure.

The partnership's tables report, for each measure, the volume change, the % change (or the
percentage-point change for rates of people and survey results) and a **direction of
travel**: ↑ or ↓ when the change is statistically significant, ↔ when it is not ("no
significant change"). Whether a significant change is *good* or *bad* follows the measure's
polarity.

Tests (registry :data:`TESTS`, chosen by the measure's aggregation):

``poisson`` (counts and rates)
    Two Poisson counts x1, x2 with exposures e1, e2 (months with data x population):
    conditional on n = x1 + x2, x1 ~ Binomial(n, e1 / (e1 + e2)) under "no change in the
    rate"; the exact test is :func:`scipy.stats.binomtest`. For large n (above
    ``EXACT_LIMIT``, or ``method="normal"``) the normal approximation
    z = (x1 - n p0) / sqrt(n p0 (1 - p0)) is used (the score test).
``two_proportion`` (shares of victims or of a denominator)
    Pooled two-proportion z-test, :func:`statsmodels.stats.proportion.proportions_ztest`.
``survey`` (survey proportions)
    The survey's confidence interval for the difference of two proportions from the sample
    sizes, se = sqrt(deff (p1 q1 / n1 + p2 q2 / n2)); significant when the interval for the
    difference excludes 0.
``harm`` (harm scores)
    Normal test on the difference of harm rates, with Poisson variance sum(w^2 x).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

from scipy import stats
from statsmodels.stats.proportion import proportions_ztest

from csplib.core.errors import ParamsError
from csplib.methods.measures.measure import POLARITIES, Measure, MeasureValue
from csplib.methods.measures.registry import get_measure
from csplib.methods.measures.significance import (
    TestResult,
    check_alpha,
    check_count,
    poisson_test,
    survey_difference_ci,
)

__all__ = [
    "ARROWS",
    "Change",
    "TESTS",
    "compare",
    "compare_counts",
    "compare_proportions",
    "compare_survey",
]

#: Direction of travel symbols.
ARROWS = {"up": "↑", "down": "↓", "none": "↔"}


@dataclass(frozen=True)
class Change:
    """The change in a measure between a comparison period and the current period.

    Attributes
    ----------
    measure : str
        Measure id (may be empty for plain numbers).
    current, previous : float
        Values in the measure's unit (percentages as 0-100).
    current_period, previous_period : str
        Period labels.
    unit : str
    difference : float
        current - previous, in the measure's unit.
    volume_change : float or None
        Change in the count behind the value (counts and rates; harm score difference for
        harm); None for percentages.
    pct_change : float or None
        Relative change in % (None when the previous value is 0).
    pp_change : float or None
        Percentage-point change (percentage measures only).
    test : TestResult
    alpha : float
    polarity : str
    complete : bool
        False when either value covers only part of its period.

    Examples
    --------
    >>> c = compare_counts(31206, 37486, polarity="lower_is_better")
    >>> c.volume_change, round(c.pct_change, 1), c.arrow, c.outcome
    (-6280.0, -16.8, '↓', 'good')
    """

    measure: str
    current: float
    previous: float
    current_period: str
    previous_period: str
    unit: str
    difference: float
    volume_change: float | None
    pct_change: float | None
    pp_change: float | None
    test: TestResult
    alpha: float
    polarity: str
    complete: bool = True

    @property
    def significant(self) -> bool:
        return self.test.significant

    @property
    def p_value(self) -> float:
        return self.test.p_value

    @property
    def direction(self) -> str:
        """``"up"``, ``"down"`` (significant changes) or ``"none"`` (no significant change)."""
        if not self.significant or not self.difference or math.isnan(self.difference):
            return "none"
        return "up" if self.difference > 0 else "down"

    @property
    def arrow(self) -> str:
        """↑, ↓ or ↔ (↔ = no significant change)."""
        return ARROWS[self.direction]

    @property
    def good(self) -> bool | None:
        """True/False for a significant change of a measure with a polarity; else None."""
        if self.direction == "none" or self.polarity == "neutral":
            return None
        return (self.direction == "down") == (self.polarity == "lower_is_better")

    @property
    def outcome(self) -> str:
        """``"good"``, ``"bad"``, ``"neutral"`` (polarity neutral) or ``"no change"``."""
        if self.direction == "none":
            return "no change"
        if self.good is None:
            return "neutral"
        return "good" if self.good else "bad"

    def to_dict(self) -> dict:
        """A flat record."""
        return {
            "measure": self.measure,
            "current_period": self.current_period,
            "current": self.current,
            "previous_period": self.previous_period,
            "previous": self.previous,
            "unit": self.unit,
            "difference": self.difference,
            "volume_change": self.volume_change,
            "pct_change": self.pct_change,
            "pp_change": self.pp_change,
            "test": self.test.name,
            "p_value": self.test.p_value,
            "ci_low": self.test.ci[0] if self.test.ci else math.nan,
            "ci_high": self.test.ci[1] if self.test.ci else math.nan,
            "significant": self.significant,
            "direction": self.direction,
            "dot": self.arrow,
            "outcome": self.outcome,
            "complete": self.complete,
        }


def _relative(current, previous):
    if previous is None or previous == 0 or math.isnan(previous) or math.isnan(current):
        return None
    return (current - previous) / previous * 100


def _check_polarity(polarity, measure=""):
    """The polarity to use: as given, else the registry measure's, else neutral."""
    if polarity is None:
        polarity = get_measure(measure).polarity if measure else "neutral"
    if polarity not in POLARITIES:
        raise ParamsError(f"polarity must be one of {', '.join(POLARITIES)}, got {polarity!r}")
    return polarity


def compare_counts(
    current,
    previous,
    *,
    polarity: str | None = None,
    exposure_current: float = 1.0,
    exposure_previous: float = 1.0,
    alpha: float = 0.05,
    method: str = "auto",
    current_period: str = "",
    previous_period: str = "",
    measure: str = "",
) -> Change:
    """Compare two counts (Poisson test) and report volume and % change.

    Examples
    --------
    >>> c = compare_counts(18198, 14840, polarity="lower_is_better")
    >>> c.volume_change, round(c.pct_change, 1), c.arrow, c.outcome
    (3358.0, 22.6, '↑', 'bad')
    """
    check_alpha(alpha)
    polarity = _check_polarity(polarity, measure)
    p, name = poisson_test(current, previous, exposure_current, exposure_previous, method=method)
    diff = float(current) - float(previous)
    return Change(
        measure=measure,
        current=float(current),
        previous=float(previous),
        current_period=str(current_period),
        previous_period=str(previous_period),
        unit="count",
        difference=diff,
        volume_change=diff,
        pct_change=_relative(float(current), float(previous)),
        pp_change=None,
        test=TestResult(name, p, p < alpha),
        alpha=alpha,
        polarity=polarity,
    )


def compare_proportions(
    count_current,
    n_current,
    count_previous,
    n_previous,
    *,
    polarity: str | None = None,
    alpha: float = 0.05,
    current_period: str = "",
    previous_period: str = "",
    measure: str = "",
) -> Change:
    """Compare two proportions x/n with the pooled two-proportion z-test.

    Values and the percentage-point change are in percent.

    Examples
    --------
    >>> c = compare_proportions(29, 200, 40, 200)   # 14.5% vs 20.0% of victims
    >>> round(c.pp_change, 1), round(c.p_value, 3), c.arrow
    (-5.5, 0.145, '↔')
    """
    check_alpha(alpha)
    polarity = _check_polarity(polarity, measure)
    x1, n1 = check_count(count_current, "count_current"), check_count(n_current, "n_current")
    x2, n2 = check_count(count_previous, "count_previous"), check_count(n_previous, "n_previous")
    if x1 > n1 or x2 > n2:
        raise ParamsError("a count cannot exceed its denominator")
    name = "two-proportion z-test"
    p1 = 100 * x1 / n1 if n1 else math.nan
    p2 = 100 * x2 / n2 if n2 else math.nan
    if n1 == 0 or n2 == 0:
        test = TestResult(name + " (not tested: an empty denominator)", math.nan, False)
    elif x1 + x2 in (0, n1 + n2):
        test = TestResult(name, 1.0, False)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            _, p = proportions_ztest([x1, x2], [n1, n2])
        test = TestResult(name, float(p), bool(p < alpha))
    diff = p1 - p2
    return Change(
        measure=measure,
        current=p1,
        previous=p2,
        current_period=str(current_period),
        previous_period=str(previous_period),
        unit="percentage",
        difference=diff,
        volume_change=None,
        pct_change=_relative(p1, p2),
        pp_change=diff,
        test=test,
        alpha=alpha,
        polarity=polarity,
    )


def compare_survey(
    pct_current: float,
    n_current: float,
    pct_previous: float,
    n_previous: float,
    *,
    polarity: str | None = None,
    alpha: float = 0.05,
    design_effect: float = 1.0,
    current_period: str = "",
    previous_period: str = "",
    measure: str = "",
) -> Change:
    """Compare two survey percentages (0-100) using the CI of their difference.

    Significant when the ``1 - alpha`` interval for the difference excludes 0.

    Examples
    --------
    >>> c = compare_survey(9.2, 2000, 8.5, 2000)
    >>> round(c.pp_change, 1), c.arrow, c.outcome
    (0.7, '↔', 'no change')
    """
    check_alpha(alpha)
    polarity = _check_polarity(polarity, measure)
    lo, hi = survey_difference_ci(
        pct_current / 100,
        n_current,
        pct_previous / 100,
        n_previous,
        alpha=alpha,
        design_effect=design_effect,
    )
    diff = float(pct_current) - float(pct_previous)
    se = (hi - lo) / 2 / stats.norm.ppf(1 - alpha / 2)
    p = float(2 * stats.norm.sf(abs(diff / 100) / se)) if se > 0 else math.nan
    deff = f", design effect {design_effect:g}" if design_effect != 1 else ""
    test = TestResult(
        f"survey CI for the difference ({100 * (1 - alpha):g}%{deff})",
        p,
        bool(lo > 0 or hi < 0),
        (100 * lo, 100 * hi),
    )
    return Change(
        measure=measure,
        current=float(pct_current),
        previous=float(pct_previous),
        current_period=str(current_period),
        previous_period=str(previous_period),
        unit="percentage",
        difference=diff,
        volume_change=None,
        pct_change=_relative(float(pct_current), float(pct_previous)),
        pp_change=diff,
        test=test,
        alpha=alpha,
        polarity=polarity,
    )


# -- comparing measure values -----------------------------------------------------------


def _poisson_values(cur: MeasureValue, prev: MeasureValue, polarity, alpha, method, measure):
    change = compare_counts(
        cur.numerator,
        prev.numerator,
        polarity=polarity,
        exposure_current=cur.exposure,
        exposure_previous=prev.exposure,
        alpha=alpha,
        method=method,
        current_period=cur.period.label,
        previous_period=prev.period.label,
        measure=measure,
    )
    if cur.unit == "count":
        return change
    return replace(
        change,
        current=cur.value,
        previous=prev.value,
        unit=cur.unit,
        difference=cur.value - prev.value,
        pct_change=_relative(cur.value, prev.value),
    )


def _proportion_values(cur: MeasureValue, prev: MeasureValue, polarity, alpha, method, measure):
    return compare_proportions(
        round(cur.numerator),
        round(cur.denominator or 0),
        round(prev.numerator),
        round(prev.denominator or 0),
        polarity=polarity,
        alpha=alpha,
        current_period=cur.period.label,
        previous_period=prev.period.label,
        measure=measure,
    )


def _survey_values(cur: MeasureValue, prev: MeasureValue, polarity, alpha, method, measure):
    return compare_survey(
        cur.value,
        cur.denominator,
        prev.value,
        prev.denominator,
        polarity=polarity,
        alpha=alpha,
        design_effect=max(cur.design_effect, prev.design_effect),
        current_period=cur.period.label,
        previous_period=prev.period.label,
        measure=measure,
    )


def _harm_values(cur: MeasureValue, prev: MeasureValue, polarity, alpha, method, measure):
    r1, r2 = cur.value / cur.exposure, prev.value / prev.exposure
    var = (cur.variance or 0) / cur.exposure**2 + (prev.variance or 0) / prev.exposure**2
    z = stats.norm.ppf(1 - alpha / 2)
    scale = cur.exposure  # express the interval on the current period's scale
    if var > 0:
        p = float(2 * stats.norm.sf(abs(r1 - r2) / math.sqrt(var)))
        ci = ((r1 - r2 - z * math.sqrt(var)) * scale, (r1 - r2 + z * math.sqrt(var)) * scale)
    else:
        p, ci = (1.0 if r1 == r2 else math.nan), None
    diff = cur.value - prev.value
    return Change(
        measure=measure,
        current=cur.value,
        previous=prev.value,
        current_period=cur.period.label,
        previous_period=prev.period.label,
        unit=cur.unit,
        difference=diff,
        volume_change=diff,
        pct_change=_relative(cur.value, prev.value),
        pp_change=None,
        test=TestResult("harm (normal, Poisson variance)", p, bool(p < alpha), ci),
        alpha=alpha,
        polarity=polarity,
    )


#: Tests by name, as named by each aggregation's ``test`` (see the module notes).
TESTS: dict[str, Callable] = {
    "poisson": _poisson_values,
    "two_proportion": _proportion_values,
    "survey": _survey_values,
    "harm": _harm_values,
}


def compare(
    current: MeasureValue,
    previous: MeasureValue,
    *,
    polarity: str | None = None,
    measure: Measure | str | None = None,
    alpha: float = 0.05,
    method: str = "auto",
) -> Change:
    """Compare two computed values of the same measure, with the test the measure calls for.

    Parameters
    ----------
    current, previous : MeasureValue
    polarity : str, optional
        Defaults to the measure's polarity (``measure=`` or the registry entry of
        ``current.measure``).
    measure : Measure or str, optional
    alpha : float, default 0.05
    method : {"auto", "exact", "normal"}
        For Poisson tests (see :func:`poisson_test`).

    Returns
    -------
    Change
        ``complete`` is False when either value covers only part of its period.

    Examples
    --------
    >>> import pandas as pd
    >>> months = pd.date_range("2019-04-01", "2020-03-01", freq="MS")
    >>> incidents = pd.DataFrame({"month": months.repeat(3),
    ...                           "category": ["Robbery", "Robbery", "Drugs"] * 12})
    >>> from csplib.methods.measures.registry import compute
    >>> q1 = compute("robbery", incidents, "Q1 2019/20")
    >>> q4 = compute("robbery", incidents, "Q4 2019/20")
    >>> c = compare(q4, q1)
    >>> c.current, c.previous, c.arrow, c.test.name
    (6.0, 6.0, '↔', 'exact Poisson (conditional binomial)')
    """
    check_alpha(alpha)
    if current.measure != previous.measure or current.unit != previous.unit:
        raise ParamsError(
            f"cannot compare {current.measure} ({current.unit}) with "
            f"{previous.measure} ({previous.unit})"
        )
    if polarity is None:
        m = measure if measure is not None else current.measure
        polarity = get_measure(m).polarity if isinstance(m, str) else m.polarity
    polarity = _check_polarity(polarity, measure)
    if current.test not in TESTS:
        raise ParamsError(f"no test registered under {current.test!r}")
    change = TESTS[current.test](current, previous, polarity, alpha, method, current.measure)
    if not (current.complete and previous.complete):
        change = replace(change, complete=False)
    return change
