"""Measure definitions as data: the registry, its filters and aggregations.

Every measure of the performance framework is declared in a readable YAML file
(``csplib/metrics/measures.yaml`` ships the partnership's measures). A definition names the
tidy table it reads (``source``), a declarative ``filter``, an ``aggregation`` taken from a
small registry, its ``unit`` and ``polarity``, and optionally a ``target``::

    - id: hate_crime_repeat_victim_share
      name: "% of hate crime victims that are repeats"
      theme: Hate Crime
      source: partner
      unit: percentage
      polarity: lower_is_better
      filter: {flags: {hate: true}}
      aggregation: {kind: repeat_victim_share, min_crimes: 2}
      target: {baseline: 2018/19, change: -10%, assessment: 2019/20 - 2022/23}

Filter keys (all optional, combined with AND): ``categories`` (police.uk categories),
``category_group`` (``victim_based``, ``all_crime``, ``asb``), ``exclude_categories``,
``offence_codes`` (Home Office codes, as text), ``flags`` (``{hate: true}``; the partner
columns ``hate``, ``domestic``, ``weapon``), ``where`` (``{column: value or [values]}``),
``indicator`` (for the indicators table) and ``any_of`` (a list of filters combined with OR).

Aggregations (see :data:`AGGREGATIONS`; add one with :func:`register_aggregation`):

======================  ===========  ==========  =============================================
kind                    sources      gives       what
======================  ===========  ==========  =============================================
count                   incidents,   count       rows matching the filter
                        partner
distinct_victims        partner      count       distinct ``victim_id`` among matching rows
repeat_victims          partner      count       victims with ``min_crimes`` (2)+ matching
                                                 crimes in the period
repeat_victim_share     partner      proportion  repeat victims / victims
share                   incidents,   proportion  rows matching ``filter`` and ``denominator``
                        partner                  / rows matching ``denominator``
harm_score              partner      harm        sum of offence-code weights (``weights=``)
indicator_sum           indicators   count       sum of ``numerator`` over the period's rows
indicator_ratio         indicators   proportion  sum of numerators / sum of denominators
survey_proportion       indicators   proportion  one survey wave: numerator / denominator,
                                                 with the sample size for its CI
======================  ===========  ==========  =============================================

Units: ``count``, ``rate_per_1000`` (a count divided by ``population`` x 1,000),
``percentage`` (values held as 0-100) and ``harm_score``. Polarity: ``lower_is_better``,
``higher_is_better`` or ``neutral``.

An analyst adds measures without Python by writing the same YAML in a file of their own and
loading it with ``load_registry(path)``; a measure with an id already shipped replaces the
shipped one only when it says ``override: true``. Every definition is checked when the
registry is loaded and a bad one raises :class:`~csplib.errors.DefinitionError` naming the
measure and the problem.
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType

import numpy as np
import pandas as pd
import yaml

from csplib.errors import DataError, DefinitionError, ParamsError
from csplib.metrics.periods import Coverage, Period, check_coverage, months_present
from csplib.metrics.targets import Target
from csplib.schema import (
    ASB,
    CRIME_CATEGORIES,
    INCIDENT_COLUMNS,
    INDICATOR_COLUMNS,
    PARTNER_COLUMNS,
    POLICE_UK_CATEGORIES,
    VICTIM_BASED_CATEGORIES,
)

__all__ = [
    "AGGREGATIONS",
    "AggregateResult",
    "Aggregation",
    "CATEGORY_GROUPS",
    "Filter",
    "Measure",
    "MeasureValue",
    "POLARITIES",
    "Registry",
    "SOURCES",
    "UNITS",
    "compute",
    "get_measure",
    "load_registry",
    "register_aggregation",
]

#: The tidy tables a measure can read, with their columns (from :mod:`csplib.schema`).
SOURCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "incidents": INCIDENT_COLUMNS,
        "partner": PARTNER_COLUMNS,
        "indicators": INDICATOR_COLUMNS,
    }
)

#: Units: display name, and the kind of aggregation output each one needs.
UNITS: Mapping[str, dict] = MappingProxyType(
    {
        "count": {"label": "count", "output": "count"},
        "rate_per_1000": {"label": "rate per 1,000 residents", "output": "count"},
        "percentage": {"label": "percentage", "output": "proportion"},
        "harm_score": {"label": "harm score", "output": "harm"},
    }
)

POLARITIES: tuple[str, ...] = ("lower_is_better", "higher_is_better", "neutral")

#: Named category groups usable as ``filter: {category_group: ...}``.
CATEGORY_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "victim_based": VICTIM_BASED_CATEGORIES,
        "all_crime": CRIME_CATEGORIES,
        "asb": (ASB,),
    }
)

_FLAG_COLUMNS = ("hate", "domestic", "weapon")
_TIME_COLUMNS = {"incidents": ("month",), "partner": ("month",), "indicators": ()}
_MEASURE_KEYS = (
    "id",
    "name",
    "theme",
    "source",
    "unit",
    "polarity",
    "filter",
    "aggregation",
    "denominator",
    "target",
    "description",
    "override",
)
_REQUIRED_KEYS = ("id", "name", "theme", "source", "unit", "polarity", "filter", "aggregation")
_FILTER_KEYS = (
    "categories",
    "category_group",
    "exclude_categories",
    "offence_codes",
    "flags",
    "where",
    "indicator",
    "any_of",
)


# -- filters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """A declarative row filter (all clauses combined with AND; ``any_of`` with OR).

    Build one from its registry form with :meth:`from_spec`; :meth:`mask` applies it.

    Examples
    --------
    >>> f = Filter.from_spec({"categories": ["Robbery"], "flags": {"weapon": True}},
    ...                      source="partner")
    >>> df = pd.DataFrame({"category": ["Robbery", "Robbery", "Burglary"],
    ...                    "weapon": [True, False, True]})
    >>> f.mask(df).tolist()
    [True, False, False]
    """

    categories: tuple[str, ...] | None = None
    exclude_categories: tuple[str, ...] = ()
    offence_codes: tuple[str, ...] | None = None
    flags: tuple[tuple[str, bool], ...] = ()
    where: tuple[tuple[str, tuple], ...] = ()
    indicator: str | None = None
    any_of: tuple[Filter, ...] = ()

    @classmethod
    def from_spec(cls, spec, source: str, measure: str = "?", key: str = "filter") -> Filter:
        """Validate a filter's registry form against ``source``'s columns.

        Raises
        ------
        DefinitionError
            Naming the measure and the problem: an unknown key or column, an unknown
            police.uk category or category group, a malformed flag or value list.
        """

        def fail(problem):
            raise DefinitionError(f"measure '{measure}': {key}: {problem}")

        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            fail(f"expected a mapping of filter clauses, got {spec!r}")
        unknown = [k for k in spec if k not in _FILTER_KEYS]
        if unknown:
            fail(
                f"unknown filter key(s) {', '.join(map(repr, unknown))}; "
                f"expected some of {', '.join(_FILTER_KEYS)}"
            )
        columns = SOURCES[source]

        def need(column, why):
            if column not in columns:
                fail(
                    f"unknown column '{column}' (from {why}) for source '{source}'; "
                    f"its columns are {', '.join(columns)}"
                )

        def category_list(name):
            value = spec[name]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                fail(f"{name} must be a non-empty list of police.uk categories")
            for cat in value:
                if cat not in POLICE_UK_CATEGORIES:
                    close = difflib.get_close_matches(str(cat), POLICE_UK_CATEGORIES, n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    fail(
                        f"unknown category {cat!r} in {name}{hint}; categories must be from "
                        "csplib.schema.POLICE_UK_CATEGORIES"
                    )
            return tuple(dict.fromkeys(value))

        categories = None
        if "categories" in spec:
            need("category", "categories")
            categories = category_list("categories")
        if "category_group" in spec:
            need("category", "category_group")
            group = spec["category_group"]
            if group not in CATEGORY_GROUPS:
                fail(
                    f"unknown category_group {group!r}; expected one of "
                    f"{', '.join(CATEGORY_GROUPS)}"
                )
            categories = tuple(dict.fromkeys((*(categories or ()), *CATEGORY_GROUPS[group])))
        exclude = ()
        if "exclude_categories" in spec:
            need("category", "exclude_categories")
            exclude = category_list("exclude_categories")
        codes = None
        if "offence_codes" in spec:
            need("offence_code", "offence_codes")
            value = spec["offence_codes"]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not value:
                fail("offence_codes must be a non-empty list of Home Office codes")
            if not all(isinstance(c, str) for c in value):
                bad = [c for c in value if not isinstance(c, str)]
                fail(
                    f"offence codes must be quoted text (e.g. '5D', '4.10'), got {bad!r}; "
                    "unquoted numbers lose their form (4.10 reads as 4.1)"
                )
            codes = tuple(dict.fromkeys(c.strip() for c in value))
        flags = ()
        if "flags" in spec:
            value = spec["flags"]
            if not isinstance(value, dict) or not value:
                fail("flags must be a mapping such as {hate: true}")
            for name, flag in value.items():
                if name not in _FLAG_COLUMNS:
                    fail(
                        f"unknown column '{name}' in flags; flags are the partner columns "
                        f"{', '.join(_FLAG_COLUMNS)}"
                    )
                need(name, "flags")
                if not isinstance(flag, bool):
                    fail(f"flag {name} must be true or false, got {flag!r}")
            flags = tuple(value.items())
        where = ()
        if "where" in spec:
            value = spec["where"]
            if not isinstance(value, dict) or not value:
                fail("where must be a mapping such as {hate_strand: [Race]}")
            items = []
            for column, values in value.items():
                need(column, "where")
                if column == "category":
                    fail("use 'categories' (checked against the police.uk list), not where")
                values = values if isinstance(values, list) else [values]
                if not values:
                    fail(f"where {column} needs at least one value")
                items.append((column, tuple(values)))
            where = tuple(items)
        indicator = None
        if "indicator" in spec:
            need("indicator", "indicator")
            indicator = spec["indicator"]
            if not isinstance(indicator, str) or not indicator.strip():
                fail(f"indicator must be the indicator's name, got {indicator!r}")
        any_of = ()
        if "any_of" in spec:
            value = spec["any_of"]
            if not isinstance(value, list) or len(value) < 2:
                fail("any_of must be a list of at least two filters")
            any_of = tuple(
                cls.from_spec(part, source, measure, key=f"{key}.any_of[{i}]")
                for i, part in enumerate(value)
            )
        return cls(categories, exclude, codes, flags, where, indicator, any_of)

    def columns(self) -> set[str]:
        """The columns the filter reads."""
        cols = set()
        if self.categories is not None or self.exclude_categories:
            cols.add("category")
        if self.offence_codes is not None:
            cols.add("offence_code")
        cols.update(name for name, _ in self.flags)
        cols.update(column for column, _ in self.where)
        if self.indicator is not None:
            cols.add("indicator")
        for part in self.any_of:
            cols |= part.columns()
        return cols

    def mask(self, df: pd.DataFrame) -> pd.Series:
        """Boolean Series (on ``df``'s index): rows that pass the filter."""
        keep = np.ones(len(df), dtype=bool)
        if self.categories is not None:
            keep &= df["category"].isin(self.categories).to_numpy(dtype=bool)
        if self.exclude_categories:
            keep &= ~df["category"].isin(self.exclude_categories).to_numpy(dtype=bool)
        if self.offence_codes is not None:
            codes = df["offence_code"].astype("str").str.strip()
            keep &= codes.isin(self.offence_codes).to_numpy(dtype=bool)
        for name, value in self.flags:
            flag = _as_flag(df[name], name)
            keep &= flag if value else ~flag
        for column, values in self.where:
            keep &= df[column].isin(values).to_numpy(dtype=bool)
        if self.indicator is not None:
            keep &= (df["indicator"] == self.indicator).fillna(False).to_numpy(dtype=bool)
        if self.any_of:
            either = np.zeros(len(df), dtype=bool)
            for part in self.any_of:
                either |= part.mask(df).to_numpy(dtype=bool)
            keep &= either
        return pd.Series(keep, index=df.index, name="keep")

    def to_spec(self) -> dict:
        """The registry form (with category groups expanded)."""
        spec: dict = {}
        if self.categories is not None:
            spec["categories"] = list(self.categories)
        if self.exclude_categories:
            spec["exclude_categories"] = list(self.exclude_categories)
        if self.offence_codes is not None:
            spec["offence_codes"] = list(self.offence_codes)
        if self.flags:
            spec["flags"] = dict(self.flags)
        if self.where:
            spec["where"] = {c: list(v) for c, v in self.where}
        if self.indicator is not None:
            spec["indicator"] = self.indicator
        if self.any_of:
            spec["any_of"] = [part.to_spec() for part in self.any_of]
        return spec


_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0", ""}


def _as_flag(series: pd.Series, name: str) -> np.ndarray:
    """A flag column as a numpy bool array (missing = not flagged)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.fillna(0).to_numpy() != 0
    text = series.astype("str").str.strip().str.lower()
    text = text.where(series.notna(), "")
    bad = ~text.isin(_TRUE | _FALSE)
    if bad.any():
        example = series[bad.to_numpy()].iloc[0]
        raise DataError(f"column '{name}' should hold true/false flags, found {example!r}")
    return text.isin(_TRUE).to_numpy(dtype=bool)


# -- aggregations -----------------------------------------------------------------------


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
class _Context:
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
        The significance test used for a change (see :mod:`csplib.metrics.change`).
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


def _repeat_share(rows: pd.DataFrame, params, ctx: _Context) -> AggregateResult:
    counts = _victim_counts(rows)
    return AggregateResult(float((counts >= params["min_crimes"]).sum()), float(len(counts)))


def _sum_column(rows: pd.DataFrame, column: str, ctx: _Context) -> float:
    values = pd.to_numeric(rows[column], errors="coerce")
    if values.isna().any():
        raise DataError(
            f"measure '{ctx.measure}': {int(values.isna().sum())} indicator row(s) have no "
            f"numeric {column}"
        )
    return float(values.sum())


def _harm(rows: pd.DataFrame, params, ctx: _Context) -> AggregateResult:
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


# -- measures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureValue:
    """The value of a measure over a period, with what is needed to test a change.

    Attributes
    ----------
    measure : str
        Measure id.
    period : Period
    value : float
        In the measure's unit (percentages as 0-100; NaN when a denominator is zero).
    unit : str
    numerator, denominator : float or None
        Count (or weighted count) and, for proportions, the base.
    population : float or None
        Residents, for rates per 1,000.
    variance : float or None
        Variance of a harm score (sum of squared weights).
    test : str
        The significance test the value calls for.
    design_effect : float
        Survey design effect (1 = simple random sample).
    coverage : Coverage
        Which months of the period had data.
    """

    measure: str
    period: Period
    value: float
    unit: str
    numerator: float | None
    denominator: float | None
    population: float | None
    variance: float | None
    test: str
    design_effect: float
    coverage: Coverage

    @property
    def complete(self) -> bool:
        """True when every month of the period had data."""
        return self.coverage.complete

    @property
    def n_months(self) -> int:
        """Months of the period that had data."""
        return self.coverage.n_covered

    @property
    def exposure(self) -> float:
        """Months with data x population (x 1 when no population): the Poisson exposure."""
        return self.n_months * (self.population if self.population else 1.0)

    def to_dict(self) -> dict:
        """A flat record."""
        return {
            "measure": self.measure,
            "period": self.period.label,
            "value": self.value,
            "unit": self.unit,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "population": self.population,
            "complete": self.complete,
            "months_covered": self.n_months,
            "coverage": self.coverage.describe(),
        }


@dataclass(frozen=True)
class Measure:
    """A performance measure: which rows, how aggregated, in what unit, which way is good.

    Create measures by loading a registry (:func:`load_registry`, :func:`get_measure`) or
    with :meth:`from_spec`; compute with :meth:`compute`.

    Examples
    --------
    >>> m = Measure.from_spec({"id": "robbery_count", "name": "Robbery", "theme": "Crime",
    ...     "source": "incidents", "unit": "count", "polarity": "lower_is_better",
    ...     "filter": {"categories": ["Robbery"]}, "aggregation": "count"})
    >>> incidents = pd.DataFrame({
    ...     "month": pd.to_datetime(["2019-04-01", "2019-05-01", "2019-05-01"]),
    ...     "category": ["Robbery", "Robbery", "Burglary"]})
    >>> m.compute(incidents, "Apr 19 - May 19").value
    2.0
    """

    id: str
    name: str
    theme: str
    source: str
    unit: str
    polarity: str
    filter: Filter
    aggregation: str
    params: Mapping = field(default_factory=dict)
    denominator: Filter | None = None
    target: Target | None = None
    description: str = ""
    origin: str = ""

    def __hash__(self):
        return hash((self.id, self.origin))

    @property
    def agg(self) -> Aggregation:
        """The :class:`Aggregation` used."""
        return AGGREGATIONS[self.aggregation]

    @property
    def unit_label(self) -> str:
        return UNITS[self.unit]["label"]

    # -- definition ---------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec, origin: str = "") -> Measure:
        """Build and validate a measure from its registry (YAML) form.

        Raises
        ------
        DefinitionError
            Naming the measure and the problem.
        """
        where = f" in {origin}" if origin else ""
        if not isinstance(spec, dict):
            raise DefinitionError(f"measure definition{where} must be a mapping, got {spec!r}")
        mid = spec.get("id")
        if not isinstance(mid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", mid):
            raise DefinitionError(
                f"measure{where} has id {mid!r}: an id must be lower-case letters, digits and "
                "underscores, starting with a letter"
            )

        def fail(problem):
            raise DefinitionError(f"measure '{mid}'{where}: {problem}")

        unknown = [k for k in spec if k not in _MEASURE_KEYS]
        if unknown:
            fail(
                f"unknown key(s) {', '.join(map(repr, unknown))}; "
                f"expected {', '.join(_MEASURE_KEYS)}"
            )
        missing = [k for k in _REQUIRED_KEYS if k not in spec]
        if missing:
            fail(f"missing key(s) {', '.join(missing)}")
        for key in ("name", "theme"):
            if not isinstance(spec[key], str) or not spec[key].strip():
                fail(f"{key} must be a non-empty string")
        source = spec["source"]
        if source not in SOURCES:
            fail(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
        unit = spec["unit"]
        if unit not in UNITS:
            fail(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
        polarity = spec["polarity"]
        if polarity not in POLARITIES:
            fail(f"unknown polarity {polarity!r}; expected one of {', '.join(POLARITIES)}")

        agg_spec = spec["aggregation"]
        if isinstance(agg_spec, str):
            kind, params = agg_spec, {}
        elif isinstance(agg_spec, dict) and "kind" in agg_spec:
            params = {k: v for k, v in agg_spec.items() if k != "kind"}
            kind = agg_spec["kind"]
        else:
            fail(f"aggregation must be a name or a mapping with 'kind', got {agg_spec!r}")
        if kind not in AGGREGATIONS:
            close = difflib.get_close_matches(str(kind), AGGREGATIONS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            fail(f"unknown aggregation {kind!r}{hint}; expected one of {', '.join(AGGREGATIONS)}")
        agg = AGGREGATIONS[kind]
        if source not in agg.sources:
            fail(
                f"aggregation '{kind}' works on source(s) {', '.join(agg.sources)}, not '{source}'"
            )
        bad_params = [p for p in params if p not in agg.params]
        if bad_params:
            allowed = ", ".join(agg.params) or "none"
            fail(
                f"unknown parameter(s) {', '.join(bad_params)} for aggregation '{kind}' "
                f"(allowed: {allowed})"
            )
        params = {**agg.params, **params}
        if agg.check is not None:
            problem = agg.check(params)
            if problem:
                fail(f"aggregation '{kind}': {problem}")
        for column in agg.columns:
            if column not in SOURCES[source]:
                fail(f"unknown column '{column}' (needed by aggregation '{kind}') for '{source}'")

        needed = UNITS[unit]["output"]
        if needed != agg.output:
            if unit == "percentage":
                fail(
                    f"unit 'percentage' needs a denominator, but aggregation '{kind}' gives a "
                    "plain count; use share (with a denominator filter), repeat_victim_share, "
                    "indicator_ratio or survey_proportion"
                )
            fail(
                f"unit '{unit}' needs an aggregation giving a {needed}, "
                f"but '{kind}' gives a {agg.output}"
            )

        filt = Filter.from_spec(spec["filter"], source, mid)
        if source == "indicators" and filt.indicator is None:
            fail("filter: an indicators measure needs 'indicator: <name>'")
        denominator = None
        if kind == "share":
            if spec.get("denominator") is None:
                fail(
                    "unit 'percentage' needs a denominator: aggregation 'share' divides by "
                    "the rows matching 'denominator:' (a filter), which is missing"
                )
            denominator = Filter.from_spec(spec["denominator"], source, mid, key="denominator")
        elif "denominator" in spec:
            fail(f"'denominator' is only used by aggregation 'share', not '{kind}'")

        target = None
        if spec.get("target") is not None:
            target = Target.from_spec(spec["target"], measure=mid)
            if polarity == "neutral":
                fail("a measure with a target needs polarity lower_is_better or higher_is_better")
        description = spec.get("description") or ""
        if not isinstance(description, str):
            fail("description must be a string")
        override = spec.get("override", False)
        if not isinstance(override, bool):
            fail(f"override must be true or false, got {override!r}")
        return cls(
            id=mid,
            name=spec["name"].strip(),
            theme=spec["theme"].strip(),
            source=source,
            unit=unit,
            polarity=polarity,
            filter=filt,
            aggregation=kind,
            params=MappingProxyType(params),
            denominator=denominator,
            target=target,
            description=" ".join(description.split()),
            origin=origin,
        )

    def to_spec(self) -> dict:
        """The registry (YAML) form of the measure."""
        spec = {
            "id": self.id,
            "name": self.name,
            "theme": self.theme,
            "source": self.source,
            "unit": self.unit,
            "polarity": self.polarity,
            "filter": self.filter.to_spec(),
            "aggregation": {"kind": self.aggregation, **dict(self.params)}
            if self.params
            else self.aggregation,
        }
        if self.denominator is not None:
            spec["denominator"] = self.denominator.to_spec()
        if self.target is not None:
            spec["target"] = self.target.to_spec()
        if self.description:
            spec["description"] = self.description
        return spec

    # -- computation --------------------------------------------------------------------
    def _table(self, data) -> pd.DataFrame:
        if isinstance(data, Mapping):
            if self.source not in data:
                raise ParamsError(
                    f"measure '{self.id}' reads the '{self.source}' table, but data has only "
                    f"{', '.join(map(str, data)) or 'no tables'}"
                )
            data = data[self.source]
        if hasattr(data, "to_pandas") and not isinstance(data, pd.DataFrame):
            data = data.to_pandas()
        if not isinstance(data, pd.DataFrame):
            raise ParamsError(
                f"measure '{self.id}': data must be a DataFrame (the {self.source} table) or a "
                f"mapping of table name to DataFrame, got {type(data).__name__}"
            )
        needed = set(_TIME_COLUMNS[self.source]) | self.filter.columns() | set(self.agg.columns)
        if self.denominator is not None:
            needed |= self.denominator.columns()
        if self.source == "indicators":
            needed |= {"period_start", "period_end", "area"}
        missing = sorted(needed - set(data.columns))
        if missing:
            raise DataError(
                f"measure '{self.id}' needs column(s) {', '.join(missing)} in the "
                f"{self.source} table; it has {', '.join(map(str, data.columns))}"
            )
        return data

    def compute(
        self,
        data,
        period,
        *,
        population=None,
        months_present=None,
        allow_incomplete: bool = False,
        area: str | None = None,
        weights=None,
    ) -> MeasureValue:
        """Compute the measure over ``period``.

        Parameters
        ----------
        data : DataFrame or mapping
            The measure's source table, or ``{"incidents": ..., "partner": ...,
            "indicators": ...}``.
        period : Period or str
            E.g. ``"2019/20"`` or ``"Sep 19 - Aug 20"``.
        population : float or mapping, optional
            Residents, required for ``rate_per_1000`` measures; a mapping is keyed by
            period label (or :class:`Period`).
        months_present : iterable of months, optional
            Months that have data for the source. By default, the distinct months of the
            whole source table (before filtering); for indicators, the months spanned by the
            indicator's rows.
        allow_incomplete : bool, default False
            By default a period that runs past the data or covers a month with no data is
            refused (:class:`DataError`). With True the value is computed over the months
            present and flagged (``value.complete`` is False; ``value.coverage`` lists them).
        area : str, optional
            For indicators: the ``area`` to use (needed when several are present).
        weights : mapping, optional
            Offence code -> weight, for ``harm_score`` measures.

        Returns
        -------
        MeasureValue
        """
        period = Period.parse(period)
        pop = _population(population, period, self.id) if self.unit == "rate_per_1000" else None
        table = self._table(data)
        ctx = _Context(self.id, weights=weights)
        if self.source == "indicators":
            rows, coverage = self._indicator_rows(
                table, period, months_present, allow_incomplete, area
            )
        else:
            month = _datetimes(table["month"], f"{self.source} column 'month'")
            present = month if months_present is None else months_present
            try:
                coverage = check_coverage(
                    period,
                    present,
                    allow_incomplete=allow_incomplete,
                    what=f"the {self.source} data",
                )
            except DataError as exc:
                raise DataError(f"measure '{self.id}': {exc}") from None
            in_period = ((month >= period.start) & (month < period.end_exclusive)).to_numpy(bool)
            frame = table.loc[in_period]
            rows = frame.loc[self.filter.mask(frame).to_numpy()]
            if self.denominator is not None:
                den_rows = frame.loc[self.denominator.mask(frame).to_numpy()]
                rows = rows.loc[self.denominator.mask(rows).to_numpy()]
                ctx.denominator_rows = den_rows
        result = self.agg.func(rows, dict(self.params), ctx)
        if self.unit == "rate_per_1000":
            value = result.numerator / pop * 1000
        elif self.unit == "percentage":
            den = result.denominator
            value = 100 * result.numerator / den if den else math.nan
        else:
            value = result.numerator
        return MeasureValue(
            measure=self.id,
            period=period,
            value=float(value),
            unit=self.unit,
            numerator=result.numerator,
            denominator=result.denominator,
            population=pop,
            variance=result.variance,
            test=self.agg.test,
            design_effect=float(self.params.get("design_effect", 1.0)),
            coverage=coverage,
        )

    def _indicator_rows(self, table, period, present, allow_incomplete, area):
        name = self.filter.indicator
        rows = table.loc[self.filter.mask(table).to_numpy()]
        if area is not None:
            rows = rows.loc[(rows["area"] == area).fillna(False).to_numpy(bool)]
        else:
            areas = rows["area"].dropna().unique()
            if len(areas) > 1:
                raise DataError(
                    f"measure '{self.id}': indicator '{name}' has rows for several areas "
                    f"({', '.join(map(str, sorted(areas)))}); pass area="
                )
        if rows.empty:
            where = f" for area '{area}'" if area is not None else ""
            raise DataError(
                f"measure '{self.id}': the indicators table has no rows for indicator "
                f"'{name}'{where}"
            )
        start = _month_starts(rows["period_start"], f"indicator '{name}' period_start")
        end = _month_starts(rows["period_end"], f"indicator '{name}' period_end")
        if (end < start).any():
            raise DataError(
                f"measure '{self.id}': indicator '{name}' has a row ending before it starts"
            )
        inside = ((start >= period.start) & (end <= period.end)).to_numpy(bool)
        spans = [Period(s, e).label for s, e in zip(start, end, strict=True)]
        additive = self.agg.additive and self.params.get("additive", True)
        if not additive:
            exact = (
                inside & (start == period.start).to_numpy(bool) & (end == period.end).to_numpy(bool)
            )
            if exact.sum() == 0:
                shown = sorted(set(spans), key=lambda s: Period.parse(s))[-6:]
                raise DataError(
                    f"measure '{self.id}': indicator '{name}' cannot be added up over time, so "
                    f"period {period.label} needs one row covering exactly {period.label}; "
                    f"its rows cover {', '.join(shown)}"
                )
            if exact.sum() > 1:
                raise DataError(
                    f"measure '{self.id}': indicator '{name}' has {int(exact.sum())} rows for "
                    f"{period.label}; expected one"
                )
            return rows.loc[exact], Coverage(period, tuple(period.months), ())
        use = rows.loc[inside]
        months = [
            m
            for s, e in zip(start[inside], end[inside], strict=True)
            for m in pd.date_range(s, e, freq="MS")
        ]
        seen = pd.Series(months, dtype="datetime64[ns]").value_counts()
        if (seen > 1).any():
            first = seen[seen > 1].index.min()
            raise DataError(
                f"measure '{self.id}': indicator '{name}' has overlapping rows covering "
                f"{first:%b %Y}; rows must not overlap to be added up"
            )
        try:
            coverage = check_coverage(
                period,
                months if present is None else present,
                allow_incomplete=allow_incomplete,
                what=f"indicator '{name}'",
            )
        except DataError as exc:
            straddle = [
                spans[i]
                for i in np.flatnonzero(
                    ~inside
                    & (start <= period.end).to_numpy(bool)
                    & (end >= period.start).to_numpy(bool)
                )
            ]
            note = (
                f" (row(s) {', '.join(straddle)} cross the period's boundary and cannot be split)"
                if straddle
                else ""
            )
            raise DataError(f"measure '{self.id}': {exc}{note}") from None
        return use, coverage

    def last_month(self, data, area: str | None = None) -> pd.Timestamp | None:
        """The latest month with data for this measure's source (None when empty)."""
        table = self._table(data)
        if self.source == "indicators":
            rows = table.loc[self.filter.mask(table).to_numpy()]
            if area is not None:
                rows = rows.loc[(rows["area"] == area).fillna(False).to_numpy(bool)]
            if rows.empty:
                return None
            return _month_starts(rows["period_end"], "period_end").max()
        month = _datetimes(table["month"], f"{self.source} column 'month'")
        if month.dropna().empty:
            return None
        return months_present(month).max()


def _datetimes(series: pd.Series, what: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is not None:
            return series.dt.tz_localize(None)
        return series
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{what} holds values that are not dates: {exc}") from None


def _month_starts(series: pd.Series, what: str) -> pd.Series:
    values = _datetimes(series, what)
    if values.isna().any():
        raise DataError(f"{what} has missing dates")
    return values.dt.to_period("M").dt.to_timestamp(how="start")


def _population(population, period: Period, measure: str) -> float:
    if population is None:
        raise ParamsError(
            f"measure '{measure}' is a rate per 1,000 residents: pass population= "
            "(a number, or a mapping from period label to number)"
        )
    if isinstance(population, Mapping | pd.Series):
        lookup = {Period.parse(k): v for k, v in dict(population).items()}
        if period not in lookup:
            raise ParamsError(
                f"measure '{measure}': no population given for {period.label}; given for "
                f"{', '.join(p.label for p in lookup)}"
            )
        population = lookup[period]
    if isinstance(population, bool) or not isinstance(population, int | float | np.number):
        raise ParamsError(f"measure '{measure}': population must be a number, got {population!r}")
    if not population > 0:
        raise ParamsError(f"measure '{measure}': population must be positive, got {population!r}")
    return float(population)


def compute(measure, data, period, **kwargs) -> MeasureValue:
    """Compute a measure (an id or a :class:`Measure`) over a period.

    Keyword arguments are those of :meth:`Measure.compute`; ``registry=`` selects the
    registry an id is looked up in.

    Examples
    --------
    >>> incidents = pd.DataFrame({"month": pd.to_datetime(["2019-04-01"] * 3),
    ...                           "category": ["Burglary", "Drugs", "Anti-social behaviour"]})
    >>> compute("victim_based_crime", incidents, "Apr 19").value
    1.0
    """
    registry = kwargs.pop("registry", None)
    if isinstance(measure, str):
        measure = get_measure(measure, registry)
    return measure.compute(data, period, **kwargs)


# -- registry ---------------------------------------------------------------------------


class Registry(Mapping):
    """Measures by id (read-only). Load one with :func:`load_registry`.

    Looking up an unknown id raises :class:`DefinitionError` with the closest ids.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["victim_based_crime"].unit
    'count'
    >>> "asb_police_recorded" in reg
    True
    """

    def __init__(self, measures: Iterable[Measure] = ()):
        items: dict[str, Measure] = {}
        for m in measures:
            if m.id in items:
                raise DefinitionError(
                    f"measure '{m.id}': duplicate id (defined in {items[m.id].origin or '?'} and "
                    f"{m.origin or '?'})"
                )
            items[m.id] = m
        self._items = items

    def __getitem__(self, key: str) -> Measure:
        try:
            return self._items[key]
        except KeyError:
            close = difflib.get_close_matches(str(key), self._items, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DefinitionError(f"unknown measure '{key}'{hint}") from None

    def __contains__(self, key) -> bool:
        return key in self._items

    def get(self, key, default=None):
        return self._items.get(key, default)

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({len(self)} measures)"

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: its definition in brief, indexed by id."""
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "theme": m.theme,
                "source": m.source,
                "unit": m.unit,
                "polarity": m.polarity,
                "aggregation": m.aggregation,
                "target": m.target.text if m.target else None,
                "origin": m.origin,
            }
            for m in self._items.values()
        ]
        columns = [
            "id",
            "name",
            "theme",
            "source",
            "unit",
            "polarity",
            "aggregation",
            "target",
            "origin",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("id")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _read_definitions(text: str, origin: str) -> list[tuple[dict, Measure]]:
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("measures"), list):
        raise DefinitionError(f"{origin}: expected a mapping with a 'measures:' list")
    unknown = set(doc) - {"measures", "version"}
    if unknown:
        raise DefinitionError(
            f"{origin}: unknown top-level key(s) {', '.join(sorted(map(str, unknown)))}; "
            "expected 'measures' (and optionally 'version')"
        )
    out = []
    for spec in doc["measures"]:
        out.append((spec, Measure.from_spec(spec, origin=origin)))
    Registry(m for _, m in out)  # duplicate ids within one file
    return out


@functools.lru_cache(maxsize=1)
def _shipped() -> Registry:
    text = resources.files("csplib.metrics").joinpath("measures.yaml").read_text("utf-8")
    return Registry(m for _, m in _read_definitions(text, "csplib/metrics/measures.yaml"))


def load_registry(path=None, *, include_shipped: bool = True) -> Registry:
    """Load measure definitions: the shipped registry, extended by the analyst's file(s).

    Parameters
    ----------
    path : str, os.PathLike or list of them, optional
        YAML file(s) with a ``measures:`` list in the shipped format. Their measures are
        added to the shipped ones; one with an id already defined replaces it only when it
        says ``override: true`` (otherwise a duplicate id is an error).
    include_shipped : bool, default True
        False loads only the given file(s).

    Returns
    -------
    Registry

    Raises
    ------
    DefinitionError
        Naming the measure and the problem, for any bad definition; for a missing file or
        invalid YAML, naming the file.

    Examples
    --------
    >>> reg = load_registry()
    >>> reg["asb_police_recorded"].target.text
    'Reduce ASB by 25%'
    """
    base = list(_shipped().values()) if include_shipped else []
    if path is None:
        return _shipped() if include_shipped else Registry()
    paths = path if isinstance(path, list | tuple) else [path]
    merged: dict[str, Measure] = {m.id: m for m in base}
    for p in paths:
        if not isinstance(p, str | os.PathLike):
            raise ParamsError(f"registry path must be a file path, got {p!r}")
        try:
            with open(p, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise DefinitionError(f"{p}: cannot read the measures file: {exc.strerror}") from None
        for spec, measure in _read_definitions(text, str(p)):
            override = spec.get("override", False)
            if measure.id in merged and not override:
                raise DefinitionError(
                    f"measure '{measure.id}' in {p}: duplicate id, already defined in "
                    f"{merged[measure.id].origin}; add 'override: true' to replace it"
                )
            if override and measure.id not in merged:
                raise DefinitionError(
                    f"measure '{measure.id}' in {p}: override: true, but there is no measure "
                    f"'{measure.id}' to replace"
                )
            merged[measure.id] = measure
    return Registry(merged.values())


def get_measure(name: str, registry: Registry | None = None) -> Measure:
    """Look up a measure by id in ``registry`` (default: the shipped registry).

    Examples
    --------
    >>> get_measure("victim_based_crime").polarity
    'lower_is_better'
    """
    if isinstance(name, Measure):
        return name
    return (registry if registry is not None else _shipped())[name]
