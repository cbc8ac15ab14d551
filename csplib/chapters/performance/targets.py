"""The targets: each target measure's yearly values, where it stands, and the two tables.

:func:`track_framework_targets` gives each target measure's baseline and yearly values and
its status (on track / met, :class:`TargetTrack`); :func:`targets_frame` and
:func:`tracking_frame` give the targets table (baseline and years, as published) and where
each target stands, with their ``format_*`` twins for display; :func:`targets_summary` says
in one paragraph which targets are met or on track.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.performance.data import (
    SOURCE_NAMES,
    PerformanceData,
    as_measure,
    resolve_period,
)
from csplib.chapters.performance.rows import gap_note, short_error
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures.framework import Framework
from csplib.methods.measures.measure import Measure
from csplib.methods.measures.tables import format_value
from csplib.methods.measures.tracking import TargetStatus, track_target

__all__ = [
    "MIN_YEARS_TO_PROJECT",
    "TargetTrack",
    "format_targets_frame",
    "format_tracking_frame",
    "n_years",
    "target_years",
    "targets_frame",
    "targets_summary",
    "track_framework_targets",
    "tracking_frame",
]


@dataclass(frozen=True)
class TargetTrack:
    """A target measure's yearly values and where it stands.

    Attributes
    ----------
    measure : Measure
    supports : Measure
        The measure whose target this row is shown under (itself for a target measure).
    annual : pandas.Series
        Values by financial year label, the baseline first (NaN: no value, see ``cells``).
    cells : dict
        For each NaN year, what to show instead: ``Awaiting data`` (after the assessed
        period or the data), ``Not available`` (no indicator row for the year), ``No data``
        (before the data start) or ``Incomplete`` (a month missing).
    status : TargetStatus or None
        From :func:`csplib.methods.measures.tracking.track_target`; None for a supporting measure or
        when the baseline or current value is missing (see ``note``).
    ended : bool
        True when the target's assessment period had ended by the end of the assessed
        period: the status is then the outcome (``Met`` / ``Not met``), judged on the final
        year.
    note : str
    flags : dict
        For a year whose value includes a month flagged implausible by the quality report,
        the months (e.g. ``Jun 2023 Anti-social behaviour (implausibly low)``).
    counts : dict
        The count behind each value (the value itself for a count, the numerator of a rate
        or percentage) by period label: each year with a value, and the period judged
        when it is not one of the years (the latest 12 months).
    """

    measure: Measure
    supports: Measure
    annual: pd.Series
    cells: Mapping[str, str]
    status: TargetStatus | None
    ended: bool
    note: str = ""
    flags: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, float] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """``On track``, ``Not on track``, ``Met``, ``Not met`` or ``n/a``."""
        if self.status is None:
            return "n/a"
        if self.ended:
            return "Met" if self.status.on_track else "Not met"
        return self.status.status


def target_years(target, period) -> list[Period]:
    """The baseline, then each financial year to the later of the target's end and ``period``.

    Examples
    --------
    >>> from csplib.methods.measures import Target
    >>> t = Target.from_spec({"baseline": "2018/19", "change": "-25%",
    ...                       "assessment": "2019/20 - 2022/23"})
    >>> years = [p.label for p in target_years(t, "2024/25")]
    >>> years[0], years[1], years[-1]
    ('2018/19', '2019/20', '2024/25')
    >>> [p.label for p in target_years(t, "Sep 19 - Aug 20")][-1]
    '2022/23'
    """
    period = Period.parse(period)
    last = max(target.assessment.end, period.end)
    years = [target.baseline]
    year = target.baseline.start.year + 1
    while True:
        fy = Period.financial_year(year)
        if fy.start > last:
            break
        years.append(fy)
        year += 1
    return years


def _year_value(m: Measure, data: PerformanceData, year: Period, period: Period):
    """(value, cell, count) for one year of the targets table: cell says why value is NaN."""
    if year.end > period.end:
        return math.nan, "Awaiting data", None
    if not data.has(m.source):
        return math.nan, "No data", None
    try:
        value = data.compute(m, resolve_period(m, data, year), allow_incomplete=True)
    except DataError:
        return math.nan, "Not available", None
    if value.complete:
        return value.value, "", value.numerator
    present = data.present(m.source)
    if present is not None and len(present):
        if year.end > present.max():
            return math.nan, "Awaiting data", None
        if year.start < present.min():
            return math.nan, "No data", None
    return math.nan, ("Not available" if value.coverage.n_covered == 0 else "Incomplete"), None


def track_framework_targets(
    data: PerformanceData,
    period,
    rows,
    *,
    registry=None,
    projection: str = "linear",
) -> list[TargetTrack]:
    """Yearly values and target status of the framework's target measures.

    Parameters
    ----------
    data : PerformanceData
    period : Period or str
        The assessed period: no value after its end is used.
    rows : Framework or iterable of (measure, supported target measure or None)
        The rows of the targets table: a framework's
        (:attr:`~csplib.methods.measures.framework.Framework.target_rows`, looked up in its
        registry), or measures (ids or :class:`Measure`) with their targets.
    registry : Registry, optional
        Where ids are looked up (default: the framework's registry, else the library).
    projection : {"linear", "current"}
        See :func:`csplib.methods.measures.tracking.track_target`.

    Returns
    -------
    list of TargetTrack

    Notes
    -----
    While the target's assessment period runs (the assessed period ends before it), the
    measure is judged on the 12 months ending with the assessed period (for a
    non-additive indicator, its latest row ending in them) against the straight path from
    baseline to target, and projected to the end with the least-squares line through the
    yearly values (:mod:`csplib.methods.measures.targets`). Once it has ended, the status is the
    outcome: the final year's value against the target value (``Met`` / ``Not met``).

    Examples
    --------
    >>> from csplib.methods.measures import get_measure
    >>> asb = get_measure("asb_police_recorded").with_target(
    ...     {"baseline": "2018/19", "change": "-25%", "assessment": "2019/20 - 2022/23"})
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                               [(asb, None)])
    >>> t.annual.tolist()[:2], t.state, t.status.target_value
    ([24.0, 24.0], 'Not on track', 18.0)
    """
    if isinstance(rows, Framework):
        registry = rows.registry if registry is None else registry
        rows = rows.target_rows
    period = Period.parse(period)
    out = []
    for mid, parent in rows:
        m = as_measure(mid, registry)
        sup = as_measure(parent, registry) if parent else m
        if sup.target is None:
            raise ParamsError(f"measure '{sup.id}' has no target to show '{m.id}' under")
        target = sup.target
        values, cells, flags, counts = {}, {}, {}, {}
        for year in target_years(target, period):
            values[year.label], cell, size = _year_value(m, data, year, period)
            if cell:
                cells[year.label] = cell
                continue
            counts[year.label] = size
            if flagged := data.flagged_months(m, year, size=size):
                flags[year.label] = ", ".join(flagged)
        annual = pd.Series(values, dtype=float, name=m.id)
        annual.index.name = "period"
        ended = period.end >= target.assessment.end
        status, note = None, ""
        if m.target is not None:
            status, note, judged = _status(m, data, period, annual, ended, projection)
            if judged is not None:
                counts.setdefault(status.current_period.label, judged)
        elif parent:
            note = f"shown under the target of {sup.name} (no target of its own)"
        out.append(TargetTrack(m, sup, annual, cells, status, ended, note, flags, counts))
    return out


def _status(m, data, period, annual, ended, projection):
    """(status or None, note, the count behind the value judged) of a target measure."""
    target = m.target
    if not np.isfinite(annual.get(target.baseline.label, np.nan)):
        why = ""
        if not data.has(m.source):
            why = f"; {data.why_absent(m.source)}"
        elif (present := data.present(m.source)) is not None and len(present):
            name = SOURCE_NAMES[m.source]
            why = f"; the {name} data cover {present.min():%b %Y} to {present.max():%b %Y}"
        return None, f"no value for the baseline {target.baseline.label}{why}", None
    last_year = target.assessment.financial_years()[-1]
    if ended:
        value = annual.get(last_year.label, np.nan)
        if not np.isfinite(value):
            return None, f"no value for {last_year.label}, the final year of the target", None
        current = (last_year, float(value))
        judged = None
    else:
        window = period if period.n_months == 12 else Period.rolling(period.end, 12)
        if not data.has(m.source):
            return None, data.why_absent(m.source), None
        try:
            value = data.compute(m, resolve_period(m, data, window), allow_incomplete=True)
        except DataError as exc:
            return None, short_error(exc), None
        if not value.complete:
            return None, gap_note(m, data, value, "period"), None
        current = (value.period, value.value)
        judged = value.numerator
    known = annual[[Period.parse(k).end <= current[0].end for k in annual.index]]
    status = track_target(m, known, current=current, projection=projection)
    note = ""
    if ended:
        note = f"the target period ended in {target.assessment.end:%B %Y}: status is the outcome"
    return status, note, judged


def targets_frame(tracks: Iterable[TargetTrack]) -> pd.DataFrame:
    """The targets table in the published layout, numbers kept numeric.

    Columns ``Target``, ``Measure``, ``Baseline (<period>)``, one per later year (NaN where
    there is no value), then ``measure`` and ``unit``. A supporting measure shows the
    target it is listed under. With no tracks (a framework without targets): no rows, and
    the columns ``Target``, ``Measure``, ``Baseline``, ``measure`` and ``unit``.
    """
    tracks = list(tracks)
    baselines = {t.supports.target.baseline.label for t in tracks}
    if len(baselines) > 1:
        raise ParamsError(f"targets with different baselines: {', '.join(sorted(baselines))}")
    base = next(iter(baselines)) if baselines else ""
    years: list[str] = []
    for t in tracks:
        years += [y for y in t.annual.index if y != base and y not in years]
    records = []
    for t in tracks:
        rec = {
            "Target": t.supports.target.text,
            "Measure": t.measure.name,
            f"Baseline ({base})": t.annual.get(base, math.nan),
        }
        rec.update({y: t.annual.get(y, math.nan) for y in years})
        rec.update({"measure": t.measure.id, "unit": t.measure.unit})
        records.append(rec)
    baseline = f"Baseline ({base})" if base else "Baseline"  # no targets: no rows
    columns = ["Target", "Measure", baseline, *years, "measure", "unit"]
    df = pd.DataFrame.from_records(records, columns=columns)
    df.index.name = "row"
    return df


def format_targets_frame(
    tracks: Iterable[TargetTrack], values: pd.DataFrame | None = None, *, pct_decimals: int = 2
) -> pd.DataFrame:
    """Display strings of :func:`targets_frame`: ``37,486``, ``16.30%``, ``Awaiting data``.

    ``values`` is the frame to show (default ``targets_frame(tracks)``); a cell hidden to
    protect small numbers holds the marker (``[c]``) and shows it.

    Examples
    --------
    >>> from csplib.methods.measures import get_measure
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23", "text": "Reduce ASB by 25%"})
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> tracks = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                                  [(asb, None)])
    >>> format_targets_frame(tracks).iloc[0].tolist()[1:5]
    ['Volume of Police Recorded Incidents', '24', '24', 'Awaiting data']
    """
    tracks = list(tracks)
    frame = targets_frame(tracks) if values is None else values
    out = frame.drop(columns=["measure", "unit"]).astype("object")
    for i, t in enumerate(tracks):
        for col in out.columns[2:]:
            label = col[len("Baseline (") : -1] if col.startswith("Baseline (") else col
            value = frame.loc[i, col]
            if isinstance(value, str):
                out.loc[i, col] = value
            elif pd.isna(value):
                out.loc[i, col] = t.cells.get(label, "n/a")
            else:
                text = format_value(value, t.measure.unit, pct_decimals=pct_decimals)
                if label in t.flags:
                    text += f" (includes {t.flags[label]})"
                out.loc[i, col] = text
    return out.astype("str")


#: Yearly values (baseline included) needed before a projection is shown.
MIN_YEARS_TO_PROJECT = 3


def n_years(status: TargetStatus) -> int:
    """Yearly values the projection of ``status`` rests on (baseline included)."""
    end = status.target.assessment.end
    known = status.annual.dropna()
    return sum(Period.parse(label).end <= end for label in known.index)


def _projection_note(t: TargetTrack) -> str:
    if t.status is None or t.ended:
        return ""
    n = n_years(t.status)
    if n < MIN_YEARS_TO_PROJECT:
        return f"no projection: {n} yearly value(s) known, {MIN_YEARS_TO_PROJECT} needed"
    return ""


def tracking_frame(
    tracks: Iterable[TargetTrack], statuses: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Where each target stands: one row per target measure, numbers kept numeric.

    Columns ``Target``, ``Measure``, ``Status`` (the Making Data Count assurance by measure
    id from ``statuses``, :mod:`csplib.chapters.performance.assurance`; ``n/a`` where there
    is none), ``Baseline``, ``Target Value``, ``Target Due``, ``Judged On``, ``Value``,
    ``Change vs Baseline`` (% for counts, percentage points for percentages), ``Path
    Value``, ``Path / Outcome`` (on track or not against the straight path; met or not once
    the target period has ended), ``Projected`` (the linear
    projection for the final year; NaN once the target period has ended),
    ``Projection Meets Target``, ``Note``, ``measure``, ``unit``, ``change_unit``. The
    projection is shown while the target period runs and once at least
    :data:`MIN_YEARS_TO_PROJECT` yearly values (baseline included) are known: a line through
    two points says little.
    """
    statuses = statuses or {}
    records = []
    for t in tracks:
        if t.measure.target is None:
            continue
        s = t.status
        target = t.measure.target
        due = target.assessment.financial_years()[-1].label
        pct = t.measure.unit == "percentage"
        versus = math.nan
        if s is not None:
            versus = s.current_value - s.baseline_value if pct else s.change_vs_baseline
        project = s is not None and not t.ended and n_years(s) >= MIN_YEARS_TO_PROJECT
        projected = s.projected_value if project else math.nan
        meets = s.projected_to_meet if project else None
        records.append(
            {
                "Target": target.text,
                "Measure": t.measure.name,
                "Status": statuses.get(t.measure.id, "n/a"),
                "Baseline": s.baseline_value if s else t.annual.get(target.baseline.label),
                "Target Value": s.target_value if s else math.nan,
                "Target Due": due,
                "Judged On": s.current_period.label if s else "",
                "Value": s.current_value if s else math.nan,
                "Change vs Baseline": versus,
                "Path Value": s.path_value if s else math.nan,
                "Path / Outcome": t.state,
                "Projected": projected,
                "Projection Meets Target": meets,
                "Note": t.note or _projection_note(t),
                "measure": t.measure.id,
                "unit": t.measure.unit,
                "change_unit": "pp" if pct else "%",
            }
        )
    columns = [
        "Target", "Measure", "Status", "Baseline", "Target Value", "Target Due", "Judged On",
        "Value", "Change vs Baseline", "Path Value", "Path / Outcome", "Projected",
        "Projection Meets Target", "Note", "measure", "unit", "change_unit",
    ]  # fmt: skip
    df = pd.DataFrame.from_records(records, columns=columns)
    for col in (
        "Baseline",
        "Target Value",
        "Value",
        "Change vs Baseline",
        "Path Value",
        "Projected",
    ):
        df[col] = df[col].astype(float)
    df.index.name = "row"
    return df


def format_tracking_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Display strings of :func:`tracking_frame` (values in each measure's unit).

    A cell hidden to protect small numbers holds the marker (``[c]``) and shows it.
    """
    out = frame.drop(columns=["measure", "unit", "change_unit"]).astype("object")
    out["Change vs Baseline"] = [
        v if isinstance(v, str) else _signed_change(v, u)
        for v, u in zip(frame["Change vs Baseline"], frame["change_unit"], strict=True)
    ]
    for col in ("Baseline", "Target Value", "Value", "Path Value", "Projected"):
        out[col] = [
            v if isinstance(v, str) else format_value(v, u, pct_decimals=2)
            for v, u in zip(frame[col], frame["unit"], strict=True)
        ]
    out["Projection Meets Target"] = [
        "n/a" if v is None or pd.isna(v) else ("Yes" if v else "No")
        for v in frame["Projection Meets Target"]
    ]
    return out.astype("str")


def _signed_change(value: float, unit: str) -> str:
    return "n/a" if pd.isna(value) else f"{value:+.1f}{unit}".replace("+0.0", "0.0")


def targets_summary(tracks: Iterable[TargetTrack]) -> str:
    """One paragraph: which targets are met / on track, which are not, which not assessed.

    Examples
    --------
    >>> from csplib.methods.measures import get_measure
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23", "text": "Reduce ASB by 25%"})
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> tracks = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                                  [(asb, None)])
    >>> print(targets_summary(tracks))  # doctest: +NORMALIZE_WHITESPACE
    The targets are assessed over 2019/20 - 2022/23 against the 2018/19 baseline; judged
    on 2019/20. Not on track: Reduce ASB by 25% (Volume of Police Recorded Incidents).
    """
    tracks = [t for t in tracks if t.measure.target is not None]
    if not tracks:
        return "No measure with a target was tracked."
    first = tracks[0].measure.target
    groups: dict[str, list[str]] = {}
    judged: set[str] = set()
    for t in tracks:
        name = f"{t.measure.target.text} ({t.measure.name})"
        if t.status is None:
            groups.setdefault("Not assessed", []).append(f"{name}: {t.note}")
        else:
            groups.setdefault(t.state, []).append(name)
            judged.add(t.status.current_period.label)
    head = (
        f"The targets are assessed over {first.assessment.label} against the "
        f"{first.baseline.label} baseline"
    )
    if any(t.ended for t in tracks):
        head += f"; that period ended in {first.assessment.end:%B %Y}, so the status is the outcome"
    if judged:
        head += f"; judged on {', '.join(sorted(judged))}"
    order = ("Met", "Not met", "On track", "Not on track", "Not assessed")
    parts = [f"{state}: {'; '.join(groups[state])}." for state in order if state in groups]
    return head + ". " + " ".join(parts)
