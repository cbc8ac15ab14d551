"""What the targets chart shows, as data: one panel per target measure.

:func:`target_chart` turns a :class:`~csplib.chapters.performance.targets.TargetTrack`
into a :class:`TargetChart`: the yearly values (gaps where there is none, with the reason),
the baseline, the straight path from the baseline to the target value at the end of the
target period, the latest 12 months when the measure is judged on them, the years that
include a month flagged implausible, and a title that states where the measure stands.
Figures hidden to protect small numbers are left out. Drawing it is presentation (the
chapter's notebook, in the house style of :mod:`csplib.present.charts`).

Examples
--------
>>> from csplib.chapters.performance.data import PerformanceData
>>> from csplib.chapters.performance.targets import track_framework_targets
>>> from csplib.methods.measures import get_measure
>>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
...     "change": "-25%", "assessment": "2019/20 - 2022/23", "text": "Reduce ASB by 25%"})
>>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
>>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
>>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
...                               [(asb, None)])
>>> chart = target_chart(t)
>>> chart.title
'Police-recorded ASB: not on track (24 in 2019/20)'
>>> chart.points["value"].tolist()[:3], chart.path
([24.0, 24.0, nan], (0, 24.0, 4, 18.0))
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.chapters.performance.targets import TargetTrack
from csplib.methods.measures.tables import format_value

__all__ = ["TargetChart", "chart_title", "target_chart", "target_charts"]

#: Short names for chart titles.
_SHORT = {
    "victim_based_crime": "Victim-based crime",
    "asb_police_recorded": "Police-recorded ASB",
    "experience_of_asb": "Experience of ASB (survey)",
    "hate_crime_repeat_victim_share": "Hate crime repeat victims (%)",
    "successful_completions": "Successful completions",
}


@dataclass(frozen=True)
class TargetChart:
    """One target measure's panel: yearly values against the baseline and the target path.

    Positions on the x axis are those of the rows of ``points`` (0 = the baseline year).

    Attributes
    ----------
    measure, name : str
        The measure's id and name (the line's label).
    title : str
        States where the measure stands (:func:`chart_title`).
    ylabel : str
        The measure's unit.
    percent : bool
        Values are percentages (else counts or rates, shown with thousands separators).
    points : pandas.DataFrame
        By year label, the baseline first: ``value`` (NaN where there is none or it is
        hidden), ``note`` (why a year has no value: ``Awaiting data``, ``[c]``...) and
        ``flagged`` (the value includes a month flagged implausible).
    baseline : float or None
        The baseline value (a horizontal line), labelled ``baseline_label``.
    path : (x0, y0, x1, y1) or None
        The target path, from the baseline to the target value at the target's final
        year, labelled ``path_label``.
    latest : (x, value, label) or None
        The latest 12 months, when the measure is judged on them (x between years).
    """

    measure: str
    name: str
    title: str
    ylabel: str
    percent: bool
    points: pd.DataFrame
    baseline: float | None = None
    baseline_label: str = ""
    path: tuple[float, float, float, float] | None = None
    path_label: str = ""
    latest: tuple[float, float, str] | None = None


def chart_title(track: TargetTrack, hidden: Iterable[str] = ()) -> str:
    """The panel's title: where the measure stands, with its value unless that is hidden.

    Examples
    --------
    >>> from csplib.chapters.performance.data import PerformanceData
    >>> from csplib.chapters.performance.targets import track_framework_targets
    >>> from csplib.methods.measures import get_measure
    >>> asb = get_measure("asb_police_recorded").with_target({"baseline": "2018/19",
    ...     "change": "-25%", "assessment": "2019/20 - 2022/23", "text": "Reduce ASB by 25%"})
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                               [(asb, None)])
    >>> chart_title(t, hidden={"2019/20"})
    'Police-recorded ASB: not on track'
    """
    hidden = set(hidden)
    t = track
    name = _SHORT.get(t.measure.id, t.measure.name)
    if t.measure.target is None:
        known = t.annual.dropna()
        known = known[[label not in hidden for label in known.index]]
        if known.empty:
            return f"{name}: no values"
        latest = format_value(known.iloc[-1], t.measure.unit)
        return f"{name}: {latest} in {known.index[-1]} (no target of its own)"
    if t.status is None:
        return f"{name}: target status not available"
    s = t.status
    value = format_value(s.current_value, t.measure.unit)
    stated = "" if s.current_period.label in hidden else f" ({value} in {s.current_period.label})"
    if t.ended:
        verb = "met" if s.on_track else "not met"
        return f"{name}: target {verb}{stated}"
    state = "on track" if s.on_track else "not on track"
    return f"{name}: {state}{stated}"


def target_chart(
    track: TargetTrack, hidden: Iterable[str] = (), marker: str = "[c]"
) -> TargetChart:
    """The panel of one target measure (see the module notes).

    Parameters
    ----------
    track : TargetTrack
    hidden : iterable of str
        Period labels whose values are hidden to protect small numbers
        (:attr:`~csplib.chapters.performance.protection.ProtectedTargets.periods`): left
        out, marked ``marker``. A hidden baseline leaves out the baseline and the path.
    """
    hidden = set(hidden)
    labels = list(track.annual.index)
    values = track.annual.to_numpy(dtype=float).copy()
    notes = []
    for i, label in enumerate(labels):
        if label in hidden:
            values[i] = math.nan
            notes.append(marker)
        else:
            notes.append("" if np.isfinite(values[i]) else track.cells.get(label, ""))
    points = pd.DataFrame(
        {
            "value": values,
            "note": notes,
            "flagged": [label in track.flags and label not in hidden for label in labels],
        },
        index=pd.Index(labels, name="period"),
    )
    target = track.supports.target
    base_label = target.baseline.label
    base = track.annual.get(base_label, math.nan)
    baseline = path = latest = None
    path_label = ""
    if np.isfinite(base) and base_label not in hidden:
        baseline = float(base)
        end_label = target.assessment.financial_years()[-1].label
        if track.measure.target is not None and end_label in labels:
            goal = target.target_value(float(base))
            path = (labels.index(base_label), baseline, labels.index(end_label), float(goal))
            path_label = f"Target path ({target.text})"
    s = track.status
    if (
        s is not None
        and not track.ended
        and s.current_period.label not in labels
        and s.current_period.label not in hidden
        and base_label in labels
    ):
        x = labels.index(base_label) + target.baseline.months_between_ends(s.current_period) / 12
        latest = (x, float(s.current_value), f"Latest 12 months ({s.current_period.label})")
    return TargetChart(
        measure=track.measure.id,
        name=track.measure.name,
        title=chart_title(track, hidden),
        ylabel=track.measure.unit_label,
        percent=track.measure.unit == "percentage",
        points=points,
        baseline=baseline,
        baseline_label=f"Baseline {base_label}",
        path=path,
        path_label=path_label,
        latest=latest,
    )


def target_charts(
    tracks: Iterable[TargetTrack], hidden: Mapping[str, Iterable[str]] | None = None
) -> list[TargetChart]:
    """:func:`target_chart` of each track that has a value to show, in order.

    ``hidden`` maps a measure id to its hidden period labels. Tracks with no value are
    left out (the chapter says why in its tables and text).
    """
    hidden = hidden or {}
    charts = [target_chart(t, hidden.get(t.measure.id, ())) for t in tracks]
    return [c for c in charts if c.points["value"].notna().any()]
