"""The performance framework: measure definitions, periods, change, targets and tables.

Measures are declared as data (``measures.yaml``) and looked up by name::

    from csplib.metrics import get_measure, compare_periods, performance_table
    vbc = get_measure("victim_based_crime")
    value = vbc.compute(data, "Sep 19 - Aug 20")
    change = compare_periods(vbc, data, "Sep 19 - Aug 20")  # vs the same window a year earlier
    rows = ["victim_based_crime", "asb_police_recorded"]
    table = performance_table(rows, data, "Sep 19 - Aug 20")

Modules: :mod:`~csplib.metrics.periods` (financial years, quarters, rolling windows and their
labels), :mod:`~csplib.metrics.measures` (the registry, filters, aggregations),
:mod:`~csplib.metrics.change` (change and direction of travel with significance tests),
:mod:`~csplib.metrics.targets` (target tracking and projection) and
:mod:`~csplib.metrics.tables` (the partnership's table layouts, DataFrame and HTML).
"""

from csplib.metrics.change import (
    ARROWS,
    TESTS,
    Change,
    TestResult,
    compare,
    compare_counts,
    compare_periods,
    compare_proportions,
    compare_survey,
    poisson_test,
    survey_difference_ci,
)
from csplib.metrics.measures import (
    AGGREGATIONS,
    CATEGORY_GROUPS,
    POLARITIES,
    SOURCES,
    UNITS,
    AggregateResult,
    Aggregation,
    Filter,
    Measure,
    MeasureValue,
    Registry,
    compute,
    get_measure,
    load_registry,
    register_aggregation,
)
from csplib.metrics.periods import (
    Coverage,
    Period,
    check_coverage,
    financial_year_of,
    months_present,
)
from csplib.metrics.tables import (
    PERFORMANCE_COLUMNS,
    PerformanceRow,
    format_performance_table,
    format_targets_table,
    format_value,
    performance_frame,
    performance_table,
    performance_table_html,
    style_performance_table,
    targets_table,
    targets_table_html,
)
from csplib.metrics.targets import (
    PROJECTIONS,
    Target,
    TargetStatus,
    annual_values,
    track_target,
    track_targets,
)

__all__ = [
    "AGGREGATIONS",
    "ARROWS",
    "CATEGORY_GROUPS",
    "PERFORMANCE_COLUMNS",
    "POLARITIES",
    "PROJECTIONS",
    "SOURCES",
    "TESTS",
    "UNITS",
    "AggregateResult",
    "Aggregation",
    "Change",
    "Coverage",
    "Filter",
    "Measure",
    "MeasureValue",
    "PerformanceRow",
    "Period",
    "Registry",
    "Target",
    "TargetStatus",
    "TestResult",
    "annual_values",
    "check_coverage",
    "compare",
    "compare_counts",
    "compare_periods",
    "compare_proportions",
    "compare_survey",
    "compute",
    "financial_year_of",
    "format_performance_table",
    "format_targets_table",
    "format_value",
    "get_measure",
    "load_registry",
    "months_present",
    "performance_frame",
    "performance_table",
    "performance_table_html",
    "poisson_test",
    "register_aggregation",
    "style_performance_table",
    "survey_difference_ci",
    "targets_table",
    "targets_table_html",
    "track_target",
    "track_targets",
]
