"""The performance chapter: the partnership's framework measures, targets and findings.

This module is the glue between the tidy store and :mod:`csplib.metrics` (which holds the
measure definitions, periods, significance tests and table layouts):

* :func:`performance_data` gathers what the measures read: the incidents, partner and
  indicators tables, the months that have police.uk data, residents by year (for rates per
  1,000), the indicators' area code and the months flagged as implausible by the quality
  report; :func:`assessment_period` turns the parameters' period into a
  :class:`~csplib.metrics.periods.Period`.
* :func:`framework_rows` chooses the rows to report: the headline measures (in the order of
  the partnership's published table), the crime categories the Partnership Plan tracks for
  direction of travel, and every other measure of the registry.
* :func:`assess_rows` computes each row for a period against a comparison period and never
  lets a row disappear: a source that is absent, a period the data do not cover, or an
  incomplete period gives a row marked ``n/a`` with a note saying why (a partial period is
  marked incomplete and is not compared). :func:`performance_rows_frame` and
  :func:`format_performance_rows` give the table in the published layout.
* :func:`track_framework_targets` gives each target measure's baseline and yearly values and
  its status (on track / met), :func:`targets_frame`, :func:`tracking_frame` and their
  ``format_*`` twins the two tables, :func:`plot_target` / :func:`plot_targets` the chart.
* :func:`performance_findings` states the key findings as sentences for the summary.

Indicators that cannot be added up over months (a survey wave, a rolling 12-month treatment
rate) are reported for the indicator's own period: :func:`resolve_period` picks the row
covering exactly the period asked for, else the latest row ending inside it (the
``2024 Survey`` for 2024/25); their comparison is the row a year earlier, else the latest
earlier row of the same length (the 2019 survey when there was no 2020 survey).

Examples
--------
>>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
>>> incidents = pd.DataFrame({"month": months.repeat(3),
...     "category": ["Burglary", "Robbery", "Anti-social behaviour"] * len(months)})
>>> data = PerformanceData({"incidents": incidents})
>>> rows = assess_rows(data, "2019/20", ["victim_based_crime", "hate_crime_repeat_victims"])
>>> frame = performance_rows_frame(rows)
>>> frame[["Performance", "Vol. Change", "DOT"]].values.tolist()
[[24.0, 0.0, '↔'], [nan, nan, 'n/a']]
>>> frame.loc[1, "Note"]
'no partner data in the store'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from csplib.charts.style import PALETTE, finish, new_axes
from csplib.errors import DataError, ParamsError
from csplib.metrics.change import Change, compare
from csplib.metrics.measures import Measure, MeasureValue, load_registry
from csplib.metrics.periods import Period, months_present
from csplib.metrics.tables import (
    PERFORMANCE_COLUMNS,
    PerformanceRow,
    format_performance_table,
    format_value,
    performance_frame,
)
from csplib.metrics.targets import TargetStatus, track_target
from csplib.narrative import Finding
from csplib.schema import POLICE_UK_CATEGORIES

__all__ = [
    "HEADLINE_MEASURES",
    "TRACKED_MEASURES",
    "TARGET_ROWS",
    "MIN_YEARS_TO_PROJECT",
    "PerformanceData",
    "RowResult",
    "TargetTrack",
    "assessment_period",
    "performance_data",
    "framework_rows",
    "resolve_period",
    "comparison_period",
    "assess_rows",
    "performance_rows_frame",
    "format_performance_rows",
    "suppress_small_counts",
    "unavailable_notes",
    "measure_definitions",
    "target_years",
    "track_framework_targets",
    "targets_frame",
    "format_targets_frame",
    "tracking_frame",
    "format_tracking_frame",
    "plot_target",
    "plot_targets",
    "targets_summary",
    "performance_findings",
]

EVIDENCE = "06_performance"

#: The headline measures, in the order of the partnership's performance table (report to
#: scrutiny, Nov 2020, section 3.3).
HEADLINE_MEASURES: tuple[str, ...] = (
    "victim_based_crime",
    "asb_police_recorded",
    "experience_of_asb",
    "hate_crime_repeat_victims",
    "hate_crime_repeat_victim_share",
    "successful_completions",
)

#: Crime the Partnership Plan 2022-25 tracks "in order to understand the direction of
#: travel" (police.uk combines violence and sexual offences; its theft is four categories).
TRACKED_MEASURES: tuple[str, ...] = (
    "all_crime",
    "violence_and_sexual_offences",
    "public_order",
    "criminal_damage_and_arson",
    "burglary",
    "robbery",
    "vehicle_crime",
    "theft_from_the_person",
    "bicycle_theft",
    "shoplifting",
    "other_theft",
    "drugs",
    "possession_of_weapons",
    "other_crime",
    "hate_crime_volume",
)

#: Rows of the targets table, in the published order: (measure, the target measure it
#: supports). Experience of ASB has no target of its own; it is shown under the ASB target.
TARGET_ROWS: tuple[tuple[str, str | None], ...] = (
    ("victim_based_crime", None),
    ("hate_crime_repeat_victim_share", None),
    ("asb_police_recorded", None),
    ("experience_of_asb", "asb_police_recorded"),
    ("successful_completions", None),
)

#: How a sentence names a measure (fallback: the registry name).
_SUBJECTS = {
    "victim_based_crime": "Victim-based crime",
    "all_crime": "All recorded crime",
    "asb_police_recorded": "Police-recorded ASB",
    "experience_of_asb": "The share of survey respondents who experienced ASB",
    "hate_crime_repeat_victims": "The number of repeat victims of hate crime",
    "hate_crime_repeat_victim_share": "The share of hate crime victims who were repeat victims",
    "successful_completions": "Successful completions from substance misuse treatment",
    "hate_crime_volume": "Hate crime",
}

#: What a count counts, by aggregation (incidents rows: offences, or incidents for ASB).
_NOUNS = {
    "count": "offences",
    "distinct_victims": "victims",
    "repeat_victims": "victims",
    "indicator_sum": "",
}

_SOURCE_NAMES = {
    "incidents": "police.uk",
    "partner": "partner",
    "indicators": "indicators",
}


# -- data -------------------------------------------------------------------------------


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
        unknown = set(self.tables) - set(_SOURCE_NAMES)
        if unknown:
            raise ParamsError(
                f"unknown table(s) {', '.join(sorted(unknown))}; expected some of "
                f"{', '.join(_SOURCE_NAMES)}"
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
            return f"no {_SOURCE_NAMES[source]} data: {reason}"
        return f"no {_SOURCE_NAMES[source]} data in the store"

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
    """Build :class:`PerformanceData` from the tidy store (:func:`csplib.store.load_store`).

    Parameters
    ----------
    store : csplib.store.Store
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


def framework_rows(registry=None) -> dict[str, list[str]]:
    """The measures to report, by section, in order.

    ``Headline measures`` (:data:`HEADLINE_MEASURES`), ``Tracked categories``
    (:data:`TRACKED_MEASURES`) and ``Other framework measures``: every other measure in the
    registry, in registry order (rates per 1,000, domestic abuse, serious violence,
    referrals, fires, treatment numbers, and any measure an analyst added).

    Examples
    --------
    >>> rows = framework_rows()
    >>> rows["Headline measures"][:2]
    ['victim_based_crime', 'asb_police_recorded']
    >>> "asb_rate" in rows["Other framework measures"]
    True
    """
    reg = registry if registry is not None else load_registry()
    headline = [m for m in HEADLINE_MEASURES if m in reg]
    tracked = [m for m in TRACKED_MEASURES if m in reg]
    chosen = set(headline) | set(tracked)
    others = [m for m in reg if m not in chosen]
    return {
        "Headline measures": headline,
        "Tracked categories": tracked,
        "Other framework measures": others,
    }


# -- periods ----------------------------------------------------------------------------


def _additive(measure: Measure) -> bool:
    return bool(measure.agg.additive and measure.params.get("additive", True))


def _indicator_spans(measure: Measure, data: PerformanceData) -> list[Period]:
    table = data.tables["indicators"]
    rows = table.loc[measure.filter.mask(table).to_numpy()]
    if data.area is not None:
        rows = rows.loc[(rows["area"] == data.area).fillna(False).to_numpy(bool)]
    if rows.empty:
        raise DataError(f"the indicators table has no rows for '{measure.filter.indicator}'")
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
    measure = _measure(measure)
    period = Period.parse(period)
    if measure.source != "indicators" or _additive(measure):
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
    measure = _measure(measure)
    current = Period.parse(current)
    non_additive = measure.source == "indicators" and not _additive(measure)
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


def _measure(measure, registry=None) -> Measure:
    if isinstance(measure, Measure):
        return measure
    reg = registry if registry is not None else load_registry()
    return reg[measure]


# -- performance rows -------------------------------------------------------------------


@dataclass(frozen=True)
class RowResult:
    """One row of the performance table, computed or explained.

    Attributes
    ----------
    measure : Measure
    period : Period or None
        Period reported (None when it could not be resolved).
    value : MeasureValue or None
        The current value (None: not computable, see ``note``).
    change : Change or None
        The comparison (None: not compared, see ``note``).
    comparison : Period or None
    note : str
        Why a value or comparison is missing.
    warning : str
        Months of the period or comparison period flagged as implausible.
    section : str
    target : str
        Target text shown in the row (the area's headline target for headline rows).
    """

    measure: Measure
    period: Period | None
    value: MeasureValue | None
    change: Change | None
    comparison: Period | None
    note: str = ""
    warning: str = ""
    section: str = ""
    target: str = ""

    @property
    def computed(self) -> bool:
        return self.value is not None

    @property
    def compared(self) -> bool:
        return self.change is not None


def _short(exc: Exception) -> str:
    text = str(exc)
    if text.startswith("measure '") and "': " in text:
        text = text.split("': ", 1)[1]
    return text.split(". Use a period inside the data")[0]


def _gap_note(m: Measure, data: PerformanceData, value: MeasureValue, what: str) -> str:
    """Why a value computed with ``allow_incomplete=True`` cannot be used as it is."""
    name = _SOURCE_NAMES[m.source]
    period = value.period
    if value.coverage.n_covered == 0:
        present = data.present(m.source)
        span = ""
        if present is not None and len(present):
            span = f" (the data cover {present.min():%b %Y} to {present.max():%b %Y})"
        return f"no {name} data for the {what} {period.label}{span}"
    return f"the {what} {period.label} has {value.coverage.describe()} of {name} data"


def _area_targets(measures: list[Measure]) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in measures:
        if m.target is not None and m.theme not in out:
            out[m.theme] = m.target.text
    return out


def assess_rows(
    data: PerformanceData,
    period,
    measures,
    *,
    against="previous_year",
    registry=None,
    alpha: float = 0.05,
    section: str = "",
    area_targets: bool = True,
) -> list[RowResult]:
    """Compute each measure for ``period`` and compare it (see :class:`RowResult`).

    Parameters
    ----------
    data : PerformanceData
    period : Period or str
    measures : iterable of str or Measure
    against : "previous_year", "baseline" or Period or str
        ``baseline``: the measure's target baseline, else (for a measure without a target)
        the first target baseline among ``measures``.
    alpha : float
        Significance level of the tests behind the direction of travel.
    area_targets : bool
        Show an area's headline target on each of its rows (as the published table does).

    Raises
    ------
    ParamsError
        ``against="baseline"`` when no measure given has a target (so no baseline).

    Returns
    -------
    list of RowResult
        One per measure, in order: nothing is dropped. A missing source, a period the data
        do not cover (or cover only in part) or an indicator without a row for the period
        gives a row without value and/or change, with a note.

    Examples
    --------
    >>> months = pd.date_range("2019-01-01", "2019-12-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Burglary"})
    >>> [r] = assess_rows(PerformanceData({"incidents": inc}), "2019", ["burglary"])
    >>> r.value.value, r.change
    (24.0, None)
    >>> print(r.note)  # doctest: +NORMALIZE_WHITESPACE
    no police.uk data for the comparison period 2018 (the data cover Jan 2019 to Dec 2019):
    not compared
    """
    period = Period.parse(period)
    chosen = [_measure(m, registry) for m in measures]
    targets = _area_targets(chosen) if area_targets else {}
    baselines = [m.target.baseline for m in chosen if m.target is not None]
    out = []
    for m in chosen:
        target = m.target.text if m.target is not None else targets.get(m.theme, "")
        base = dict(measure=m, section=section, target=target)
        if not data.has(m.source):
            out.append(
                RowResult(
                    period=period,
                    value=None,
                    change=None,
                    comparison=None,
                    note=data.why_absent(m.source),
                    **base,
                )
            )
            continue
        if m.unit == "rate_per_1000" and data.population is None:
            out.append(
                RowResult(
                    period=period,
                    value=None,
                    change=None,
                    comparison=None,
                    note="no population given for the rate per 1,000",
                    **base,
                )
            )
            continue
        try:
            current = resolve_period(m, data, period)
        except DataError as exc:
            out.append(
                RowResult(
                    period=period,
                    value=None,
                    change=None,
                    comparison=None,
                    note=_short(exc),
                    **base,
                )
            )
            continue
        if isinstance(against, str) and against == "baseline":
            vs = m.target.baseline if m.target is not None else (baselines or [None])[0]
            if vs is None:
                raise ParamsError("against='baseline' needs a measure with a target")
        else:
            vs = against
        notes = []
        value = change = other = prev = None
        try:
            value = data.compute(m, current, allow_incomplete=True)
        except DataError as exc:
            notes.append(_short(exc))
        if value is not None and value.coverage.n_covered == 0:
            notes.append(_gap_note(m, data, value, "period"))
            value = None
        elif value is not None and not value.complete:
            notes.append(_gap_note(m, data, value, "period") + ": marked incomplete, not compared")
        elif value is not None:
            try:
                other = comparison_period(m, data, current, vs)
                prev = data.compute(m, other, allow_incomplete=True)
                if _additive(m) and other.n_months != current.n_months:
                    notes.append(
                        f"{current.label} ({current.n_months} months) and {other.label} "
                        f"({other.n_months} months) differ in length: not compared"
                    )
                elif prev.complete:
                    change = compare(value, prev, measure=m, alpha=alpha)
                else:
                    notes.append(_gap_note(m, data, prev, "comparison period") + ": not compared")
            except DataError as exc:
                notes.append(_short(exc))
        checked = [(current, "period", value)] if value is not None else []
        if change is not None:
            checked.append((other, "comparison period", prev))
        warnings = []
        for p, what, v in checked:
            flagged = data.flagged_months(m, p, size=v.numerator)
            if flagged:
                warnings.append(
                    f"the {what} {p.label} includes {', '.join(flagged)}: read with care"
                )
        out.append(
            RowResult(
                period=current,
                value=value,
                change=change,
                comparison=other,
                note="; ".join(notes),
                warning="; ".join(warnings),
                **base,
            )
        )
    return out


_FRAME_COLUMNS = [
    *PERFORMANCE_COLUMNS,
    "Note",
    "measure",
    "unit",
    "change_unit",
    "Comparison Period",
    "Previous",
    "p-value",
    "Test",
    "Outcome",
    "Complete",
    "Section",
]


def performance_rows_frame(rows: Iterable[RowResult]) -> pd.DataFrame:
    """The performance table (numbers kept numeric) from :func:`assess_rows`.

    Columns: the published :data:`~csplib.metrics.tables.PERFORMANCE_COLUMNS`, ``Note``, then
    the detail columns of :func:`csplib.metrics.tables.performance_frame` and ``Section``.
    A row not computed has NaN values; a row not compared has NaN changes and DOT
    ``n/a``.
    """
    records = []
    for r in rows:
        m = r.measure
        overrides = PerformanceRow(m, target=r.target or None, period_label=None)
        if r.change is not None:
            rec = performance_frame([(r.change, overrides)]).iloc[0].to_dict()
            rec["Performance Period"] = r.period.label
            rec["Comparison Period"] = r.comparison.label
            rec["Target"] = r.target
        else:
            unit = m.unit
            rec = {
                "Area": m.theme,
                "Target": r.target,
                "Indicator": m.name,
                "Performance": r.value.value if r.value is not None else math.nan,
                "Performance Period": r.period.label if r.period is not None else "",
                "% Change": math.nan,
                "Vol. Change": math.nan,
                "DOT": "n/a",
                "measure": m.id,
                "unit": unit,
                "change_unit": "pp" if unit == "percentage" else "%",
                "Comparison Period": r.comparison.label if r.comparison is not None else "",
                "Previous": math.nan,
                "p-value": math.nan,
                "Test": "",
                "Outcome": "not compared" if r.value is not None else "not computed",
                "Complete": True if r.value is None else r.value.complete,
            }
        rec["Note"] = "; ".join(n for n in (r.note, r.warning) if n)
        rec["Section"] = r.section
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=_FRAME_COLUMNS)
    for col in ("Performance", "% Change", "Vol. Change", "Previous", "p-value"):
        df[col] = df[col].astype(float)
    df["Complete"] = df["Complete"].astype(bool)
    df.index.name = "row"
    return df


def suppress_small_counts(frame: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Hide count rows whose current or previous count is from 1 to ``threshold - 1``.

    The count, the previous count and both changes are set to NaN (one of them would give
    the others away), ``Suppressed`` is set and the note says so. Zeros are shown (they say
    nothing about any person), as in :mod:`csplib.disclosure`.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months[[0, 13, 14]], "category": "Robbery"})
    >>> rows = assess_rows(PerformanceData({"incidents": inc}, months_present=months),
    ...                    "2019/20", ["robbery"])
    >>> out = suppress_small_counts(performance_rows_frame(rows), 5)
    >>> bool(out.loc[0, "Suppressed"]), float(out.loc[0, "Performance"]), out.loc[0, "DOT"]
    (True, nan, '↔')
    >>> format_performance_rows(out).loc[0, ["Performance", "Vol. Change"]].tolist()
    ['[c]', '[c]']
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise ParamsError(f"threshold must be a whole number of at least 1, got {threshold!r}")
    out = frame.copy()
    counts = out["unit"].eq("count")
    small = pd.Series(False, index=out.index)
    for col in ("Performance", "Previous"):
        v = out[col]
        small |= counts & v.notna() & (v > 0) & (v < threshold)
    out["Suppressed"] = small if "Suppressed" not in out else (out["Suppressed"] | small)
    out.loc[small, ["Performance", "Previous", "% Change", "Vol. Change"]] = math.nan
    note = f"suppressed: a count below {threshold}"
    out.loc[small, "Note"] = [f"{note}; {n}" if n else note for n in out.loc[small, "Note"]]
    return out


def format_performance_rows(frame: pd.DataFrame, *, note: bool = True) -> pd.DataFrame:
    """Display strings in the published layout (``-16.8%``, ``+0.7pp``, ``n/a``), plus ``Note``.

    Cells hidden by :func:`suppress_small_counts` show ``[c]``.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(3), "category": "Burglary"})
    >>> rows = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    >>> format_performance_rows(performance_rows_frame(rows)).iloc[0, 3:8].tolist()
    ['36', '2019/20', '0.0%', '0', '↔']
    """
    shown = format_performance_table(frame)
    # a rate's volume change is a change in the count behind it: a whole number
    rate = (frame["unit"] == "rate_per_1000") & frame["Vol. Change"].notna()
    shown.loc[rate, "Vol. Change"] = [
        f"{v:+,.0f}" if v else "0" for v in frame.loc[rate, "Vol. Change"]
    ]
    if "Suppressed" in frame:
        hidden = frame["Suppressed"].fillna(False).astype(bool)
        shown.loc[hidden, ["Performance", "% Change", "Vol. Change"]] = "[c]"
    if note:
        shown["Note"] = frame["Note"].fillna("").astype("str")
    return shown


def unavailable_notes(rows: Iterable[RowResult]) -> list[str]:
    """One sentence per reason that rows were not computed or not compared, naming them.

    Examples
    --------
    >>> rows = assess_rows(PerformanceData({}), "2019/20", ["hate_crime_volume",
    ...                                                     "hate_crime_repeat_victims"])
    >>> unavailable_notes(rows)
    ['Volume of Hate Crime, Volume of Repeat Victims: no partner data in the store.']
    """
    grouped: dict[str, list[str]] = {}
    for r in rows:
        if r.change is None:
            reason = (r.note or "not computed").removesuffix(": not compared")
            grouped.setdefault(reason, []).append(r.measure.name)
    return [f"{', '.join(names)}: {reason}." for reason, names in grouped.items()]


def measure_definitions(measures, registry=None) -> pd.DataFrame:
    """The registry definitions of ``measures``, for a reviewer (one row per measure).

    Columns ``name``, ``theme``, ``source``, ``filter`` (the registry's filter, as written in
    ``measures.yaml`` with category groups expanded), ``aggregation`` (with its parameters),
    ``unit``, ``polarity``, ``test`` (behind the direction of travel), ``target`` and
    ``description``; indexed by measure id.

    Examples
    --------
    >>> d = measure_definitions(["hate_crime_repeat_victim_share"])
    >>> d.loc["hate_crime_repeat_victim_share", ["filter", "aggregation", "test"]].tolist()
    ['flags: hate=true', 'repeat_victim_share (min_crimes=2)', 'two-proportion z-test']
    """
    tests = {
        "poisson": "exact Poisson",
        "two_proportion": "two-proportion z-test",
        "survey": "survey CI of the difference",
        "harm": "normal (Poisson variance)",
    }
    records = []
    for mid in measures:
        m = _measure(mid, registry)
        params = ", ".join(f"{k}={v}" for k, v in m.params.items())
        target = ""
        if m.target is not None:
            spec = m.target.to_spec()
            target = (
                f"{spec['text']}: {spec['change']} against {spec['baseline']}, "
                f"assessed over {spec['assessment']}"
            )
        records.append(
            {
                "id": m.id,
                "name": m.name,
                "theme": m.theme,
                "source": m.source,
                "filter": _filter_text(m.filter.to_spec()),
                "aggregation": f"{m.aggregation} ({params})" if params else m.aggregation,
                "unit": m.unit,
                "polarity": m.polarity,
                "test": tests.get(m.agg.test, m.agg.test),
                "target": target,
                "description": m.description,
            }
        )
    columns = ["id", "name", "theme", "source", "filter", "aggregation", "unit", "polarity",
               "test", "target", "description"]  # fmt: skip
    return pd.DataFrame.from_records(records, columns=columns).set_index("id")


def _filter_text(spec: Mapping) -> str:
    parts = []
    for key, value in spec.items():
        if key == "any_of":
            parts.append("any of (" + " | ".join(_filter_text(p) for p in value) + ")")
        elif isinstance(value, Mapping):
            inner = ", ".join(
                f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in value.items()
            )
            parts.append(f"{key}: {inner}")
        elif isinstance(value, list | tuple):
            parts.append(f"{key}: {', '.join(map(str, value))}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


# -- targets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetTrack:
    """A target measure's yearly values and where it stands.

    Attributes
    ----------
    measure : Measure
    supports : Measure
        The measure whose target this row is shown under (itself for a target measure).
    annual : pandas.Series
        Values by financial year label, the baseline first (NaN: no value, see ``cells``).
    cells : dict
        For each NaN year, what to show instead: ``Awaiting data`` (after the assessed
        period or the data), ``Not available`` (no indicator row for the year), ``No data``
        (before the data start) or ``Incomplete`` (a month missing).
    status : TargetStatus or None
        From :func:`csplib.metrics.targets.track_target`; None for a supporting measure or
        when the baseline or current value is missing (see ``note``).
    ended : bool
        True when the target's assessment period had ended by the end of the assessed
        period: the status is then the outcome (``Met`` / ``Not met``), judged on the final
        year.
    note : str
    flags : dict
        For a year whose value includes a month flagged implausible by the quality report,
        the months (e.g. ``Jun 2023 Anti-social behaviour (implausibly low)``).
    """

    measure: Measure
    supports: Measure
    annual: pd.Series
    cells: Mapping[str, str]
    status: TargetStatus | None
    ended: bool
    note: str = ""
    flags: Mapping[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """``On track``, ``Not on track``, ``Met``, ``Not met`` or ``n/a``."""
        if self.status is None:
            return "n/a"
        if self.ended:
            return "Met" if self.status.on_track else "Not met"
        return self.status.status


def target_years(target, period) -> list[Period]:
    """The baseline, then each financial year to the later of the target's end and ``period``.

    Examples
    --------
    >>> from csplib.metrics import get_measure
    >>> t = get_measure("asb_police_recorded").target
    >>> years = [p.label for p in target_years(t, "2024/25")]
    >>> years[0], years[1], years[-1]
    ('2018/19', '2019/20', '2024/25')
    >>> [p.label for p in target_years(t, "Sep 19 - Aug 20")][-1]
    '2022/23'
    """
    period = Period.parse(period)
    last = max(target.assessment.end, period.end)
    years = [target.baseline]
    year = target.baseline.start.year + 1
    while True:
        fy = Period.financial_year(year)
        if fy.start > last:
            break
        years.append(fy)
        year += 1
    return years


def _year_value(m: Measure, data: PerformanceData, year: Period, period: Period):
    """(value, cell, count) for one year of the targets table: cell says why value is NaN."""
    if year.end > period.end:
        return math.nan, "Awaiting data", None
    if not data.has(m.source):
        return math.nan, "No data", None
    try:
        value = data.compute(m, resolve_period(m, data, year), allow_incomplete=True)
    except DataError:
        return math.nan, "Not available", None
    if value.complete:
        return value.value, "", value.numerator
    present = data.present(m.source)
    if present is not None and len(present):
        if year.end > present.max():
            return math.nan, "Awaiting data", None
        if year.start < present.min():
            return math.nan, "No data", None
    return math.nan, ("Not available" if value.coverage.n_covered == 0 else "Incomplete"), None


def track_framework_targets(
    data: PerformanceData,
    period,
    rows=TARGET_ROWS,
    *,
    registry=None,
    projection: str = "linear",
) -> list[TargetTrack]:
    """Yearly values and target status of the framework's target measures.

    Parameters
    ----------
    data : PerformanceData
    period : Period or str
        The assessed period: no value after its end is used.
    rows : iterable of (measure, supported target measure or None)
        Default :data:`TARGET_ROWS`.
    projection : {"linear", "current"}
        See :func:`csplib.metrics.targets.track_target`.

    Returns
    -------
    list of TargetTrack

    Notes
    -----
    While the target's assessment period runs (the assessed period ends before it), the
    measure is judged on the 12 months ending with the assessed period (for a
    non-additive indicator, its latest row ending in them) against the straight path from
    baseline to target, and projected to the end with the least-squares line through the
    yearly values (:mod:`csplib.metrics.targets`). Once it has ended, the status is the
    outcome: the final year's value against the target value (``Met`` / ``Not met``).

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                               [("asb_police_recorded", None)])
    >>> t.annual.tolist()[:2], t.state, t.status.target_value
    ([24.0, 24.0], 'Not on track', 18.0)
    """
    period = Period.parse(period)
    out = []
    for mid, parent in rows:
        m = _measure(mid, registry)
        sup = _measure(parent, registry) if parent else m
        if sup.target is None:
            raise ParamsError(f"measure '{sup.id}' has no target to show '{m.id}' under")
        target = sup.target
        values, cells, flags = {}, {}, {}
        for year in target_years(target, period):
            values[year.label], cell, size = _year_value(m, data, year, period)
            if cell:
                cells[year.label] = cell
            elif flagged := data.flagged_months(m, year, size=size):
                flags[year.label] = ", ".join(flagged)
        annual = pd.Series(values, dtype=float, name=m.id)
        annual.index.name = "period"
        ended = period.end >= target.assessment.end
        status, note = None, ""
        if m.target is not None:
            status, note = _status(m, data, period, annual, ended, projection)
        elif parent:
            note = f"shown under the target of {sup.name} (no target of its own)"
        out.append(TargetTrack(m, sup, annual, cells, status, ended, note, flags))
    return out


def _status(m, data, period, annual, ended, projection):
    target = m.target
    if not np.isfinite(annual.get(target.baseline.label, np.nan)):
        why = ""
        if not data.has(m.source):
            why = f"; {data.why_absent(m.source)}"
        elif (present := data.present(m.source)) is not None and len(present):
            name = _SOURCE_NAMES[m.source]
            why = f"; the {name} data cover {present.min():%b %Y} to {present.max():%b %Y}"
        return None, f"no value for the baseline {target.baseline.label}{why}"
    last_year = target.assessment.financial_years()[-1]
    if ended:
        value = annual.get(last_year.label, np.nan)
        if not np.isfinite(value):
            return None, f"no value for {last_year.label}, the final year of the target"
        current = (last_year, float(value))
    else:
        window = period if period.n_months == 12 else Period.rolling(period.end, 12)
        if not data.has(m.source):
            return None, data.why_absent(m.source)
        try:
            value = data.compute(m, resolve_period(m, data, window), allow_incomplete=True)
        except DataError as exc:
            return None, _short(exc)
        if not value.complete:
            return None, _gap_note(m, data, value, "period")
        current = (value.period, value.value)
    known = annual[[Period.parse(k).end <= current[0].end for k in annual.index]]
    status = track_target(m, known, current=current, projection=projection)
    note = ""
    if ended:
        note = f"the target period ended in {target.assessment.end:%B %Y}: status is the outcome"
    return status, note


def targets_frame(tracks: Iterable[TargetTrack]) -> pd.DataFrame:
    """The targets table in the published layout, numbers kept numeric.

    Columns ``Target``, ``Measure``, ``Baseline (<period>)``, one per later year (NaN where
    there is no value), then ``measure`` and ``unit``. A supporting measure shows the
    target it is listed under.
    """
    tracks = list(tracks)
    baselines = {t.supports.target.baseline.label for t in tracks}
    if len(baselines) > 1:
        raise ParamsError(f"targets with different baselines: {', '.join(sorted(baselines))}")
    base = next(iter(baselines)) if baselines else ""
    years: list[str] = []
    for t in tracks:
        years += [y for y in t.annual.index if y != base and y not in years]
    records = []
    for t in tracks:
        rec = {
            "Target": t.supports.target.text,
            "Measure": t.measure.name,
            f"Baseline ({base})": t.annual.get(base, math.nan),
        }
        rec.update({y: t.annual.get(y, math.nan) for y in years})
        rec.update({"measure": t.measure.id, "unit": t.measure.unit})
        records.append(rec)
    columns = ["Target", "Measure", f"Baseline ({base})", *years, "measure", "unit"]
    df = pd.DataFrame.from_records(records, columns=columns)
    df.index.name = "row"
    return df


def format_targets_frame(tracks: Iterable[TargetTrack], *, pct_decimals: int = 2) -> pd.DataFrame:
    """Display strings of :func:`targets_frame`: ``37,486``, ``16.30%``, ``Awaiting data``.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> tracks = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                                  [("asb_police_recorded", None)])
    >>> format_targets_frame(tracks).iloc[0].tolist()[1:5]
    ['Volume of Police Recorded Incidents', '24', '24', 'Awaiting data']
    """
    tracks = list(tracks)
    frame = targets_frame(tracks)
    out = frame.drop(columns=["measure", "unit"]).astype("object")
    for i, t in enumerate(tracks):
        for col in out.columns[2:]:
            label = col[len("Baseline (") : -1] if col.startswith("Baseline (") else col
            value = frame.loc[i, col]
            if pd.isna(value):
                out.loc[i, col] = t.cells.get(label, "n/a")
            else:
                text = format_value(value, t.measure.unit, pct_decimals=pct_decimals)
                if label in t.flags:
                    text += f" (includes {t.flags[label]})"
                out.loc[i, col] = text
    return out.astype("str")


#: Yearly values (baseline included) needed before a projection is shown.
MIN_YEARS_TO_PROJECT = 3


def _n_years(status: TargetStatus) -> int:
    """Yearly values the projection of ``status`` rests on (baseline included)."""
    end = status.target.assessment.end
    known = status.annual.dropna()
    return sum(Period.parse(label).end <= end for label in known.index)


def _projection_note(t: TargetTrack) -> str:
    if t.status is None or t.ended:
        return ""
    n = _n_years(t.status)
    if n < MIN_YEARS_TO_PROJECT:
        return f"no projection: {n} yearly value(s) known, {MIN_YEARS_TO_PROJECT} needed"
    return ""


def tracking_frame(tracks: Iterable[TargetTrack]) -> pd.DataFrame:
    """Where each target stands: one row per target measure, numbers kept numeric.

    Columns ``Target``, ``Measure``, ``Baseline``, ``Target Value``, ``Target Due``,
    ``Judged On``, ``Value``, ``Change vs Baseline`` (% for counts, percentage points for
    percentages), ``Path Value``, ``Status``, ``Projected`` (the linear
    projection for the final year; NaN once the target period has ended),
    ``Projection Meets Target``, ``Note``, ``measure``, ``unit``, ``change_unit``. The
    projection is shown while the target period runs and once at least
    :data:`MIN_YEARS_TO_PROJECT` yearly values (baseline included) are known: a line through
    two points says little.
    """
    records = []
    for t in tracks:
        if t.measure.target is None:
            continue
        s = t.status
        target = t.measure.target
        due = target.assessment.financial_years()[-1].label
        pct = t.measure.unit == "percentage"
        versus = math.nan
        if s is not None:
            versus = s.current_value - s.baseline_value if pct else s.change_vs_baseline
        project = s is not None and not t.ended and _n_years(s) >= MIN_YEARS_TO_PROJECT
        projected = s.projected_value if project else math.nan
        meets = s.projected_to_meet if project else None
        records.append(
            {
                "Target": target.text,
                "Measure": t.measure.name,
                "Baseline": s.baseline_value if s else t.annual.get(target.baseline.label),
                "Target Value": s.target_value if s else math.nan,
                "Target Due": due,
                "Judged On": s.current_period.label if s else "",
                "Value": s.current_value if s else math.nan,
                "Change vs Baseline": versus,
                "Path Value": s.path_value if s else math.nan,
                "Status": t.state,
                "Projected": projected,
                "Projection Meets Target": meets,
                "Note": t.note or _projection_note(t),
                "measure": t.measure.id,
                "unit": t.measure.unit,
                "change_unit": "pp" if pct else "%",
            }
        )
    columns = [
        "Target", "Measure", "Baseline", "Target Value", "Target Due", "Judged On", "Value",
        "Change vs Baseline", "Path Value", "Status", "Projected", "Projection Meets Target",
        "Note", "measure", "unit", "change_unit",
    ]  # fmt: skip
    df = pd.DataFrame.from_records(records, columns=columns)
    for col in (
        "Baseline",
        "Target Value",
        "Value",
        "Change vs Baseline",
        "Path Value",
        "Projected",
    ):
        df[col] = df[col].astype(float)
    df.index.name = "row"
    return df


def format_tracking_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Display strings of :func:`tracking_frame` (values in each measure's unit)."""
    out = frame.drop(columns=["measure", "unit", "change_unit"]).astype("object")
    out["Change vs Baseline"] = [
        "n/a" if pd.isna(v) else f"{v:+.1f}{u}".replace("+0.0", "0.0")
        for v, u in zip(frame["Change vs Baseline"], frame["change_unit"], strict=True)
    ]
    for col in ("Baseline", "Target Value", "Value", "Path Value", "Projected"):
        out[col] = [
            format_value(v, u, pct_decimals=2)
            for v, u in zip(frame[col], frame["unit"], strict=True)
        ]
    out["Projection Meets Target"] = [
        "n/a" if v is None or pd.isna(v) else ("Yes" if v else "No")
        for v in frame["Projection Meets Target"]
    ]
    return out.astype("str")


# -- chart ------------------------------------------------------------------------------


#: Short names for chart titles.
_SHORT = {
    "victim_based_crime": "Victim-based crime",
    "asb_police_recorded": "Police-recorded ASB",
    "experience_of_asb": "Experience of ASB (survey)",
    "hate_crime_repeat_victim_share": "Hate crime repeat victims (%)",
    "successful_completions": "Successful completions",
}


def _title(t: TargetTrack) -> str:
    name = _SHORT.get(t.measure.id, t.measure.name)
    if t.measure.target is None:
        known = t.annual.dropna()
        if known.empty:
            return f"{name}: no values"
        latest = format_value(known.iloc[-1], t.measure.unit)
        return f"{name}: {latest} in {known.index[-1]} (no target of its own)"
    if t.status is None:
        return f"{name}: target status not available"
    s = t.status
    value = format_value(s.current_value, t.measure.unit)
    if t.ended:
        verb = "met" if s.on_track else "not met"
        return f"{name}: target {verb} ({value} in {s.current_period.label})"
    state = "on track" if s.on_track else "not on track"
    return f"{name}: {state} ({value} in {s.current_period.label})"


def plot_target(track: TargetTrack, *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """One measure by financial year against its baseline and its target path.

    The line is the yearly value (gaps where there is none), the grey dashed line the
    baseline, the orange dashed line the straight path from the baseline to the target
    value at the end of the target period; the title states where the measure stands.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> [t] = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                               [("asb_police_recorded", None)])
    >>> ax = plot_target(t)
    >>> ax.get_title(loc="left")
    'Police-recorded ASB: not on track (24 in 2019/20)'
    """
    ax = ax if ax is not None else new_axes(6.0, 3.5)
    labels = list(track.annual.index)
    x = np.arange(len(labels))
    y = track.annual.to_numpy(dtype=float)
    ax.plot(x, y, marker="o", color=PALETTE[0], label=track.measure.name)
    target = track.supports.target
    base_label = target.baseline.label
    base = track.annual.get(base_label, math.nan)
    if np.isfinite(base):
        ax.axhline(
            base, color="#888888", linestyle="--", linewidth=1, label=f"Baseline {base_label}"
        )
        if track.measure.target is not None:
            end_label = target.assessment.financial_years()[-1].label
            if end_label in labels:
                x0, x1 = labels.index(base_label), labels.index(end_label)
                goal = target.target_value(float(base))
                ax.plot(
                    [x0, x1],
                    [base, goal],
                    color=PALETTE[1],
                    linestyle="--",
                    label=f"Target path ({target.text})",
                )
                ax.plot([x1], [goal], marker="D", color=PALETTE[1], linestyle="none")
    s = track.status
    if s is not None and not track.ended and s.current_period.label not in labels:
        if base_label in labels:
            xc = (
                labels.index(base_label)
                + target.baseline.months_between_ends(s.current_period) / 12
            )
            ax.plot(
                [xc],
                [s.current_value],
                marker="*",
                markersize=12,
                color=PALETTE[5],
                linestyle="none",
                label=f"Latest 12 months ({s.current_period.label})",
            )
    for i, label in enumerate(labels):
        if label in track.flags and np.isfinite(y[i]):
            ax.plot(
                [i],
                [y[i]],
                marker="o",
                markersize=11,
                markerfacecolor="none",
                color=PALETTE[5],
                linestyle="none",
                label="Includes an implausible month",
            )
        if not np.isfinite(y[i]) and label in track.cells:
            ax.annotate(
                track.cells[label],
                (i, 0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color="#555555",
                rotation=90,
                va="bottom",
            )
    ax.set_xticks(x, labels, rotation=45, ha="right")
    if track.measure.unit == "percentage":
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.1f}%")
    else:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.legend(fontsize=7, frameon=False, loc="best")
    return finish(
        ax, title=title if title is not None else _title(track), ylabel=track.measure.unit_label
    )


def plot_targets(tracks: Iterable[TargetTrack], *, axes=None, ncols: int = 2) -> np.ndarray:
    """:func:`plot_target` for each track that has a value, on a grid of Axes.

    Tracks without any value are left out; with none left, nothing is drawn and an empty
    array is returned (the chapter says why in text).

    Returns
    -------
    numpy.ndarray of Axes
        One per track drawn.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> tracks = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20")
    >>> [ax.get_title(loc="left").split(":")[0] for ax in plot_targets(tracks)]
    ['Victim-based crime', 'Police-recorded ASB']
    """
    import matplotlib.pyplot as plt

    tracks = [t for t in tracks if t.annual.notna().any()]
    if not tracks:
        return np.array([], dtype=object)
    if axes is None:
        nrows = math.ceil(len(tracks) / ncols)
        _, axes = plt.subplots(
            nrows, ncols, figsize=(6 * ncols, 3.6 * nrows), layout="constrained", squeeze=False
        )
    flat = np.asarray(axes).ravel()
    if len(flat) < len(tracks):
        raise ParamsError(f"{len(tracks)} tracks need as many Axes, got {len(flat)}")
    for t, ax in zip(tracks, flat, strict=False):
        plot_target(t, ax=ax)
    for ax in flat[len(tracks) :]:
        ax.set_visible(False)
    return flat[: len(tracks)]


def targets_summary(tracks: Iterable[TargetTrack]) -> str:
    """One paragraph: which targets are met / on track, which are not, which not assessed.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(2), "category": "Anti-social behaviour"})
    >>> tracks = track_framework_targets(PerformanceData({"incidents": inc}), "2019/20",
    ...                                  [("asb_police_recorded", None)])
    >>> print(targets_summary(tracks))  # doctest: +NORMALIZE_WHITESPACE
    The targets are assessed over 2019/20 - 2022/23 against the 2018/19 baseline; judged
    on 2019/20. Not on track: Reduce ASB by 25% (Volume of Police Recorded Incidents).
    """
    tracks = [t for t in tracks if t.measure.target is not None]
    if not tracks:
        return "No measure with a target was tracked."
    first = tracks[0].measure.target
    groups: dict[str, list[str]] = {}
    judged: set[str] = set()
    for t in tracks:
        name = f"{t.measure.target.text} ({t.measure.name})"
        if t.status is None:
            groups.setdefault("Not assessed", []).append(f"{name}: {t.note}")
        else:
            groups.setdefault(t.state, []).append(name)
            judged.add(t.status.current_period.label)
    head = (
        f"The targets are assessed over {first.assessment.label} against the "
        f"{first.baseline.label} baseline"
    )
    if any(t.ended for t in tracks):
        head += f"; that period ended in {first.assessment.end:%B %Y}, so the status is the outcome"
    if judged:
        head += f"; judged on {', '.join(sorted(judged))}"
    order = ("Met", "Not met", "On track", "Not on track", "Not assessed")
    parts = [f"{state}: {'; '.join(groups[state])}." for state in order if state in groups]
    return head + ". " + " ".join(parts)


# -- findings ---------------------------------------------------------------------------


def _noun(m: Measure) -> str:
    if m.source == "incidents" and m.filter.categories == ("Anti-social behaviour",):
        return "incidents"
    return _NOUNS.get(m.aggregation, "")


def _when(label: str) -> str:
    """``in 2024/25``; ``in the 2024 survey`` for a survey wave."""
    if label.endswith(" Survey"):
        return f"in the {label.removesuffix(' Survey')} survey"
    return f"in {label}"


def _significance(change: Change) -> str:
    if change.significant:
        word = "rise" if change.difference > 0 else "fall"
        return f"the {word} is statistically significant"
    return f"the change is not statistically significant (p = {change.p_value:.2f})"


def _change_sentence(m: Measure, change: Change, *, baseline: bool = False) -> str:
    subject = _SUBJECTS.get(m.id, m.name)
    cur, prev = _when(change.current_period), _when(change.previous_period)
    prev = prev.removeprefix("in ")
    when = f"{cur} against the {prev} baseline" if baseline else f"{cur} compared with {prev}"
    if change.difference == 0 or math.isnan(change.difference):
        value = format_value(change.current, change.unit)
        return f"{subject} was unchanged at {value} {when}."
    verb = "rose" if change.difference > 0 else "fell"
    if change.unit == "percentage":
        return (
            f"{subject} {verb} from {change.previous:.1f}% to {change.current:.1f}% "
            f"({abs(change.pp_change):.1f} percentage points) {when}; {_significance(change)}."
        )
    if change.pct_change is None:
        size = f"from {change.previous:,.0f} to {change.current:,.0f}"
    else:
        size = f"by {abs(change.pct_change):.1f}%"
    if change.unit == "count" and change.volume_change is not None:
        more = "more" if change.volume_change > 0 else "fewer"
        noun = _noun(m)
        size += f" ({abs(change.volume_change):,.0f} {more}{' ' + noun if noun else ''})"
    elif change.unit == "rate_per_1000":
        size += f" (to {change.current:,.1f} per 1,000 residents)"
    return f"{subject} {verb} {size} {when}; {_significance(change)}."


def _target_sentence(t: TargetTrack) -> str | None:
    s = t.status
    if s is None:
        return None
    unit = t.measure.unit
    text = t.measure.target.text
    base = format_value(s.baseline_value, unit)
    goal = format_value(s.target_value, unit)
    value = format_value(s.current_value, unit)
    better = "at or below" if t.measure.polarity == "lower_is_better" else "at or above"
    head = f'The target "{text}" ({t.measure.name}; baseline {base} in {s.target.baseline.label})'
    if t.ended:
        verdict = "was met" if s.on_track else "was not met"
        return (
            f"{head} {verdict}: {value} in {s.current_period.label}, the final year, against a "
            f"target of {goal} ({better})."
        )
    state = "is on track" if s.on_track else "is not on track"
    final = s.target.assessment.financial_years()[-1].label
    text = (
        f"{head} {state}: {value} in {s.current_period.label} against "
        f"{format_value(s.path_value, unit)} on the path to {goal} by {final}"
    )
    if _n_years(s) < MIN_YEARS_TO_PROJECT:
        return text + "; too few yearly values yet to project to the end."
    would = "would meet" if s.projected_to_meet else "would not meet"
    projected = format_value(s.projected_value, unit)
    return text + f"; the linear projection for {final}, {projected}, {would} the target."


def _with_warning(r: RowResult, text: str) -> str:
    """Append a row's warning (an implausible month) to its sentence."""
    if not r.warning:
        return text
    return f"{text[:-1]}. Caution: {r.warning.removesuffix(': read with care')}."


def performance_findings(
    rows: Iterable[RowResult],
    tracks: Iterable[TargetTrack] = (),
    baseline_rows: Iterable[RowResult] = (),
) -> list[Finding]:
    """The chapter's key findings, as sentences with their numbers.

    Parameters
    ----------
    rows : iterable of RowResult
        Headline rows against the previous year (:func:`assess_rows`): one sentence each
        (change, volume, significance, and a caution when the period or comparison period
        includes a month flagged implausible); rows that could not be compared are summed
        up, one sentence per reason.
    tracks : iterable of TargetTrack
        One sentence per target: met / not met, or on track with its projection.
    baseline_rows : iterable of RowResult
        Rows against the baseline: one sentence for each measure with a target.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months, "category": "Burglary"})
    >>> inc = pd.concat([inc, inc.iloc[:6]], ignore_index=True)  # 6 more in 2018/19
    >>> rows = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    >>> print(performance_findings(rows)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    Burglary fell by 33.3% (6 fewer offences) in 2019/20 compared with 2018/19; the change is
    not statistically significant (p = 0.36).
    """
    rows = list(rows)
    out = [Finding(_with_warning(r, _change_sentence(r.measure, r.change)), EVIDENCE)
           for r in rows if r.change]  # fmt: skip
    missing: dict[str, list[str]] = {}
    for r in rows:
        if r.change is None:
            reason = (r.note or "not computed").removesuffix(": not compared")
            missing.setdefault(reason, []).append(r.measure.name)
    for r in baseline_rows:
        if r.change is not None and r.measure.target is not None:
            text = _change_sentence(r.measure, r.change, baseline=True)
            out.append(Finding(_with_warning(r, text), EVIDENCE))
    for t in tracks:
        text = _target_sentence(t)
        if text is not None:
            out.append(Finding(text, EVIDENCE))
        elif t.measure.target is not None:
            missing.setdefault(t.note or "not assessed", []).append(
                f"the target for {t.measure.name}"
            )
    for reason, names in missing.items():
        text = f"Not compared or not assessed: {', '.join(names)}. Reason: {reason}."
        out.append(Finding(text, EVIDENCE))
    return out
