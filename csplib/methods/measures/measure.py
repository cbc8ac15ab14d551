"""A measure and its value: one definition of the registry, computed over a period.

:class:`Measure` holds a validated definition (its source table, its
:class:`~csplib.methods.measures.filters.Filter`, its
:class:`~csplib.methods.measures.aggregations.Aggregation`, unit, polarity and optional
:class:`~csplib.methods.measures.targets.Target`) and computes it over a
:class:`~csplib.core.periods.Period` into a :class:`MeasureValue`: the value with its
numerator, denominator, population and the months it covers, refusing a period the data do
not cover unless asked. Indicators are read per row (a survey wave, a rolling 12 months):
a non-additive indicator needs one row covering exactly the period.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, DefinitionError, ParamsError
from csplib.core.periods import Coverage, Period, check_coverage, months_present
from csplib.methods.measures.aggregations import (
    AGGREGATIONS,
    UNITS,
    Aggregation,
    AggregationContext,
)
from csplib.methods.measures.filters import SOURCES, Filter
from csplib.methods.measures.targets import Target

__all__ = ["POLARITIES", "Measure", "MeasureValue"]

#: Which way is good: lower values, higher values, or neither.
POLARITIES: tuple[str, ...] = ("lower_is_better", "higher_is_better", "neutral")

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

    def with_target(self, target) -> Measure:
        """This measure with ``target`` (a :class:`Target`, its YAML form, or None for none).

        Targets are a partnership's: its framework file gives them to the library's measures
        (:func:`csplib.methods.measures.framework.load_framework`).

        Raises
        ------
        DefinitionError
            For a bad target, or a target on a measure of neutral polarity.

        Examples
        --------
        >>> m = Measure.from_spec({"id": "robbery_count", "name": "Robbery", "theme": "Crime",
        ...     "source": "incidents", "unit": "count", "polarity": "lower_is_better",
        ...     "filter": {"categories": ["Robbery"]}, "aggregation": "count"})
        >>> m.with_target({"baseline": "2018/19", "change": "-10%",
        ...                "assessment": "2019/20 - 2021/22"}).target.target_value(200)
        180.0
        """
        if target is not None and not isinstance(target, Target):
            target = Target.from_spec(target, measure=self.id)
        if target is not None and self.polarity not in ("lower_is_better", "higher_is_better"):
            raise DefinitionError(
                f"measure '{self.id}': a target needs polarity lower_is_better or "
                f"higher_is_better, but the measure's polarity is {self.polarity}"
            )
        return replace(self, target=target)

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
        ctx = AggregationContext(self.id, weights=weights)
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

    def compute_months(self, data, period, months, **kwargs) -> MeasureValue:
        """The measure over only ``months`` of ``period``: the like-for-like value of a
        comparison (:func:`csplib.core.comparison.compare_months`).

        Rows of other months are left out (an indicator's row must lie wholly inside
        ``months``) and the value's coverage counts only ``months``. Other arguments are
        those of :meth:`compute` (not ``months_present`` or ``allow_incomplete``).

        Examples
        --------
        >>> m = Measure.from_spec({"id": "robbery_count", "name": "Robbery", "theme": "Crime",
        ...     "source": "incidents", "unit": "count", "polarity": "lower_is_better",
        ...     "filter": {"categories": ["Robbery"]}, "aggregation": "count"})
        >>> rows = pd.DataFrame({"month": pd.date_range("2019-01-01", "2019-03-01", freq="MS"),
        ...                      "category": "Robbery"})
        >>> v = m.compute_months(rows, "Q1 2019", ["2019-02", "2019-03"])
        >>> v.value, v.coverage.short()
        (2.0, '2 of 3 months')
        """
        table = self._table(data)
        wanted = months_present(months)
        if self.source == "indicators":
            start = _month_starts(table["period_start"], "period_start")
            end = _month_starts(table["period_end"], "period_end")
            keep = [
                pd.date_range(s, e, freq="MS").isin(wanted).all()
                for s, e in zip(start, end, strict=True)
            ]
            rows = table.loc[np.asarray(keep, dtype=bool)]
        else:
            month = _datetimes(table["month"], f"{self.source} column 'month'")
            rows = table.loc[month.dt.to_period("M").dt.to_timestamp().isin(wanted).to_numpy()]
        kwargs.update(months_present=wanted, allow_incomplete=True)
        return self.compute({self.source: rows}, period, **kwargs)

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
