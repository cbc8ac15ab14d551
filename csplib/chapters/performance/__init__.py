"""The performance chapter: the partnership's framework measures, targets and findings.

The chapter is the glue between the tidy store and :mod:`csplib.methods.measures` (the
measure definitions, significance tests and table layouts). :func:`assess` runs it and
returns its :class:`PerformanceResult`; the notebook ``06_performance`` lays that out.
Its parts, one concept each:

* :mod:`~csplib.chapters.performance.data`: what the measures read
  (:func:`performance_data`) and the periods an indicator is reported for
  (:func:`resolve_period`, :func:`comparison_period`); the measures reported, their
  sections and targets are the parameters' framework file
  (:func:`csplib.methods.measures.load_framework`; none named, the generic police.uk
  measures with no targets);
* :mod:`~csplib.chapters.performance.rows`: each measure computed and compared
  (:func:`assess_rows`), as the published performance table;
* :mod:`~csplib.chapters.performance.targets`: each target measure's yearly values and
  status (:func:`track_framework_targets`) and the targets tables;
* :mod:`~csplib.chapters.performance.protection`: the counts behind the tables, protected
  by the assessment's small-number suppression;
* :mod:`~csplib.chapters.performance.charts`: the targets chart, as data;
* :mod:`~csplib.chapters.performance.findings`: the key findings as sentences;
* :mod:`~csplib.chapters.performance.chapter`: :func:`assess`, which reads the framework
  and says which it reports (:func:`framework_sentence`), when it sets no target
  (:func:`no_targets`) and why a section is empty (:func:`empty_sections`).

Examples
--------
>>> import pandas as pd
>>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
>>> incidents = pd.DataFrame({"month": months.repeat(3),
...     "category": ["Burglary", "Robbery", "Anti-social behaviour"] * len(months)})
>>> rows = assess_rows(PerformanceData({"incidents": incidents}), "2019/20",
...                    ["victim_based_crime"])
>>> performance_findings(rows)[0].text
'Victim-based crime was unchanged at 24 in 2019/20 compared with 2018/19.'
"""

from csplib.chapters.performance.chapter import (
    EMPTY_SECTIONS,
    PerformanceResult,
    assess,
    empty_sections,
    framework_sentence,
    framework_source,
    no_targets,
)
from csplib.chapters.performance.charts import (
    TargetChart,
    chart_title,
    target_chart,
    target_charts,
)
from csplib.chapters.performance.data import (
    PerformanceData,
    as_measure,
    assessment_period,
    comparison_period,
    performance_data,
    resolve_period,
)
from csplib.chapters.performance.findings import performance_findings
from csplib.chapters.performance.protection import (
    Protected,
    ProtectedTargets,
    protect_rows,
    protect_targets,
)
from csplib.chapters.performance.rows import (
    NO_TARGET,
    RowResult,
    assess_rows,
    format_performance_rows,
    measure_definitions,
    performance_rows_frame,
    unavailable_notes,
)
from csplib.chapters.performance.targets import (
    MIN_YEARS_TO_PROJECT,
    TargetTrack,
    format_targets_frame,
    format_tracking_frame,
    target_years,
    targets_frame,
    targets_summary,
    track_framework_targets,
    tracking_frame,
)

__all__ = [
    "EMPTY_SECTIONS",
    "MIN_YEARS_TO_PROJECT",
    "NO_TARGET",
    "PerformanceData",
    "PerformanceResult",
    "Protected",
    "ProtectedTargets",
    "RowResult",
    "TargetChart",
    "TargetTrack",
    "assess",
    "as_measure",
    "assess_rows",
    "assessment_period",
    "chart_title",
    "comparison_period",
    "empty_sections",
    "format_performance_rows",
    "format_targets_frame",
    "format_tracking_frame",
    "framework_sentence",
    "framework_source",
    "measure_definitions",
    "no_targets",
    "performance_data",
    "performance_findings",
    "performance_rows_frame",
    "protect_rows",
    "protect_targets",
    "resolve_period",
    "target_chart",
    "target_charts",
    "target_years",
    "targets_frame",
    "targets_summary",
    "track_framework_targets",
    "tracking_frame",
    "unavailable_notes",
]
