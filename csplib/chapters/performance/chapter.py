"""The performance chapter as a whole: :func:`assess` turns the context into its result.

The notebook ``06_performance`` calls :func:`assess` once and lays out the
:class:`PerformanceResult`: its tables (in the order shown), key findings, headline figures,
notes by topic and the panels of the targets chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csplib.chapters.performance.charts import target_charts
from csplib.chapters.performance.data import (
    assessment_period,
    framework_rows,
    performance_data,
)
from csplib.chapters.performance.findings import EVIDENCE, performance_findings
from csplib.chapters.performance.protection import (
    Protect,
    Protected,
    protect_rows,
    protect_targets,
)
from csplib.chapters.performance.rows import (
    RowResult,
    assess_rows,
    format_performance_rows,
    measure_definitions,
    unavailable_notes,
)
from csplib.chapters.performance.targets import (
    TargetTrack,
    format_targets_frame,
    format_tracking_frame,
    targets_frame,
    targets_summary,
    track_framework_targets,
    tracking_frame,
)
from csplib.chapters.result import ChapterResult, Table
from csplib.core.periods import Period

__all__ = ["PerformanceResult", "assess"]

#: The performance sections: (table name, section of :func:`framework_rows`, comparison).
_SECTIONS = (
    ("performance_table", "Headline measures", "previous_year", "Headline measures"),
    ("tracked_table", "Tracked categories", "previous_year", "Tracked categories"),
    ("other_measures", "Other framework measures", "previous_year", "Other framework measures"),
    ("baseline_table", "Headline measures", "baseline", "Against the baseline"),
)


@dataclass
class PerformanceResult(ChapterResult):
    """The performance chapter's :class:`~csplib.chapters.result.ChapterResult`, with the
    panels of its targets chart.

    Attributes
    ----------
    charts : list of csplib.chapters.performance.charts.TargetChart
        One per target measure with a value, in order (not saved: the chart is in the
        chapter's page).
    """

    charts: list = field(default_factory=list)


def assess(ctx) -> PerformanceResult:
    """The performance chapter: its tables, key findings, headline figures and chart.

    Parameters
    ----------
    ctx
        The chapter's context (:class:`csplib.run.context.Context`): its ``params`` (the
        assessed period), its ``store`` (the data) and its ``protect`` (the assessment's
        small-number suppression, which the chapter applies to the counts behind its tables:
        :mod:`csplib.chapters.performance.protection`).

    Returns
    -------
    PerformanceResult
        Tables in the order shown, each a numeric annex table (``*_values``, or
        ``measure_definitions_all``) followed by its display twin:
        ``measure_definitions_all``, ``measure_definitions``, ``performance_table_values``,
        ``performance_table``, ``tracked_table_values``, ``tracked_table``,
        ``other_measures_values``, ``other_measures``, ``baseline_table_values``,
        ``baseline_table``, ``targets_table_values``, ``targets_table``,
        ``target_tracking_values``, ``target_tracking``. Their small counts are already
        hidden (so they declare no counts of their own). Notes by topic:
        ``unavailable_headline``, ``unavailable_tracked`` (why rows were not compared),
        ``targets`` (the targets in one paragraph) and ``suppression`` (what ``[c]``
        means, when anything is hidden). Figures: one title per chart panel,
        ``target_<measure>``.
    """
    params = ctx.params
    period = assessment_period(params.assessment.period)
    data = performance_data(ctx.store, params)
    sections = framework_rows()
    rows = {
        name: assess_rows(data, period, sections[key], against=against, section=label)
        for name, key, against, label in _SECTIONS
    }
    tracks = track_framework_targets(data, period)
    protect: Protect = ctx.protect
    shown = {name: protect_rows(rows[name], protect, name=name) for name in rows}
    targets = protect_targets(targets_frame(tracks), tracking_frame(tracks), tracks, protect)
    hidden = frozenset().union(*(p.measures for p in shown.values()), targets.measures)
    notes = {
        "unavailable_headline": unavailable_notes(rows["performance_table"])
        or ["Every headline measure was computed and compared with a year earlier."],
        "unavailable_tracked": unavailable_notes([*rows["tracked_table"], *rows["other_measures"]])
        or ["Every tracked measure was computed and compared with a year earlier."],
        "targets": [targets_summary(tracks)],
        "suppression": sorted(
            {p.note for p in [*shown.values(), targets.targets] if p.note is not None}
        ),
    }
    charts = target_charts(tracks, targets.periods)
    result = PerformanceResult(
        EVIDENCE,
        findings=performance_findings(
            rows["performance_table"], tracks, rows["baseline_table"], suppressed=hidden
        ),
        headline=_headline(
            period, rows["performance_table"], rows["tracked_table"], tracks, hidden
        ),
        figures={f"target_{c.measure}": c.title for c in charts},
        notes=notes,
        charts=charts,
    )
    all_ids = [m for ids in sections.values() for m in ids]
    for table in (
        *_definitions(all_ids, sections["Headline measures"]),
        *_performance_tables(period, shown),
        *_target_tables(tracks, targets.targets, targets.tracking),
    ):
        result.add(table)
    return result


def _definitions(all_ids: list[str], headline_ids: list[str]) -> list[Table]:
    return [
        Table(
            "measure_definitions_all",
            measure_definitions(all_ids),
            caption="Every reported measure as defined in csplib/methods/measures/measures.yaml",
            totals=None,
        ),
        Table(
            "measure_definitions",
            measure_definitions(headline_ids),
            caption="Headline measures as defined in csplib/methods/measures/measures.yaml "
            "(every reported measure is in the data annex)",
            totals=None,
        ),
    ]


def _captions(period: Period) -> dict[str, str]:
    label = period.label
    return {
        "performance_table": f"Performance against the partnership plan, {label} against the "
        "same period a year earlier (DOT: ↑ ↓ significant change at the 5% level, ↔ no "
        "significant change)",
        "tracked_table": f"Tracked crime categories, {label} against a year earlier",
        "other_measures": f"Other framework measures, {label} against a year earlier",
        "baseline_table": f"Headline measures, {label} against the baseline (the survey: its "
        "wave in the baseline year)",
    }


def _performance_tables(period: Period, shown: dict[str, Protected]) -> list[Table]:
    """Each section's annex table (numbers) and its display twin, both already protected."""
    out = []
    for name, caption in _captions(period).items():
        values = shown[name].frame
        out += [
            Table(f"{name}_values", values, caption=f"{caption} (values)", totals=None),
            Table(name, format_performance_rows(values), caption=caption, totals=None),
        ]
    return out


def _target_tables(
    tracks: list[TargetTrack], targets: Protected, tracking: Protected
) -> list[Table]:
    years = (
        "Targets: baseline and yearly values by financial year (the survey: its wave ending "
        "in the year)"
    )
    where = "Where each target stands: value judged, the target path and the projection"
    return [
        Table("targets_table_values", targets.frame, caption=f"{years} (values)", totals=None),
        Table(
            "targets_table",
            format_targets_frame(tracks, targets.frame),
            caption=years,
            totals=None,
        ),
        Table("target_tracking_values", tracking.frame, caption=f"{where} (values)", totals=None),
        Table("target_tracking", format_tracking_frame(tracking.frame), caption=where, totals=None),
    ]


def _headline(
    period: Period,
    headline: list[RowResult],
    tracked: list[RowResult],
    tracks: list[TargetTrack],
    hidden: frozenset[str],
) -> dict:
    """Figures the chapter states: each headline measure, the targets, tracked changes."""
    measures = {}
    for r in headline:
        m, change = r.measure, r.change
        stated = r.value is not None and m.id not in hidden
        size = None
        if stated and change is not None:
            size = change.pp_change if m.unit == "percentage" else change.pct_change
        measures[m.id] = {
            "name": m.name,
            "unit": m.unit,
            "period": r.period.label if r.period is not None else None,
            "value": r.value.value if stated else None,
            "change": size,
            "change_unit": "pp" if m.unit == "percentage" else "%",
            "direction": change.arrow if change is not None else "n/a",
            "outcome": change.outcome if change is not None else "not compared",
        }
    states = {t.measure.id: t.state for t in tracks if t.measure.target is not None}
    return {
        "period": period.label,
        "measures": measures,
        "targets": states,
        "targets_met_or_on_track": sum(s in ("Met", "On track") for s in states.values()),
        "targets_assessed": sum(s != "n/a" for s in states.values()),
        "tracked_rises": [r.measure.name for r in tracked if r.change and r.change.arrow == "↑"],
        "tracked_falls": [r.measure.name for r in tracked if r.change and r.change.arrow == "↓"],
    }
