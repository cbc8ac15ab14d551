"""Performance measures: definitions, frameworks, periods, change, targets and tables.

Measures are declared as data (the library ``measures.yaml``, and a partnership's framework
file) and looked up by name::

    from csplib.methods.measures import compare_periods, get_measure, performance_table
    vbc = get_measure("victim_based_crime")
    value = vbc.compute(data, "Sep 19 - Aug 20")
    change = compare_periods(vbc, data, "Sep 19 - Aug 20")  # vs the same window a year earlier
    rows = ["victim_based_crime", "asb_police_recorded"]
    table = performance_table(rows, data, "Sep 19 - Aug 20")
    plan = load_framework(params.framework)    # the partnership's sections and targets
    plan.headline, plan.targets                 # (ids in table order), {id: Target}

Modules, one concept each:

- :mod:`~csplib.methods.measures.filters`: which rows a measure counts (:class:`Filter`);
- :mod:`~csplib.methods.measures.aggregations`: how they add up (the aggregation registry);
- :mod:`~csplib.methods.measures.targets`: a measure's declared target (:class:`Target`);
- :mod:`~csplib.methods.measures.measure`: a measure definition and its value over a period;
- :mod:`~csplib.methods.measures.registry`: the YAML registry (the library
  ``measures.yaml``), by id;
- :mod:`~csplib.methods.measures.framework`: a partnership's framework file (its sections,
  targets and own measures; ``docs/framework.md``), or the generic framework;
- :mod:`~csplib.methods.measures.significance`: the significance tests on plain numbers;
- :mod:`~csplib.methods.measures.change`: change and direction of travel between periods;
- :mod:`~csplib.methods.measures.compared`: two periods compared by the one comparison rule
  (like-for-like months when one has a month missing, :mod:`csplib.core.comparison`);
- :mod:`~csplib.methods.measures.tracking`: tracking against targets, with the projection;
- :mod:`~csplib.methods.measures.tables`: the partnership's table layouts, DataFrame and HTML.

Periods (financial years, quarters, rolling windows and their labels) are
:mod:`csplib.core.periods`.
"""

from csplib.methods.measures.aggregations import (
    AGGREGATIONS,
    UNITS,
    AggregateResult,
    Aggregation,
    AggregationContext,
    register_aggregation,
)
from csplib.methods.measures.change import (
    ARROWS,
    TESTS,
    Change,
    compare,
    compare_counts,
    compare_proportions,
    compare_survey,
)
from csplib.methods.measures.compared import ComparedValues, compare_periods, compare_values
from csplib.methods.measures.filters import CATEGORY_GROUPS, SOURCES, Filter
from csplib.methods.measures.framework import (
    FRAMEWORK_VERSION,
    GENERIC_FRAMEWORK,
    Framework,
    load_framework,
)
from csplib.methods.measures.measure import POLARITIES, Measure, MeasureValue
from csplib.methods.measures.registry import (
    LIBRARY,
    Registry,
    compute,
    extend_registry,
    get_measure,
    load_registry,
)
from csplib.methods.measures.significance import (
    EXACT_LIMIT,
    TestResult,
    poisson_test,
    survey_difference_ci,
)
from csplib.methods.measures.tables import (
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
from csplib.methods.measures.targets import Target
from csplib.methods.measures.tracking import (
    PROJECTIONS,
    TargetStatus,
    annual_values,
    track_target,
    track_targets,
)

__all__ = [
    "ARROWS",
    "TESTS",
    "Change",
    "ComparedValues",
    "TestResult",
    "compare",
    "compare_counts",
    "compare_periods",
    "compare_proportions",
    "compare_survey",
    "compare_values",
    "poisson_test",
    "survey_difference_ci",
    "AGGREGATIONS",
    "CATEGORY_GROUPS",
    "EXACT_LIMIT",
    "FRAMEWORK_VERSION",
    "GENERIC_FRAMEWORK",
    "LIBRARY",
    "PERFORMANCE_COLUMNS",
    "POLARITIES",
    "PROJECTIONS",
    "SOURCES",
    "UNITS",
    "AggregateResult",
    "Aggregation",
    "AggregationContext",
    "Filter",
    "Framework",
    "Measure",
    "MeasureValue",
    "PerformanceRow",
    "Registry",
    "Target",
    "TargetStatus",
    "annual_values",
    "compute",
    "extend_registry",
    "format_performance_table",
    "format_targets_table",
    "format_value",
    "get_measure",
    "load_framework",
    "load_registry",
    "performance_frame",
    "performance_table",
    "performance_table_html",
    "register_aggregation",
    "style_performance_table",
    "targets_table",
    "targets_table_html",
    "track_target",
    "track_targets",
]
