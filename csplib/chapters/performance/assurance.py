"""Making Data Count assurance of each target: will the measure reliably meet it?

NHS boards read a target through two icons of *Making Data Count* (MDC): the variation of
the latest month (:attr:`~csplib.methods.models.SPCResults.variation`) and the assurance,
which compares the target with the process limits of an SPC chart
(:func:`csplib.methods.models.spc_rules.assurance`): **consistently passing** when the
target lies beyond the limits on the better side (every month the process produces meets
it), **consistently failing** when it lies beyond them on the worse side, **hit and miss**
when it lies within them. :func:`target_assurance` charts a target measure's monthly values
over the last :data:`ASSURANCE_MONTHS` months of the assessed period, or of the target
period once it has ended (as the outcome is judged on its final year), with limits from all
of them, against the monthly equivalent of its target value: a twelfth of the yearly target
for a count or a rate (the measure is additive, so twelve months add up to the year). The
targets table's status column is this assurance, read from the same classification as the
icon, so the two can never disagree.

A measure that is not a sum over months (any percentage, such as a share of repeat
victims or a survey result; an indicator published for a year) has no monthly value
comparable with its yearly target, and gets no assurance (the reason is given); so does
one with fewer than :data:`MIN_ASSURANCE_MONTHS` months with data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.chapters.performance.data import PerformanceData, is_additive
from csplib.chapters.performance.targets import TargetTrack
from csplib.core.errors import DataError
from csplib.core.periods import Period
from csplib.methods.models import SPCChart, SPCResults

__all__ = [
    "ASSURANCE_MONTHS",
    "ASSURANCE_STATUS",
    "MIN_ASSURANCE_MONTHS",
    "TargetAssurance",
    "assurance_rule_text",
    "target_assurance",
]

#: Months of the SPC chart behind a target's assurance (the last of the assessed period).
ASSURANCE_MONTHS = 24
#: Fewest months with data for an assurance (NHS guidance: limits need 15 or more points).
MIN_ASSURANCE_MONTHS = 15
#: The status column's words for each MDC assurance.
ASSURANCE_STATUS = {
    "consistent_pass": "Consistently passing",
    "consistent_fail": "Consistently failing",
    "inconsistent": "Hit and miss",
}

_POLARITY = {"lower_is_better": "down", "higher_is_better": "up"}
#: Units whose twelve monthly values add up to the year's (with an additive aggregation).
_MONTHLY_UNITS = ("count", "rate_per_1000")


@dataclass(frozen=True)
class TargetAssurance:
    """A target measure's MDC assurance and the SPC chart it is read from.

    Attributes
    ----------
    measure : str
        The measure's id.
    spc : SPCResults or None
        The monthly chart with the monthly target (None: see ``note``).
    monthly_target : float
        The target value for a month (NaN without a chart).
    note : str
        Why there is no assurance (empty when there is one).
    """

    measure: str
    spc: SPCResults | None
    monthly_target: float
    note: str = ""

    @property
    def assurance(self) -> str | None:
        """The MDC assurance key (``consistent_pass``, ``consistent_fail``,
        ``inconsistent``) or None."""
        return None if self.spc is None else self.spc.assurance

    @property
    def status(self) -> str:
        """The status column's words: :data:`ASSURANCE_STATUS`, or ``n/a`` (``note`` says
        why)."""
        if self.assurance is None:
            return "n/a"
        return ASSURANCE_STATUS[self.assurance]

    def classification(self) -> dict:
        """The chart's MDC classification (variation and assurance, with their labels)."""
        if self.spc is None:
            return {"variation": None, "assurance": None, "note": self.note}
        return self.spc.classification()


def monthly_values(track: TargetTrack, data: PerformanceData, period: Period | str) -> pd.Series:
    """The measure's value in each of the last :data:`ASSURANCE_MONTHS` months of ``period``
    (NaN for a month with no data: never zero)."""
    period = Period.parse(period)
    m = track.measure
    months = pd.date_range(end=period.end, periods=ASSURANCE_MONTHS, freq="MS")
    present = data.present(m.source)
    values = []
    for month in months:
        if present is not None and month not in present:
            values.append(np.nan)
            continue
        try:
            value = data.compute(m, Period.window(month, month))
        except DataError:
            values.append(np.nan)
            continue
        values.append(value.value if value.complete else np.nan)
    return pd.Series(values, index=months, dtype=float, name=m.id)


def target_assurance(
    track: TargetTrack, data: PerformanceData, period: Period | str
) -> TargetAssurance:
    """The MDC assurance of one target measure over the last months of ``period``.

    Examples
    --------
    >>> from csplib.chapters.performance.targets import track_framework_targets
    >>> from csplib.methods.measures import get_measure
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-5%", "assessment": "2019/20 - 2022/23"})
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> rng = np.random.default_rng(1)
    >>> inc = pd.DataFrame({"month": months.repeat(rng.poisson(100, 24)),
    ...                     "category": "Anti-social behaviour"})
    >>> data = PerformanceData({"incidents": inc})
    >>> [t] = track_framework_targets(data, "2019/20", [(asb, None)])
    >>> a = target_assurance(t, data, "2019/20")
    >>> a.status, round(a.monthly_target, 1)
    ('Hit and miss', 94.1)
    """
    period = Period.parse(period)
    m = track.measure
    if m.target is None or track.status is None:
        why = track.note or "no target status"
        return TargetAssurance(m.id, None, np.nan, why)
    if m.polarity not in _POLARITY:
        return TargetAssurance(m.id, None, np.nan, "neither direction is better")
    if m.source == "indicators" or m.unit not in _MONTHLY_UNITS or not is_additive(m):
        return TargetAssurance(
            m.id, None, np.nan, "the measure has no monthly value comparable with its target"
        )
    if track.ended:  # the outcome is judged on the final year: so is the assurance
        period = Period.rolling(m.target.assessment.end, 12)
    monthly = monthly_values(track, data, period)
    n = int(monthly.notna().sum())
    if n < MIN_ASSURANCE_MONTHS:
        return TargetAssurance(
            m.id,
            None,
            np.nan,
            f"{n} months with data of the last {ASSURANCE_MONTHS}; "
            f"{MIN_ASSURANCE_MONTHS} are needed",
        )
    monthly_target = track.status.target_value / 12.0
    spc = SPCChart(monthly, polarity=_POLARITY[m.polarity], target=monthly_target).fit()
    return TargetAssurance(m.id, spc, monthly_target)


def assurance_rule_text() -> str:
    """The assurance rule in one paragraph, for the page (the status column's meaning).

    Examples
    --------
    >>> assurance_rule_text().split(":")[0]
    'Status is the NHS Making Data Count assurance'
    """
    return (
        "Status is the NHS Making Data Count assurance: each target measure's monthly values "
        f"over the last {ASSURANCE_MONTHS} months (of the target period, once it has ended) "
        "are charted with their process limits (the "
        "range the current process produces by chance), and the monthly equivalent of the "
        "target (a twelfth of the yearly target) is compared with them. Consistently passing: "
        "the target lies beyond the limits on the better side, so it is met every month "
        "unless the process changes. Consistently failing: beyond them on the worse side, so "
        "it is missed every month unless something changes. Hit and miss: within the limits, "
        "so it is met in some months and missed in others by chance. Against the path says "
        "whether the latest 12 months are at or better than the straight line from the "
        "baseline to the target."
    )
