"""Tracking a measure against its target: the path, on track or not, and the projection.

Targets are a partnership's, set in its framework file
(:func:`~csplib.methods.measures.framework.load_framework` gives them to the measures;
:class:`~csplib.methods.measures.targets.Target`).
:func:`track_target` judges a measure's annual values against its target;
:func:`annual_values` computes those values from the data and :func:`track_targets` does both
for every measure with a target.

Rules used by :func:`track_target`
----------------------------------
**Path and on-track.** The target path is the straight line from the baseline value (at the
end of the baseline period) to the target value (at the end of the assessment period).
The elapsed fraction is the number of months from the end of the baseline to the end of the
current period, divided by the months from the end of the baseline to the end of the
assessment period (clipped to 0-1). The measure is **on track** when its current value is at
or better than the path value at that fraction (better = lower for ``lower_is_better``,
higher for ``higher_is_better``).

**Projection.** ``"linear"`` (default): an ordinary least-squares straight line through the
annual values observed so far (baseline year included, one point per year, x = years after
the baseline), read off at the final year of the assessment period; with only one observed
year it falls back to that value. ``"current"``: the current value held flat to the end.
The projection **meets** the target when it is at or better than the target value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.core.errors import DefinitionError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures.registry import get_measure, load_registry
from csplib.methods.measures.targets import Target

__all__ = [
    "PROJECTIONS",
    "TargetStatus",
    "annual_values",
    "track_target",
    "track_targets",
]


#: Projection methods for :func:`track_target`, with their documented rule.
PROJECTIONS = {
    "linear": "least-squares line through the annual values so far (baseline included), "
    "read at the final assessment year",
    "current": "the current value held flat to the end of the assessment period",
}


@dataclass(frozen=True)
class TargetStatus:
    """Where a measure stands against its target (returned by :func:`track_target`).

    Attributes
    ----------
    measure, name : str
    target : Target
    polarity : str
    baseline_value, target_value : float
    current_value : float
    current_period : Period
    elapsed : float
        Fraction of the way from the end of the baseline to the end of the assessment.
    path_value : float
        Value on the straight path from baseline to target at ``elapsed``.
    on_track : bool
        Current value at or better than ``path_value``.
    change_vs_baseline : float
        Relative change of the current value against the baseline, in %.
    projected_value : float
        Projected value at the end of the assessment period.
    projected_to_meet : bool
        Projection at or better than the target value.
    projection : str
        Method used (a key of :data:`PROJECTIONS`).
    annual : pandas.Series
        The annual values used, indexed by period label (NaN: no complete data yet).
    unit : str
    """

    measure: str
    name: str
    target: Target
    polarity: str
    unit: str
    baseline_value: float
    target_value: float
    current_value: float
    current_period: Period
    elapsed: float
    path_value: float
    on_track: bool
    change_vs_baseline: float
    projected_value: float
    projected_to_meet: bool
    projection: str
    annual: pd.Series = field(repr=False)

    @property
    def status(self) -> str:
        """``"On track"`` or ``"Not on track"``."""
        return "On track" if self.on_track else "Not on track"

    def to_dict(self) -> dict:
        """A flat record (used for the targets table)."""
        return {
            "measure": self.measure,
            "name": self.name,
            "target": self.target.text,
            "baseline_period": self.target.baseline.label,
            "baseline_value": self.baseline_value,
            "target_value": self.target_value,
            "current_period": self.current_period.label,
            "current_value": self.current_value,
            "elapsed": self.elapsed,
            "path_value": self.path_value,
            "on_track": self.on_track,
            "change_vs_baseline": self.change_vs_baseline,
            "projected_value": self.projected_value,
            "projected_to_meet": self.projected_to_meet,
            "projection": self.projection,
            "unit": self.unit,
        }


def _better_or_equal(value: float, reference: float, polarity: str) -> bool:
    if polarity == "lower_is_better":
        return value <= reference + 1e-12 * max(1.0, abs(reference))
    return value >= reference - 1e-12 * max(1.0, abs(reference))


def track_target(measure, annual, *, current=None, projection: str = "linear") -> TargetStatus:
    """Assess a measure against its target.

    Parameters
    ----------
    measure : Measure or str
        A measure with a ``target`` (from a framework's registry, or
        :meth:`Measure.with_target`; an id is looked up in the measure library, whose
        measures have no targets).
    annual : pandas.Series or dict
        Values by period label (or :class:`Period`): the baseline period and the years of
        the assessment period observed so far. NaN means "no complete data yet".
    current : MeasureValue or (period, value), optional
        The latest value to judge (e.g. a rolling 12 months such as ``"Sep 19 - Aug 20"``);
        by default the latest non-missing annual value after the baseline.
    projection : {"linear", "current"}
        See :data:`PROJECTIONS` and the module notes for the rules.

    Returns
    -------
    TargetStatus

    Raises
    ------
    DefinitionError
        If the measure has no target or a neutral polarity.
    ParamsError
        If the baseline value is missing, there is no current value, or the projection
        method is unknown.

    Examples
    --------
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> s = track_target(asb, {"2018/19": 14840, "2019/20": 15182})
    >>> s.target_value, s.elapsed, s.path_value, s.on_track
    (11130.0, 0.25, 13912.5, False)
    """
    if isinstance(measure, str):
        measure = get_measure(measure)
    target = measure.target
    if target is None:
        raise DefinitionError(f"measure '{measure.id}' has no target to track")
    if measure.polarity not in ("lower_is_better", "higher_is_better"):
        raise DefinitionError(
            f"measure '{measure.id}': a target needs polarity lower_is_better or "
            f"higher_is_better, not {measure.polarity}"
        )
    if projection not in PROJECTIONS:
        raise ParamsError(
            f"projection {projection!r} is not one of {', '.join(sorted(PROJECTIONS))}"
        )
    values = _annual_series(annual)
    baseline_value = values.get(target.baseline.label, np.nan)
    if baseline_value is None or not np.isfinite(baseline_value):
        raise ParamsError(
            f"measure '{measure.id}': no value for the baseline {target.baseline.label}; "
            f"annual values given for {', '.join(values.index) or 'no periods'}"
        )
    target_value = target.target_value(float(baseline_value))

    periods = {label: Period.parse(label) for label in values.index}
    after = [
        label
        for label, p in periods.items()
        if p.end > target.baseline.end and np.isfinite(values[label])
    ]
    if current is None:
        if not after:
            raise ParamsError(
                f"measure '{measure.id}': no value after the baseline {target.baseline.label} "
                "to judge; pass current= or annual values for later years"
            )
        latest = max(after, key=lambda label: periods[label].end)
        current_period, current_value = periods[latest], float(values[latest])
    elif hasattr(current, "period") and hasattr(current, "value"):
        current_period, current_value = Period.parse(current.period), float(current.value)
    else:
        try:
            period, value = current
        except (TypeError, ValueError) as exc:
            raise ParamsError(
                f"current must be a MeasureValue or a (period, value) pair, got {current!r}"
            ) from exc
        current_period, current_value = Period.parse(period), float(value)

    total = target.baseline.months_between_ends(target.assessment)
    elapsed = target.baseline.months_between_ends(current_period) / total
    elapsed = min(max(elapsed, 0.0), 1.0)
    path_value = baseline_value + (target_value - baseline_value) * elapsed
    on_track = _better_or_equal(current_value, path_value, measure.polarity)

    if projection == "linear":
        projected = _linear_projection(values, periods, target)
        if projected is None:
            projected = current_value
    else:
        projected = current_value
    projected_to_meet = _better_or_equal(projected, target_value, measure.polarity)
    change = (current_value - baseline_value) / baseline_value * 100 if baseline_value else math.nan
    return TargetStatus(
        measure=measure.id,
        name=measure.name,
        target=target,
        polarity=measure.polarity,
        unit=measure.unit,
        baseline_value=float(baseline_value),
        target_value=float(target_value),
        current_value=current_value,
        current_period=current_period,
        elapsed=float(elapsed),
        path_value=float(path_value),
        on_track=bool(on_track),
        change_vs_baseline=float(change),
        projected_value=float(projected),
        projected_to_meet=bool(projected_to_meet),
        projection=projection,
        annual=values.rename(measure.id),
    )


def _annual_series(annual) -> pd.Series:
    if isinstance(annual, dict):
        annual = pd.Series(annual, dtype=float)
    if not isinstance(annual, pd.Series):
        raise ParamsError(
            f"annual values must be a pandas Series or a dict keyed by period, got "
            f"{type(annual).__name__}"
        )
    labels = [Period.parse(str(k) if not isinstance(k, Period) else k).label for k in annual.index]
    out = pd.Series(pd.to_numeric(annual.to_numpy(), errors="coerce"), index=labels, dtype=float)
    if out.index.has_duplicates:
        raise ParamsError(f"annual values have a period twice: {list(out.index)}")
    out.index.name = "period"
    return out


def _linear_projection(values: pd.Series, periods: dict, target: Target) -> float | None:
    """OLS line through annual points (x = years after the baseline), read at the last year."""
    years = 12
    xs, ys = [], []
    for label, value in values.items():
        p = periods[label]
        if not np.isfinite(value) or p.n_months != target.baseline.n_months:
            continue
        if p.end < target.baseline.end or p.end > target.assessment.end:
            continue
        xs.append(target.baseline.months_between_ends(p) / years)
        ys.append(float(value))
    if len(xs) < 2:
        return None
    slope, intercept = np.polyfit(np.asarray(xs), np.asarray(ys), 1)
    x_end = target.baseline.months_between_ends(target.assessment) / years
    return float(intercept + slope * x_end)


def annual_values(measure, data, *, registry=None, population=None, **compute_kwargs) -> pd.Series:
    """A measure's value for its baseline and each financial year of its assessment period.

    A year that is not yet complete because the data end before it does (the current
    year, or years still to come) is NaN ("awaiting data"), never a part-year value. A year
    inside the data with a missing month still raises :class:`~csplib.core.errors.DataError`.

    Parameters
    ----------
    measure : Measure or str
        A measure with a target.
    data : DataFrame or mapping of tables
    registry : Registry, optional
    population : float or mapping, optional
        For rates per 1,000 (a mapping by period label gives each year its own).
    **compute_kwargs
        Passed to :meth:`Measure.compute` (``months_present``, ``area``, ``weights``).

    Returns
    -------
    pandas.Series
        Indexed by period label (``period``), named after the measure.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-09-01", freq="MS")
    >>> incidents = pd.DataFrame({"month": months, "category": "Anti-social behaviour"})
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> annual_values(asb, incidents).tolist()
    [12.0, 12.0, nan, nan, nan]
    """
    if isinstance(measure, str):
        measure = get_measure(measure, registry)
    if measure.target is None:
        raise DefinitionError(f"measure '{measure.id}' has no target, so no baseline or years")
    if compute_kwargs.get("allow_incomplete"):
        raise ParamsError("annual_values never returns part-year values: drop allow_incomplete")
    periods = [measure.target.baseline, *measure.target.assessment.financial_years()]
    last = measure.last_month(data, area=compute_kwargs.get("area"))
    values = {}
    for p in periods:
        if last is None or p.end > last:
            values[p.label] = np.nan
            continue
        pop = population if measure.unit == "rate_per_1000" else None
        values[p.label] = measure.compute(data, p, population=pop, **compute_kwargs).value
    out = pd.Series(values, dtype=float, name=measure.id)
    out.index.name = "period"
    return out


def track_targets(
    data,
    *,
    measures=None,
    registry=None,
    current=None,
    projection: str = "linear",
    population=None,
    **compute_kwargs,
) -> list[TargetStatus]:
    """Track every measure with a target (or those named) from the data.

    Parameters
    ----------
    data : mapping of tables
    measures : iterable of str or Measure, optional
        Default: every measure in the registry that has a target.
    registry : Registry, optional
        E.g. a framework's (``load_framework(path).registry``); default: the measure
        library, which sets no targets.
    current : Period or str, optional
        A period (e.g. the latest rolling 12 months) to judge each measure on; by default
        the latest complete financial year.
    projection : {"linear", "current"}
    population : float or mapping, optional
    **compute_kwargs
        Passed to :meth:`Measure.compute`.

    Returns
    -------
    list of TargetStatus

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> incidents = pd.DataFrame({"month": months.repeat(2),
    ...                           "category": "Anti-social behaviour"})
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> [s] = track_targets({"incidents": incidents}, measures=[asb])
    >>> s.baseline_value, s.current_value, s.target_value, s.status
    (24.0, 24.0, 18.0, 'Not on track')
    """
    reg = registry if registry is not None else load_registry()
    if measures is None:
        chosen = [m for m in reg.values() if m.target is not None]
    else:
        chosen = [get_measure(m, reg) if isinstance(m, str) else m for m in measures]
    out = []
    for m in chosen:
        values = annual_values(m, data, population=population, **compute_kwargs)
        cur = None
        if current is not None:
            pop = population if m.unit == "rate_per_1000" else None
            cur = m.compute(data, current, population=pop, **compute_kwargs)
        out.append(track_target(m, values, current=cur, projection=projection))
    return out
