"""How a measure adds up its rows: the aggregation registry.

Each kind of aggregation (``count``, ``repeat_victim_share``, ``indicator_ratio``...) is an
:class:`Aggregation` in :data:`AGGREGATIONS`, a string-keyed facade named by a measure's
``aggregation:``; it says which tables it works on, what it gives (a count, a proportion or
a harm score, hence which :data:`UNITS` it can serve), the significance test behind a change
and its parameters with their defaults. Add one with :func:`register_aggregation`; its
function is called as ``func(rows, params, context)`` with an :class:`AggregationContext`
and returns an :class:`AggregateResult`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import pandas as pd

from csplib.core.errors import DataError, ParamsError

__all__ = [
    "AGGREGATIONS",
    "AggregateResult",
    "Aggregation",
    "AggregationContext",
    "UNITS",
    "register_aggregation",
]

#: Units: display name, and the kind of aggregation output each one needs.
UNITS: Mapping[str, dict] = MappingProxyType(
    {
        "count": {"label": "count", "output": "count"},
        "rate_per_1000": {"label": "rate per 1,000 residents", "output": "count"},
        "percentage": {"label": "percentage", "output": "proportion"},
        "harm_score": {"label": "harm score", "output": "harm"},
    }
)


@dataclass(frozen=True)
class AggregateResult:
    """What an aggregation function returns.

    Attributes
    ----------
    numerator : float
        The count (or weighted count, or harm score).
    denominator : float, optional
        The base, for aggregations that give a proportion.
    variance : float, optional
        Variance of a harm score (sum of squared weights).
    """

    numerator: float
    denominator: float | None = None
    variance: float | None = None


@dataclass
class AggregationContext:
    """Passed to aggregation functions: the measure id, the rows matching ``denominator``
    (``share``) and the ``weights=`` given to compute (``harm_score``)."""

    measure: str
    denominator_rows: pd.DataFrame | None = None
    weights: Mapping | None = None


@dataclass(frozen=True)
class Aggregation:
    """One kind of aggregation in the registry.

    Parameters
    ----------
    name : str
        Key used in the YAML (``aggregation: count``).
    description : str
    sources : tuple of str
        Tables it works on.
    output : {"count", "proportion", "harm"}
        What it gives; decides which units it can serve.
    test : {"poisson", "two_proportion", "survey", "harm"}
        The significance test used for a change (see :mod:`csplib.methods.measures.change`).
    columns : tuple of str
        Columns it reads besides those of the filter.
    params : dict
        Allowed parameters with their default values.
    check : callable, optional
        ``check(params) -> str or None``: a problem with the parameters, or None.
    func : callable
        ``func(rows, params, context) -> AggregateResult``.
    additive : bool
        False when the value for a period cannot be summed from shorter periods (then an
        indicator needs one row covering exactly the period).
    """

    name: str
    description: str
    sources: tuple[str, ...]
    output: str
    test: str
    func: Callable
    columns: tuple[str, ...] = ()
    params: Mapping = field(default_factory=dict)
    check: Callable | None = None
    additive: bool = True


#: The aggregation registry (a string-keyed facade, mapclassify-style).
AGGREGATIONS: dict[str, Aggregation] = {}


def register_aggregation(aggregation: Aggregation, *, replace: bool = False) -> Aggregation:
    """Add an aggregation kind to :data:`AGGREGATIONS` (refusing to replace by accident).

    Examples
    --------
    >>> agg = Aggregation("rows_x2", "twice the rows", ("incidents",), "count", "poisson",
    ...                   func=lambda rows, params, ctx: AggregateResult(2 * len(rows)))
    >>> _ = register_aggregation(agg)
    >>> "rows_x2" in AGGREGATIONS
    True
    >>> del AGGREGATIONS["rows_x2"]
    """
    if not isinstance(aggregation, Aggregation):
        raise ParamsError("register_aggregation expects an Aggregation")
    if aggregation.output not in {u["output"] for u in UNITS.values()}:
        raise ParamsError(f"aggregation output {aggregation.output!r} is not count/proportion/harm")
    if aggregation.name in AGGREGATIONS and not replace:
        raise ParamsError(
            f"aggregation '{aggregation.name}' is already registered; pass replace=True"
        )
    AGGREGATIONS[aggregation.name] = aggregation
    return aggregation


def _victim_counts(rows: pd.DataFrame) -> pd.Series:
    """Crimes per victim (rows without a victim_id cannot be assigned and are left out)."""
    victims = rows["victim_id"].dropna()
    if pd.api.types.is_string_dtype(victims.dtype):
        victims = victims[victims.str.strip() != ""]
    return victims.value_counts()


def _min_crimes_check(params):
    value = params["min_crimes"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 2:
        return f"min_crimes must be a whole number of at least 2, got {value!r}"
    return None


def _additive_check(params):
    if not isinstance(params["additive"], bool):
        return f"additive must be true or false, got {params['additive']!r}"
    return None


def _deff_check(params):
    value = params["design_effect"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        return f"design_effect must be a positive number, got {value!r}"
    return None


def _repeat_share(rows: pd.DataFrame, params, ctx: AggregationContext) -> AggregateResult:
    counts = _victim_counts(rows)
    return AggregateResult(float((counts >= params["min_crimes"]).sum()), float(len(counts)))


def _sum_column(rows: pd.DataFrame, column: str, ctx: AggregationContext) -> float:
    values = pd.to_numeric(rows[column], errors="coerce")
    if values.isna().any():
        raise DataError(
            f"measure '{ctx.measure}': {int(values.isna().sum())} indicator row(s) have no "
            f"numeric {column}"
        )
    return float(values.sum())


def _harm(rows: pd.DataFrame, params, ctx: AggregationContext) -> AggregateResult:
    if ctx.weights is None:
        raise ParamsError(
            f"measure '{ctx.measure}' is a harm score: pass weights= (offence code -> weight)"
        )
    weights = pd.Series(ctx.weights, dtype=float)
    weights.index = weights.index.astype("str").str.strip()
    codes = rows["offence_code"].astype("str").str.strip()
    w = codes.map(weights)
    if w.isna().any():
        missing = sorted(set(codes[w.isna().to_numpy()]))
        raise DataError(
            f"measure '{ctx.measure}': no harm weight for offence code(s) {', '.join(missing[:10])}"
        )
    return AggregateResult(float(w.sum()), variance=float((w**2).sum()))


for _agg in (
    Aggregation(
        "count",
        "number of rows matching the filter",
        ("incidents", "partner"),
        "count",
        "poisson",
        func=lambda rows, params, ctx: AggregateResult(float(len(rows))),
    ),
    Aggregation(
        "distinct_victims",
        "number of distinct victim_id among matching rows",
        ("partner",),
        "count",
        "poisson",
        columns=("victim_id",),
        func=lambda rows, params, ctx: AggregateResult(float(len(_victim_counts(rows)))),
    ),
    Aggregation(
        "repeat_victims",
        "victims with min_crimes or more matching crimes in the period",
        ("partner",),
        "count",
        "poisson",
        columns=("victim_id",),
        params={"min_crimes": 2},
        check=_min_crimes_check,
        func=lambda rows, params, ctx: AggregateResult(
            float((_victim_counts(rows) >= params["min_crimes"]).sum())
        ),
    ),
    Aggregation(
        "repeat_victim_share",
        "repeat victims (min_crimes or more crimes in the period) / victims",
        ("partner",),
        "proportion",
        "two_proportion",
        columns=("victim_id",),
        params={"min_crimes": 2},
        check=_min_crimes_check,
        func=_repeat_share,
    ),
    Aggregation(
        "share",
        "rows matching both filter and denominator / rows matching denominator",
        ("incidents", "partner"),
        "proportion",
        "two_proportion",
        func=lambda rows, params, ctx: AggregateResult(
            float(len(rows)), float(len(ctx.denominator_rows))
        ),
    ),
    Aggregation(
        "harm_score",
        "sum of the harm weights (weights=) of the matching rows' offence codes",
        ("partner",),
        "harm",
        "harm",
        columns=("offence_code",),
        func=_harm,
    ),
    Aggregation(
        "indicator_sum",
        "sum of numerator over the indicator's rows in the period",
        ("indicators",),
        "count",
        "poisson",
        columns=("numerator",),
        params={"additive": True},
        check=_additive_check,
        func=lambda rows, params, ctx: AggregateResult(_sum_column(rows, "numerator", ctx)),
    ),
    Aggregation(
        "indicator_ratio",
        "sum of numerators / sum of denominators over the indicator's rows in the period",
        ("indicators",),
        "proportion",
        "two_proportion",
        columns=("numerator", "denominator"),
        params={"additive": True},
        check=_additive_check,
        func=lambda rows, params, ctx: AggregateResult(
            _sum_column(rows, "numerator", ctx), _sum_column(rows, "denominator", ctx)
        ),
    ),
    Aggregation(
        "survey_proportion",
        "one survey wave: numerator (weighted count) / denominator (sample size)",
        ("indicators",),
        "proportion",
        "survey",
        columns=("numerator", "denominator"),
        params={"design_effect": 1.0},
        check=_deff_check,
        additive=False,
        func=lambda rows, params, ctx: AggregateResult(
            _sum_column(rows, "numerator", ctx), _sum_column(rows, "denominator", ctx)
        ),
    ),
):
    register_aggregation(_agg)
del _agg
