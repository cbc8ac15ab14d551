"""The performance chapter as a whole: :func:`assess` turns the context into its result.

The notebook ``06_performance`` calls :func:`assess` once and lays out the
:class:`PerformanceResult`: its tables (in the order shown), key findings, headline figures,
notes by topic and the panels of the targets chart. A section with nothing to show (no
tracked or other measures, no baseline, no targets) has no tables in the result, and a
note, one plain sentence, says why (:func:`empty_sections`); the notebook shows that
sentence instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from csplib.chapters.performance.assurance import assurance_rule_text, target_assurance
from csplib.chapters.performance.charts import target_charts
from csplib.chapters.performance.data import assessment_period, performance_data
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
from csplib.methods.measures.framework import SECTIONS, Framework, load_framework
from csplib.methods.measures.registry import LIBRARY

__all__ = ["EMPTY_SECTIONS", "PerformanceResult", "assess", "empty_sections"]

#: The performance tables: (table name, framework section, comparison, section label).
_SECTIONS = (
    ("performance_table", SECTIONS["headline"], "previous_year", SECTIONS["headline"]),
    ("tracked_table", SECTIONS["tracked"], "previous_year", SECTIONS["tracked"]),
    ("other_measures", SECTIONS["other"], "previous_year", SECTIONS["other"]),
    ("baseline_table", SECTIONS["headline"], "baseline", "Against the baseline"),
)

#: The tables of each section that may be empty, by the note that says why when it is
#: (the targets' note, ``targets``, is there whether or not targets are set).
EMPTY_SECTIONS = {
    "tracked_table": ("tracked_table",),
    "other_measures": ("other_measures",),
    "baseline_table": ("baseline_table",),
    "targets": ("targets_table", "target_tracking"),
}


@dataclass
class PerformanceResult(ChapterResult):
    """The performance chapter's :class:`~csplib.chapters.result.ChapterResult`, with the
    panels of its targets chart.

    Attributes
    ----------
    charts : list of csplib.chapters.performance.charts.TargetChart
        One per target measure with a value, in order (not saved: the chart is in the
        chapter's page).
    signals : list of (str, dict)
        Each target measure's name and the Making Data Count classification of its monthly
        SPC chart against its target (variation and assurance;
        :mod:`csplib.chapters.performance.assurance`), for the icons on the page: the same
        classification as the targets table's ``Status``.
    """

    charts: list = field(default_factory=list)
    signals: list = field(default_factory=list)


def assess(ctx) -> PerformanceResult:
    """The performance chapter: its tables, key findings, headline figures and chart.

    Parameters
    ----------
    ctx
        The chapter's context (:class:`csplib.run.context.Context`): its ``params`` (the
        assessed period and the ``framework`` file: the measures, sections and targets
        reported, :func:`csplib.methods.measures.load_framework`; none named, the generic
        police.uk measures with no targets), its ``store`` (the data) and its ``protect``
        (the assessment's small-number suppression, which the chapter applies to the
        counts behind its tables: :mod:`csplib.chapters.performance.protection`).

    Returns
    -------
    PerformanceResult
        Tables in the order shown, each a numeric annex table (``*_values``, or
        ``measure_definitions_all``) followed by its display twin:
        ``measure_definitions_all``, ``measure_definitions``, ``performance_table_values``,
        ``performance_table``, ``tracked_table_values``, ``tracked_table``,
        ``other_measures_values``, ``other_measures``, ``baseline_table_values``,
        ``baseline_table``, ``targets_table_values``, ``targets_table``,
        ``target_tracking_values``, ``target_tracking``. A section with no rows has
        neither table (:data:`EMPTY_SECTIONS`: no tracked or other measures; no baseline,
        which is the targets' baseline, else the parameters' ``assessment.baseline``; no
        targets). Their small counts are already hidden (so they declare no counts of their
        own). Notes by topic: ``framework`` (which framework, from which file),
        ``framework_caveats`` (the file's ``notes:``), ``assurance`` (what the targets
        table's status means, when there are targets), ``unavailable_headline``,
        ``unavailable_tracked`` (why rows were not compared; empty with no tracked or other
        measures), ``targets`` (the targets in one paragraph, or that none are set),
        ``suppression`` (what ``[c]`` means, when anything is hidden) and, for each empty
        section, ``tracked_table``, ``other_measures`` or ``baseline_table``: one sentence
        saying why it is empty. Figures: one title per chart panel, ``target_<measure>``.
        Rows without a target of their own show their theme's target only when the
        framework file sets ``layout: {target_per_theme: true}``.
    """
    params = ctx.params
    period = assessment_period(params.assessment.period)
    framework = load_framework(params.framework)
    source = framework_source(framework, params.root)
    data = performance_data(ctx.store, params)
    sections = framework.sections
    targets = list(framework.targets.values())
    # the targets share one baseline (load_framework checks); else the parameters' own
    baseline = targets[0].baseline if targets else None
    if baseline is None and params.assessment.baseline is not None:
        baseline = assessment_period(params.assessment.baseline)
    rows = {}
    for name, key, against, label in _SECTIONS:
        ids = sections[key]
        if against == "baseline" and not targets:
            ids, against = (ids, baseline) if baseline is not None else ([], against)
        rows[name] = assess_rows(
            data,
            period,
            ids,
            against=against,
            section=label,
            registry=framework.registry,
            target_per_theme=framework.target_per_theme,
        )
    tracks = track_framework_targets(data, period, framework)
    assured = {
        t.measure.id: target_assurance(t, data, period)
        for t in tracks
        if t.measure.target is not None
    }
    statuses = {mid: a.status for mid, a in assured.items()}
    protect: Protect = ctx.protect
    shown = {name: protect_rows(rows[name], protect, name=name) for name in rows}
    protected = protect_targets(
        targets_frame(tracks), tracking_frame(tracks, statuses), tracks, protect
    )
    hidden = frozenset().union(*(p.measures for p in shown.values()), protected.measures)
    notes = {
        "framework": [framework_sentence(framework, source)],
        "framework_caveats": list(framework.notes),
        "unavailable_headline": unavailable_notes(rows["performance_table"])
        or ["Every headline measure was computed and compared with a year earlier."],
        "unavailable_tracked": _unavailable_tracked(rows),
        "targets": [targets_summary(tracks) if targets else no_targets(framework, source)],
        "assurance": [assurance_rule_text()] if assured else [],
        "suppression": sorted(
            {p.note for p in [*shown.values(), protected.targets] if p.note is not None}
        ),
        **empty_sections(rows),
    }
    charts = target_charts(tracks, protected.periods)
    result = PerformanceResult(
        EVIDENCE,
        findings=performance_findings(
            rows["performance_table"], tracks, rows["baseline_table"], suppressed=hidden
        ),
        headline=_headline(period, rows["performance_table"], rows["tracked_table"], tracks, hidden)
        | {"target_assurance": statuses},
        figures={f"target_{c.measure}": c.title for c in charts},
        notes=notes,
        charts=charts,
        signals=[
            (t.measure.name, assured[t.measure.id].classification())
            for t in tracks
            if t.measure.id in assured
        ],
    )
    defined_in = _defined_in(framework, source)
    tables = [
        *_definitions(framework, defined_in),
        *_performance_tables(period, shown, framework, baseline, bool(targets)),
        *(_target_tables(tracks, protected.targets, protected.tracking) if tracks else []),
    ]
    for table in tables:
        result.add(table)
    return result


def empty_sections(rows: dict[str, list[RowResult]]) -> dict[str, list[str]]:
    """One sentence for each section of the chapter with no rows, keyed by its table.

    Parameters
    ----------
    rows : dict of str to list of RowResult
        Each performance table's rows (``tracked_table``, ``other_measures``,
        ``baseline_table``; the headline table always has rows). With no targets, the
        targets' tables are left out too and their note (``targets``) says so.

    Returns
    -------
    dict of str to list of str
        For each empty section among ``tracked_table``, ``other_measures`` and
        ``baseline_table``, the sentence shown instead of its table.

    Examples
    --------
    >>> for key, text in empty_sections({"tracked_table": [], "other_measures": [],
    ...                                  "baseline_table": []}).items():
    ...     print(f"{key}: {text[0]}")  # doctest: +NORMALIZE_WHITESPACE
    tracked_table: The framework lists no tracked measures (no `tracked:` in its file).
    other_measures: The framework has no other measures: every measure it reports is a
    headline or tracked one.
    baseline_table: No baseline period is set: the framework sets no target and the
    parameters set no `assessment.baseline`, so the headline measures are not compared
    with a baseline.
    """
    sentences = {
        "tracked_table": "The framework lists no tracked measures (no `tracked:` in its file).",
        "other_measures": "The framework has no other measures: every measure it reports is a "
        "headline or tracked one.",
        "baseline_table": "No baseline period is set: the framework sets no target and the "
        "parameters set no `assessment.baseline`, so the headline measures are not compared "
        "with a baseline.",
    }
    return {name: [text] for name, text in sentences.items() if not rows.get(name)}


def _unavailable_tracked(rows: dict[str, list[RowResult]]) -> list[str]:
    tracked = [*rows["tracked_table"], *rows["other_measures"]]
    if not tracked:
        return []
    return unavailable_notes(tracked) or [
        "Every tracked measure was computed and compared with a year earlier."
    ]


def framework_source(framework: Framework, root=None) -> str:
    """The framework's file as a page may name it: relative to ``root`` (the parameters'
    root), else its name alone; the generic framework's place in the package.

    Examples
    --------
    >>> from csplib.methods.measures import load_framework
    >>> framework_source(load_framework())
    'csplib/methods/measures/framework_generic.yaml'
    """
    if framework.generic:
        return framework.origin
    path = Path(framework.origin)
    if root is not None:
        try:
            return path.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def framework_sentence(framework: Framework, source: str) -> str:
    """Which framework the chapter reports, and where it is defined.

    Examples
    --------
    >>> from csplib.methods.measures import load_framework
    >>> fw = load_framework()
    >>> print(framework_sentence(fw, "g.yaml"))
    The measures are the generic police.uk measures (g.yaml): no framework file is named.
    """
    if framework.generic:
        return (
            f"The measures are the generic police.uk measures ({source}): no framework file "
            "is named."
        )
    return (
        f"The measures, their sections and targets are those of {framework.name}, as its "
        f"framework file {source} sets them out."
    )


def no_targets(framework: Framework, source: str) -> str:
    """What the chapter says when the framework sets no target."""
    if framework.generic:
        return (
            "No targets are set: the parameters name no framework file, so the chapter "
            "reports the generic police.uk measures. To report your plan, name a framework "
            "file under `framework:` (docs/framework.md)."
        )
    return f"No targets are set: the framework file {source} lists none under `targets:`."


def _defined_in(framework: Framework, source: str) -> str:
    if framework.generic:
        return f"the measure library {LIBRARY} (the generic framework: {source})"
    if framework.own:
        return f"the framework file {source} and the measure library {LIBRARY}"
    return f"the measure library {LIBRARY} (the sections and targets: {source})"


#: Columns of a measure's definition that say how it is computed (source, filter, method):
#: in the data annex (``measure_definitions_all``), not in the page's headline table.
_DEFINITION_DETAIL = ("id", "source", "filter", "aggregation", "test")


def _definitions(framework: Framework, defined_in: str) -> list[Table]:
    registry = framework.registry
    return [
        Table(
            "measure_definitions_all",
            measure_definitions(framework.measure_ids, registry),
            caption=f"Every reported measure as defined in {defined_in}",
            totals=None,
        ),
        Table(
            "measure_definitions",
            measure_definitions(framework.headline, registry).drop(
                columns=list(_DEFINITION_DETAIL), errors="ignore"
            ),
            caption=f"Headline measures as defined in {defined_in}; how each is computed, and "
            "every reported measure, are in the data annex",
            totals=None,
        ),
    ]


def _captions(
    period: Period, framework: Framework, baseline: Period | None, targets: bool
) -> dict[str, str]:
    label = period.label
    against = "a baseline"
    if baseline is not None:
        against = f"the {baseline.label} baseline"
        if not targets:
            against += " (the parameters' assessment.baseline; the framework sets no target)"
    return {
        "performance_table": f"Headline measures ({framework.name}), {label} against the "
        "same period a year earlier (DOT: ↑ ↓ significant change at the 5% level, ↔ no "
        "significant change)",
        "tracked_table": f"Tracked measures, {label} against a year earlier",
        "other_measures": f"Other framework measures, {label} against a year earlier",
        "baseline_table": f"Headline measures, {label} against {against} (the survey: its "
        "wave in the baseline year)",
    }


def _performance_tables(
    period: Period,
    shown: dict[str, Protected],
    framework: Framework,
    baseline: Period | None,
    targets: bool,
) -> list[Table]:
    """Each section's annex table (numbers) and its display twin, both already protected;
    none for a section with no rows."""
    out = []
    for name, caption in _captions(period, framework, baseline, targets).items():
        values = shown[name].frame
        if values.empty:
            continue
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
