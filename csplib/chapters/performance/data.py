"""What the performance chapter reads, which measures it reports and over which periods.

* :func:`performance_data` gathers what the measures read (:class:`PerformanceData`): the
  incidents, partner and indicators tables, the months that have police.uk data, residents
  by year (for rates per 1,000), the indicators' area code and the months flagged as
  implausible by the quality report; :func:`assessment_period` turns the parameters'
  period into a :class:`~csplib.core.periods.Period`.
* The rows to report, their sections and targets are the partnership's framework
  (:func:`csplib.methods.measures.load_framework`, the parameters' ``framework:`` file);
  :func:`as_measure` looks a measure up by id in its registry.
* Indicators that cannot be added up over months (a survey wave, a rolling 12-month
  treatment rate) are reported for the indicator's own period: :func:`resolve_period` picks
  the row covering exactly the period asked for, else the latest row ending inside it (the
  ``2024 Survey`` for 2024/25); :func:`comparison_period` the row a year earlier, else the
  latest earlier row of the same length (the 2019 survey when there was no 2020 survey).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, months_present
from csplib.core.schema import POLICE_UK_CATEGORIES
from csplib.methods.measures.measure import Measure, MeasureValue
from csplib.methods.measures.registry import load_registry

__all__ = [
    "PerformanceData",
    "as_measure",
    "assessment_period",
    "comparison_period",
    "performance_data",
    "resolve_period",
]

#: How the chapter names each source table in notes.
SOURCE_NAMES = {
    "incidents": "police.uk",
    "partner": "partner",
    "indicators": "indicators",
}


def assessment_period(window) -> Period:
    """The parameters' assessed period (``params.assessment.period``) as a :class:`Period`.

    A window of April to March is a financial year and January to December a calendar year
    (so that "the same period a year earlier" is labelled the same way); any other window
    keeps the label given in the parameters.

    Examples
    --------
    >>> from csplib.params import Window
    >>> assessment_period(Window.parse("2024/25")).previous_year().label
    '2023/24'
    >>> p = assessment_period(Window.parse({"start": "2024-01", "end": "2024-03",
    ...                                     "label": "Jan - Mar 2024"}))
    >>> p.label, p.previous_year().label
    ('Jan - Mar 2024', 'Jan 23 - Mar 23')
    """
    if isinstance(window, Period):
        return window
    if isinstance(window, str):
        return Period.parse(window)
    try:
        start, end, label = window.start, window.end, window.label
    except AttributeError:
        raise ParamsError(
            f"expected the assessed period (start, end, label), got {window!r}"
        ) from None
    period = Period.window(start, end)
    if period.n_months == 12 and period.start.month == 4:
        return Period.financial_year(period.start.year)
    if period.n_months == 12 and period.start.month == 1:
        return Period.calendar_year(period.start.year)
    return Period(period.start, period.end, label=str(label), kind="window")


@dataclass
class PerformanceData:
    """What the framework's measures read, and what is known about its gaps.

    Parameters
    ----------
    tables : mapping
        ``{"incidents": ..., "partner": ..., "indicators": ...}``; a source that is absent is
        left out (its rows are reported as ``n/a``).
    months_present : iterable of months, optional
        Months with police.uk data (a month with no file is missing, never zero). Default:
        the months found in the incidents table.
    population : float or callable, optional
        Residents, for rates per 1,000: a number, or ``f(year) -> residents`` (the mid-year
        estimate for the year of the period's middle month is used).
    area : str, optional
        The area code of the indicators to use when the table holds several areas.
    implausible : DataFrame, optional
        Months flagged by the quality report (``month``, ``category``, ``direction``).
    absent : mapping, optional
        Why a source is absent, by source name (shown in the ``n/a`` rows).
    """

    tables: Mapping[str, pd.DataFrame]
    months_present: Iterable | None = None
    population: float | Callable[[int], float] | None = None
    area: str | None = None
    implausible: pd.DataFrame | None = None
    absent: Mapping[str, str] = field(default_factory=dict)
    _slices: dict = field(default_factory=dict, init=False, repr=False)
    _residents: dict = field(default_factory=dict, init=False, repr=False)
    _present: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.tables = {k: v for k, v in dict(self.tables).items() if v is not None}
        unknown = set(self.tables) - set(SOURCE_NAMES)
        if unknown:
            raise ParamsError(
                f"unknown table(s) {', '.join(sorted(unknown))}; expected some of "
                f"{', '.join(SOURCE_NAMES)}"
            )
        if self.months_present is not None:
            self.months_present = months_present(self.months_present)
        elif "incidents" in self.tables:
            self.months_present = months_present(self.tables["incidents"]["month"])

    def has(self, source: str) -> bool:
        """Whether the ``source`` table is present."""
        return source in self.tables

    def why_absent(self, source: str) -> str:
        """A short note for a source that is absent."""
        reason = self.absent.get(source)
        if reason:
            return f"no {SOURCE_NAMES[source]} data: {reason}"
        return f"no {SOURCE_NAMES[source]} data in the store"

    def present(self, source: str) -> pd.DatetimeIndex | None:
        """Months with data for ``source`` (None for indicators: their rows say)."""
        if source == "incidents":
            return self.months_present
        if source == "indicators" or source not in self.tables:
            return None
        if source not in self._present:
            self._present[source] = months_present(self.tables[source]["month"])
        return self._present[source]

    def table_for(self, measure: Measure) -> pd.DataFrame:
        """The measure's source table cut to the columns it reads (cached)."""
        table = self.tables[measure.source]
        needed = set(measure.filter.columns()) | set(measure.agg.columns)
        if measure.denominator is not None:
            needed |= measure.denominator.columns()
        if measure.source == "indicators":
            needed |= {"period_start", "period_end", "area", "indicator"}
        else:
            needed.add("month")
        cols = tuple(c for c in table.columns if c in needed)
        key = (measure.source, cols)
        if key not in self._slices:
            self._slices[key] = table.loc[:, list(cols)]
        return self._slices[key]

    def residents(self, period: Period) -> float | None:
        """Residents for ``period`` (None when no population was given)."""
        if self.population is None:
            return None
        if not callable(self.population):
            return float(self.population)
        year = period.population_year
        if year not in self._residents:
            self._residents[year] = float(self.population(year))
        return self._residents[year]

    def compute(self, measure: Measure, period: Period, **kwargs) -> MeasureValue:
        """Compute ``measure`` over ``period`` with this data's months, area and population."""
        if measure.source == "incidents":
            kwargs.setdefault("months_present", self.months_present)
        if measure.source == "indicators" and self.area is not None:
            kwargs.setdefault("area", self.area)
        population = self.residents(period) if measure.unit == "rate_per_1000" else None
        return measure.compute(
            {measure.source: self.table_for(measure)}, period, population=population, **kwargs
        )

    def compute_months(self, measure: Measure, period: Period, months) -> MeasureValue:
        """``measure`` over only ``months`` of ``period``: the like-for-like value of a
        comparison (:meth:`~csplib.methods.measures.measure.Measure.compute_months`)."""
        kwargs = {}
        if measure.source == "indicators" and self.area is not None:
            kwargs["area"] = self.area
        population = self.residents(period) if measure.unit == "rate_per_1000" else None
        return measure.compute_months(
            {measure.source: self.table_for(measure)},
            period,
            months,
            population=population,
            **kwargs,
        )

    def flagged_months(
        self, measure: Measure, period: Period, size: float | None = None, share: float = 0.01
    ) -> list[str]:
        """Months of ``period`` flagged implausible for a category the measure counts.

        With ``size`` (the count behind the measure's value), only flags whose shortfall or
        excess (``|expected - count|`` of the quality report) is at least ``share`` of it:
        one odd month of a small category does not distort a large total.
        """
        flags = self.implausible
        if measure.source != "incidents" or flags is None or flags.empty:
            return []
        cats = set(measure.filter.categories or POLICE_UK_CATEGORIES)
        cats -= set(measure.filter.exclude_categories)
        month = pd.to_datetime(flags["month"])
        inside = (month >= period.start) & (month <= period.end) & flags["category"].isin(cats)
        if size is not None and size > 0 and {"count", "expected"} <= set(flags.columns):
            gap = (flags["expected"].astype(float) - flags["count"].astype(float)).abs()
            inside &= gap >= share * size
        return [
            f"{m:%b %Y} {c} (implausibly {d})"
            for m, c, d in zip(
                month[inside],
                flags.loc[inside, "category"],
                flags.loc[inside, "direction"],
                strict=True,
            )
        ]


def performance_data(store, params=None) -> PerformanceData:
    """Build :class:`PerformanceData` from the tidy store (:func:`csplib.ingest.store.load_store`).

    Parameters
    ----------
    store : csplib.ingest.store.Store
    params : csplib.params.Params, optional
        Used for the indicators' area (the area's local authority code, when the
        indicators table holds it).
    """
    tables = {
        "incidents": store.incidents,
        "partner": store.partner,
        "indicators": store.indicators,
    }
    absent = {
        "partner": "the parameters name no partner extract (data.partner_extract)",
        "indicators": "the parameters name no indicators table (data.indicators)",
    }
    area = None
    if store.indicators is not None and params is not None:
        codes = set(params.area.la_codes) | {params.area.csp_code}
        found = [a for a in store.indicators["area"].dropna().unique() if a in codes]
        area = found[0] if len(found) == 1 else None
    geography = store.geography

    def population(year: int) -> float:
        return float(geography.population(year)["population"].sum())

    return PerformanceData(
        tables,
        months_present=store.months_present,
        population=population,
        area=area,
        implausible=store.quality.implausible,
        absent=absent,
    )


# -- periods ---------------------------------------------------------------------------


def is_additive(measure: Measure) -> bool:
    """Whether the measure's value for a period is the sum of its values over shorter ones."""
    return bool(measure.agg.additive and measure.params.get("additive", True))


def _indicator_spans(measure: Measure, data: PerformanceData) -> list[Period]:
    table = data.tables["indicators"]
    rows = table.loc[measure.filter.mask(table).to_numpy()]
    if data.area is not None:
        rows = rows.loc[(rows["area"] == data.area).fillna(False).to_numpy(bool)]
    if rows.empty:
        raise DataError("the indicators file holds no rows for this measure")
    start = pd.to_datetime(rows["period_start"])
    end = pd.to_datetime(rows["period_end"])
    return sorted({Period.window(s, e) for s, e in zip(start, end, strict=True)})


def _label_row(measure: Measure, period: Period) -> Period:
    """Give an indicator row its display label (``2019 Survey`` for a survey year)."""
    if period.start.month == 1 and period.n_months == 12:
        if measure.agg.test == "survey":
            return Period(period.start, period.end, f"{period.start.year} Survey", "calendar_year")
        return Period.calendar_year(period.start.year)
    if period.start.month == 4 and period.n_months == 12:
        return Period.financial_year(period.start.year)
    return Period.window(period.start, period.end)


def resolve_period(measure, data: PerformanceData, period) -> Period:
    """The period a measure is reported for when ``period`` is asked for.

    For an indicator that cannot be added up over months (a survey wave, a rolling
    12-month rate): the indicator's row covering exactly ``period``, else its latest row
    ending inside ``period``. Any other measure: ``period`` itself.

    Raises
    ------
    DataError
        When no row of a non-additive indicator ends inside ``period``.

    Examples
    --------
    >>> ind = pd.DataFrame({"indicator": "survey_experience_asb", "area": "E1",
    ...     "period_start": pd.to_datetime(["2023-01-01", "2024-01-01"]),
    ...     "period_end": pd.to_datetime(["2023-12-31", "2024-12-31"]),
    ...     "numerator": [170.0, 175.0], "denominator": [2000.0, 1968.0]})
    >>> data = PerformanceData({"indicators": ind})
    >>> resolve_period("experience_of_asb", data, "2024/25").label
    '2024 Survey'
    """
    measure = as_measure(measure)
    period = Period.parse(period)
    if measure.source != "indicators" or is_additive(measure):
        return period
    spans = _indicator_spans(measure, data)
    if period in spans:
        return _label_row(measure, period)
    inside = [s for s in spans if period.start <= s.end <= period.end]
    if not inside:
        raise DataError(
            f"no '{measure.filter.indicator}' row ends within {period.label} (the indicator "
            "cannot be added up over months, so it is reported for its own periods)"
        )
    latest = max(inside, key=lambda s: (s.end, s.n_months))
    return _label_row(measure, latest)


def comparison_period(measure, data: PerformanceData, current, against="previous_year") -> Period:
    """The period ``current`` is compared with.

    ``against="previous_year"``: the same months a year earlier; for a non-additive
    indicator, its row a year earlier, else its latest earlier row of the same length (the
    2019 survey for the 2021 survey when there was no 2020 survey). ``against`` may also be
    a period (e.g. the baseline), which a non-additive indicator resolves with
    :func:`resolve_period`.

    Examples
    --------
    >>> comparison_period("victim_based_crime", PerformanceData({}), "2024/25").label
    '2023/24'
    """
    measure = as_measure(measure)
    current = Period.parse(current)
    non_additive = measure.source == "indicators" and not is_additive(measure)
    if isinstance(against, str) and against == "previous_year":
        if not non_additive:
            return current.previous_year()
        spans = _indicator_spans(measure, data)
        before = current.previous_year()
        if before in spans:
            return _label_row(measure, before)
        earlier = [s for s in spans if s.end < current.start and s.n_months == current.n_months]
        if not earlier:
            raise DataError(
                f"no earlier '{measure.filter.indicator}' row to compare {current.label} with"
            )
        return _label_row(measure, max(earlier))
    other = Period.parse(against)
    return resolve_period(measure, data, other) if non_additive else other


def as_measure(measure, registry=None) -> Measure:
    """``measure`` itself, or the registry entry of an id (default: the measure library).

    Examples
    --------
    >>> from csplib.methods.measures import load_framework
    >>> as_measure("burglary", load_framework().registry).name
    'Burglary'
    """
    if isinstance(measure, Measure):
        return measure
    reg = registry if registry is not None else load_registry()
    return reg[measure]
