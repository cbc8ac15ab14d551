"""The performance table: each measure computed for a period and compared, in the published layout.

:func:`assess_rows` computes each row for a period against a comparison period and never
lets a row disappear: a source that is absent or a period the data do not cover gives a
row marked ``n/a`` with a note saying why. A period with a month missing keeps its value,
stated with its months (``2019/20 (11 of 12 months)``), and a measure that adds up over
months is compared by the one comparison rule
(:func:`csplib.core.comparison.compare_months`): like-for-like months when either period has
a month missing, stated in the row; a survey wave or another indicator that cannot be added
up is compared only as published. :func:`performance_rows_frame` and
:func:`format_performance_rows` give the table in the published layout,
:func:`unavailable_notes` the reasons rows are missing and :func:`measure_definitions` the
registry entries behind the rows, for a reviewer.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from csplib.chapters.performance.data import (
    SOURCE_NAMES,
    PerformanceData,
    as_measure,
    comparison_period,
    is_additive,
    resolve_period,
)
from csplib.core.comparison import Comparison
from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period
from csplib.methods.measures.change import Change, compare
from csplib.methods.measures.compared import ComparedValues, compare_values
from csplib.methods.measures.measure import Measure, MeasureValue
from csplib.methods.measures.tables import (
    PERFORMANCE_COLUMNS,
    PerformanceRow,
    format_performance_table,
    performance_frame,
)

__all__ = [
    "NO_TARGET",
    "NUMBER_COLUMNS",
    "RowResult",
    "assess_rows",
    "format_performance_rows",
    "measure_definitions",
    "performance_rows_frame",
    "unavailable_notes",
]


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
        Target text shown in the row: the measure's own target, else (with
        ``target_per_theme``) its theme's target, else empty.
    previous : MeasureValue or None
        The value over the whole comparison period (None: not computed).
    basis : Comparison or None
        Which months were compared (all, like-for-like, or none and why); None for a
        measure that cannot be added up over months, or when nothing was compared.
    current_compared, previous_compared : MeasureValue or None
        The values over the months compared (``value`` and ``previous`` when every month
        is compared).
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
    previous: MeasureValue | None = None
    basis: Comparison | None = None
    current_compared: MeasureValue | None = None
    previous_compared: MeasureValue | None = None

    @property
    def computed(self) -> bool:
        return self.value is not None

    @property
    def compared(self) -> bool:
        return self.change is not None


def short_error(exc: Exception) -> str:
    """A data error's message without the measure's name and the generic advice."""
    text = str(exc)
    if text.startswith("measure '") and "': " in text:
        text = text.split("': ", 1)[1]
    return text.split(". Use a period inside the data")[0]


def gap_note(m: Measure, data: PerformanceData, value: MeasureValue, what: str) -> str:
    """Why a value computed with ``allow_incomplete=True`` cannot be used as it is."""
    name = SOURCE_NAMES[m.source]
    period = value.period
    if value.coverage.n_covered == 0:
        present = data.present(m.source)
        span = ""
        if present is not None and len(present):
            span = f" (the data cover {present.min():%b %Y} to {present.max():%b %Y})"
        return f"no {name} data for the {what} {period.label}{span}"
    return f"the {what} {period.label} has {value.coverage.describe()} of {name} data"


def _theme_targets(measures: list[Measure]) -> dict[str, str]:
    """The first target's text among ``measures`` of each theme."""
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
    target_per_theme: bool = False,
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
    target_per_theme : bool
        A row without a target of its own shows the first target among ``measures`` of its
        theme (the framework file's ``layout: {target_per_theme: true}``, for a published
        table that states each area's target once); False: its own target or none.

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
    chosen = [as_measure(m, registry) for m in measures]
    targets = _theme_targets(chosen) if target_per_theme else {}
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
                    note=short_error(exc),
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
        value = other = prev = None
        try:
            value = data.compute(m, current, allow_incomplete=True)
        except DataError as exc:
            notes.append(short_error(exc))
        if value is not None and value.coverage.n_covered == 0:
            notes.append(gap_note(m, data, value, "period"))
            value = None
        elif value is not None and not value.complete:
            notes.append(gap_note(m, data, value, "period"))
        compared = ComparedValues(None, None, None, None)
        if value is not None:
            try:
                other = comparison_period(m, data, current, vs)
                prev = data.compute(m, other, allow_incomplete=True)
                compared = _compare(m, data, value, prev, alpha, notes)
            except DataError as exc:
                notes.append(short_error(exc))
        change = compared.change
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
                previous=prev if prev is not None and prev.coverage.n_covered else None,
                basis=compared.comparison,
                current_compared=compared.current,
                previous_compared=compared.previous,
                **base,
            )
        )
    return out


def _compare(m, data, value, prev, alpha, notes) -> ComparedValues:
    """Compare ``value`` with ``prev`` by the one rule, adding to ``notes`` what it says."""
    current, other = value.period, prev.period
    if prev.coverage.n_covered == 0:
        notes.append(gap_note(m, data, prev, "comparison period") + ": not compared")
        return ComparedValues(None, None, None, None)
    if not is_additive(m):  # a survey wave or a rolling rate: compared only as published
        if value.complete and prev.complete:
            change = compare(value, prev, measure=m, alpha=alpha)
            return ComparedValues(None, value, prev, change)
        notes.append(gap_note(m, data, prev, "comparison period") + ": not compared")
        return ComparedValues(None, None, None, None)
    if other.n_months != current.n_months:
        notes.append(
            f"{current.label} ({current.n_months} months) and {other.label} "
            f"({other.n_months} months) differ in length: not compared"
        )
        return ComparedValues(None, None, None, None)
    compared = compare_values(
        value, prev, lambda p, months: data.compute_months(m, p, months), measure=m, alpha=alpha
    )
    basis = compared.comparison
    if basis.kind == "dropped":
        notes.append(f"{basis.reason}: not compared")
    elif basis.kind == "like_for_like":
        notes.append(basis.sentence())
    return compared


#: What the Target column shows on a row without a target among rows of its Area that have
#: one (a blank would read as the target above, as in the published layout).
NO_TARGET = "No target"

#: The numeric columns of a performance frame (a hidden cell holds the marker instead).
NUMBER_COLUMNS = (
    "Performance",
    "% Change",
    "Vol. Change",
    "Previous",
    "p-value",
    "Performance (compared)",
    "Previous (compared)",
)

_FRAME_COLUMNS = [
    *PERFORMANCE_COLUMNS,
    "Note",
    "measure",
    "unit",
    "change_unit",
    "Comparison Period",
    "Previous",
    "Months",
    "Compared",
    "Performance (compared)",
    "Previous (compared)",
    "p-value",
    "Test",
    "Outcome",
    "Complete",
    "Section",
]


def performance_rows_frame(rows: Iterable[RowResult]) -> pd.DataFrame:
    """The performance table (numbers kept numeric) from :func:`assess_rows`.

    Columns: the published :data:`~csplib.methods.measures.tables.PERFORMANCE_COLUMNS`,
    ``Note``, then the detail columns of
    :func:`csplib.methods.measures.tables.performance_frame`, ``Months`` (the months of
    the period with data: ``all 12 months``, ``11 of 12 months``), ``Compared`` (the
    months compared, :meth:`csplib.core.comparison.Comparison.cell`), ``Performance
    (compared)`` and ``Previous (compared)`` (the values of the months compared, behind
    the changes) and ``Section``. ``Performance`` and ``Previous`` are the values over
    the whole periods, ``Complete`` whether ``Performance`` covers every month. A row not
    computed has NaN values; a row not compared has NaN changes and DOT ``n/a``.
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
            rec["Performance"] = r.value.value
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
        rec["Previous"] = r.previous.value if r.previous is not None else math.nan
        rec["Months"] = r.value.coverage.short() if r.value is not None else ""
        rec["Compared"] = _compared_words(r)
        rec["Performance (compared)"] = r.change.current if r.change is not None else math.nan
        rec["Previous (compared)"] = r.change.previous if r.change is not None else math.nan
        rec["Complete"] = True if r.value is None else r.value.complete
        rec["Note"] = "; ".join(n for n in (r.note, r.warning) if n)
        rec["Section"] = r.section
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=_FRAME_COLUMNS)
    for col in NUMBER_COLUMNS:
        df[col] = df[col].astype(float)
    df["Complete"] = df["Complete"].astype(bool)
    df.index.name = "row"
    return df


def _compared_words(r: RowResult) -> str:
    """The months compared, in words (``all 12 months``, ``like-for-like: ...``)."""
    if r.basis is not None:
        return r.basis.cell()
    if r.change is not None:
        return "as published"  # a survey wave or an indicator that cannot be added up
    return "not compared" if r.value is not None else ""


def format_performance_rows(frame: pd.DataFrame, *, note: bool = True) -> pd.DataFrame:
    """Display strings in the published layout (``-16.8%``, ``+0.7pp``, ``n/a``), plus ``Note``.

    A cell hidden to protect small numbers holds the marker (``[c]``) instead of a number
    (:func:`csplib.chapters.performance.protection.protect_rows`) and shows it. As published,
    an Area or Target that repeats the row above is left blank; so that a blank Target is
    never read as the target above, a row without a target among rows of its Area that have
    one shows :data:`NO_TARGET`.

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> inc = pd.DataFrame({"month": months.repeat(3), "category": "Burglary"})
    >>> rows = assess_rows(PerformanceData({"incidents": inc}), "2019/20", ["burglary"])
    >>> format_performance_rows(performance_rows_frame(rows)).iloc[0, 3:8].tolist()
    ['36', '2019/20', '0.0%', '0', '↔ no significant change']
    """
    hidden = frame[list(NUMBER_COLUMNS)].map(lambda v: isinstance(v, str))
    numbers = frame.copy()
    for col in NUMBER_COLUMNS:
        numbers[col] = pd.to_numeric(frame[col].mask(hidden[col]), errors="raise").astype(float)
    shown = format_performance_table(numbers)
    # a rate's volume change is a change in the count behind it: a whole number
    rate = (numbers["unit"] == "rate_per_1000") & numbers["Vol. Change"].notna()
    shown.loc[rate, "Vol. Change"] = [
        f"{v:+,.0f}" if v else "0" for v in numbers.loc[rate, "Vol. Change"]
    ]
    for col in ("Performance", "% Change", "Vol. Change"):
        shown.loc[hidden[col], col] = frame.loc[hidden[col], col]
    shown.loc[_untargeted(frame), "Target"] = NO_TARGET
    if note:
        shown["Note"] = frame["Note"].fillna("").astype("str")
    return shown


def _untargeted(frame: pd.DataFrame) -> pd.Series:
    """Rows without a target in a run of rows of one Area where another row has one."""
    target = frame["Target"].fillna("").astype(str)
    run = frame["Area"].ne(frame["Area"].shift()).cumsum()
    targeted = target.ne("").groupby(run).transform("any")
    return targeted & target.eq("")


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
        m = as_measure(mid, registry)
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
