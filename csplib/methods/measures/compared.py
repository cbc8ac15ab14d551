"""Comparing a measure over two periods by the one comparison rule.

:func:`compare_values` compares two computed values of a measure as every chapter does
(:mod:`csplib.core.comparison`): every month when both cover their whole period, else
the months present in both (like-for-like, recomputed over those months), else not at all,
saying why. :func:`compare_periods` computes a measure over a period and the period it is
compared with, and compares them so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from csplib.core.comparison import Comparison, compare_months
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures.change import Change, compare
from csplib.methods.measures.measure import Measure, MeasureValue
from csplib.methods.measures.registry import get_measure

__all__ = ["ComparedValues", "compare_periods", "compare_values"]


@dataclass(frozen=True)
class ComparedValues:
    """Two values of a measure compared by the one comparison rule (:func:`compare_values`).

    Attributes
    ----------
    comparison : csplib.core.comparison.Comparison
        Which months are compared (all, like-for-like, or none, with why).
    current, previous : MeasureValue or None
        The values over the months compared (the values given when every month is
        compared; None when the comparison is dropped).
    change : Change or None
        The change between them (None when dropped).
    """

    comparison: Comparison
    current: MeasureValue | None
    previous: MeasureValue | None
    change: Change | None


def compare_values(
    current: MeasureValue,
    previous: MeasureValue,
    recompute: Callable[[Period, tuple], MeasureValue],
    *,
    measure: Measure | str | None = None,
    polarity: str | None = None,
    exclude=(),
    alpha: float = 0.05,
    method: str = "auto",
) -> ComparedValues:
    """Compare two values of a measure by the one comparison rule.

    Every month when both values cover their whole period; else the months present in both
    (like-for-like, :func:`csplib.core.comparison.compare_months`), recomputed with
    ``recompute(period, months)`` (e.g. :meth:`Measure.compute_months`); else none. Only
    for measures that add up over months: the value of a survey wave always covers its
    period.

    Parameters
    ----------
    current, previous : MeasureValue
        Over the whole periods, computed with ``allow_incomplete=True``.
    recompute : callable
        ``recompute(period, months) -> MeasureValue``: the measure over those months.
    exclude : iterable of month-like, optional
        Months to leave out of the comparison (e.g. flagged implausible).

    Examples
    --------
    >>> import pandas as pd
    >>> from csplib.methods.measures.registry import get_measure
    >>> m = get_measure("burglary")
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> data = pd.DataFrame({"month": months.repeat(2), "category": "Burglary"})
    >>> data = data[data["month"] != "2018-08-01"]
    >>> cur = m.compute(data, "2019/20")
    >>> prev = m.compute(data, "2018/19", allow_incomplete=True)
    >>> out = compare_values(cur, prev, lambda p, months: m.compute_months(data, p, months))
    >>> out.comparison.cell(), out.change.current, out.change.previous
    ('like-for-like: Apr-Jul and Sep-Mar (11 of 12 months)', 22.0, 22.0)
    """
    present = [*current.coverage.covered, *previous.coverage.covered]
    cmp = compare_months(current.period, previous.period, present, exclude=exclude)
    if not cmp.compared:
        return ComparedValues(cmp, None, None, None)
    if cmp.kind != "complete":
        current = recompute(current.period, cmp.months)
        previous = recompute(previous.period, cmp.previous_months)
    change = compare(
        current, previous, polarity=polarity, measure=measure, alpha=alpha, method=method
    )
    return ComparedValues(cmp, current, previous, change)


def compare_periods(
    measure,
    data,
    period,
    *,
    against="previous_year",
    registry=None,
    population=None,
    previous_population=None,
    alpha: float = 0.05,
    method: str = "auto",
    **kwargs,
) -> Change:
    """Compute a measure over ``period`` and compare it with another period.

    Parameters
    ----------
    measure : Measure or str
    data : DataFrame or mapping of tables
    period : Period or str
    against : {"previous_year", "baseline"} or Period or str
        ``previous_year``: the same window a year earlier; ``baseline``: the measure's
        target baseline; or any period.
    population, previous_population : float or mapping, optional
        For rates; ``previous_population`` defaults to ``population``.
    **kwargs
        Passed to :meth:`Measure.compute` (``months_present``, ``allow_incomplete``,
        ``area``, ``weights``). With ``allow_incomplete=True`` a period with a month
        missing is compared like-for-like (:func:`compare_values`).

    Raises
    ------
    DataError
        When no month has data in both periods (the message says why).

    Examples
    --------
    >>> import pandas as pd
    >>> months = pd.date_range("2018-09-01", "2020-08-01", freq="MS")
    >>> incidents = pd.DataFrame({"month": months.repeat(2),
    ...                           "category": ["Burglary", "Drugs"] * len(months)})
    >>> c = compare_periods("burglary", incidents, "Sep 19 - Aug 20")
    >>> c.previous_period, c.volume_change, c.arrow
    ('Sep 18 - Aug 19', 0.0, '↔')
    """
    m = get_measure(measure, registry) if isinstance(measure, str) else measure
    period = Period.parse(period)
    if isinstance(against, str) and against == "previous_year":
        other = period.previous_year()
    elif isinstance(against, str) and against == "baseline":
        if m.target is None:
            raise ParamsError(f"measure '{m.id}' has no target, so no baseline to compare with")
        other = m.target.baseline
    else:
        other = Period.parse(against)
    if previous_population is None:
        previous_population = population
    cur = m.compute(data, period, population=population, **kwargs)
    prev = m.compute(data, other, population=previous_population, **kwargs)
    if cur.complete and prev.complete:
        return compare(cur, prev, measure=m, alpha=alpha, method=method)
    extra = {k: v for k, v in kwargs.items() if k in ("area", "weights")}
    pops = {cur.period: population, prev.period: previous_population}

    def recompute(p, months):
        return m.compute_months(data, p, months, population=pops[p], **extra)

    out = compare_values(cur, prev, recompute, measure=m, alpha=alpha, method=method)
    if out.change is None:
        raise DataError(f"measure '{m.id}': {out.comparison.sentence()}")
    return out.change
