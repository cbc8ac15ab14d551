"""Small numbers in the performance tables: the counts behind the cells, protected once.

Each row of a performance table is one measure in its own unit, so the ``Performance``
column holds a count in one row and a percentage in the next. A
:class:`~csplib.chapters.result.Table` declares count *columns*, so these tables cannot
declare their counts themselves, and their display twins hold text. Instead the chapter
builds, for each table, the table of the counts behind its cells (:func:`row_counts`,
:func:`target_counts`): a row per measure that is a count of people or events, or a rate
per 1,000 residents (the population is published, so a rate gives its count away, and the
count behind it is used). That table declares its counts and the columns computed from
them, and, when the rows include police.uk categories and the category total (all crime),
that total, so that a hidden category cannot be worked out from the others. The
assessment's one suppression function protects it (``protect``: the context's
:meth:`~csplib.run.context.Context.protect`, i.e. :func:`csplib.present.disclosure.protect`
with the assessment's thresholds), and :func:`protect_rows` / :func:`protect_targets` hide
every cell of the chapter's tables that holds, or is computed from, a hidden count. The
display tables are formatted from these protected values, so both show the same marker.

Percentages (shares of victims, treatment completions, survey results) are shown: their
numerators and denominators are not.

Examples
--------
>>> from functools import partial
>>> from csplib.present.disclosure import protect
>>> from csplib.chapters.performance.data import PerformanceData
>>> from csplib.chapters.performance.rows import assess_rows
>>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
>>> inc = pd.DataFrame({"month": months[[0, 13, 14]], "category": "Robbery"})
>>> rows = assess_rows(PerformanceData({"incidents": inc}, months_present=months),
...                    "2019/20", ["robbery"])
>>> out = protect_rows(rows, partial(protect, threshold=5), name="example")
>>> out.frame.loc[0, ["Performance", "Previous", "% Change", "Vol. Change"]].tolist()
['[c]', '[c]', '[c]', '[c]']
>>> bool(out.frame.loc[0, "Suppressed"]), sorted(out.measures)
(True, ['robbery'])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.chapters.performance.rows import RowResult, performance_rows_frame
from csplib.chapters.performance.targets import TargetTrack
from csplib.chapters.result import Table
from csplib.methods.measures.measure import Measure

__all__ = [
    "COUNT_UNITS",
    "Protect",
    "Protected",
    "ProtectedTargets",
    "category_total",
    "protect_rows",
    "protect_targets",
    "row_counts",
    "target_counts",
]

#: Units whose value is, or gives away, a count of people or events.
COUNT_UNITS = ("count", "rate_per_1000")

#: Protects a table of counts as it declares (``ctx.protect``): ``(shared frame, note)``.
Protect = Callable[[Table], tuple[pd.DataFrame, "str | None"]]

#: The counts behind a performance row: the values over the whole periods and over the
#: months compared (the same when every month is compared).
_ROW_COUNTS = ("Performance", "Previous", "Performance (compared)", "Previous (compared)")

#: Columns of a performance row computed from the two counts compared (a test's p-value and
#: the direction it gives would let a reader work a hidden count back out).
_ROW_DERIVED = {
    col: ("Performance (compared)", "Previous (compared)")
    for col in ("% Change", "Vol. Change", "p-value", "DOT", "Outcome")
}


@dataclass(frozen=True)
class Protected:
    """A chapter table after small-number protection.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table to show and share: hidden cells hold the marker (``[c]``), every other
        cell is as computed.
    hidden : pandas.DataFrame
        Same shape, True where a cell is hidden.
    note : str or None
        What the marker means (from the suppression), when anything is hidden.
    measures : frozenset of str
        The measures with a hidden cell.
    """

    frame: pd.DataFrame
    hidden: pd.DataFrame
    note: str | None
    measures: frozenset[str]


def _whole(value) -> bool:
    return value is not None and not math.isnan(value) and float(value).is_integer()


def _count(value) -> float:
    """The count behind a value (its numerator), NaN when there is none."""
    if value is None or not _whole(value.numerator):
        return math.nan
    return float(value.numerator)


def _behind(r: RowResult) -> tuple[float, float, float, float] | None:
    """The counts behind a row's values (:data:`_ROW_COUNTS`; None: it shows no count)."""
    if r.value is None or r.measure.unit not in COUNT_UNITS or not _whole(r.value.numerator):
        return None
    compared = (math.nan, math.nan)
    if r.change is not None:
        compared = (_count(r.current_compared), _count(r.previous_compared))
    return float(r.value.numerator), _count(r.previous), *compared


def _categories(m: Measure) -> frozenset[str] | None:
    """The police.uk categories a plain category count counts (None for any other measure)."""
    plain = (
        m.source == "incidents"
        and m.aggregation == "count"
        and m.unit == "count"
        and m.denominator is None
        and set(m.filter.to_spec()) == {"categories"}
    )
    return frozenset(m.filter.categories) if plain else None


def category_total(measures: Sequence[Measure]) -> tuple[str, list[str]] | None:
    """A measure counting exactly the categories of others, each counted once: the total.

    Returns ``(total id, ids of its parts)``, or None when no measure is such a total.

    Examples
    --------
    >>> from csplib.methods.measures import get_measure
    >>> ids = ["all_crime", "burglary", "robbery", "drugs"]
    >>> category_total([get_measure(i) for i in ids]) is None  # not every category is there
    True
    """
    cats = {m.id: c for m in measures if (c := _categories(m)) is not None}
    for total, whole in cats.items():
        parts = [i for i, c in cats.items() if i != total and c < whole]
        union = [c for i in parts for c in cats[i]]
        if parts and len(union) == len(set(union)) and set(union) == whole:
            return total, parts
    return None


def row_counts(rows: Iterable[RowResult], name: str) -> list[Table]:
    """The counts behind the rows of a performance table, as tables for ``protect``.

    One table per group of rows: the police.uk categories with their total (all crime),
    when all are there, declared with that total; and the other rows with a count, without
    totals. Indexed by measure id; columns ``Performance`` and ``Previous`` (the counts
    behind the values over the period and the comparison period: the value of a count, the
    numerator of a rate), ``Performance (compared)`` and ``Previous (compared)`` (the same
    over the months compared, like-for-like when a month is missing), and the columns
    computed from the two compared (``% Change``, ``Vol. Change``, ...).
    """
    rows = list(rows)
    records = {}
    for r in rows:
        counts = _behind(r)
        if counts is not None:
            records[r.measure.id] = counts
    if not records:
        return []
    frame = pd.DataFrame.from_dict(records, orient="index", columns=list(_ROW_COUNTS))
    frame.index.name = "measure"
    for col in _ROW_DERIVED:
        frame[col] = np.nan
    found = category_total([r.measure for r in rows if r.measure.id in records])
    groups = []
    if found is not None:
        total, parts = found
        groups.append((f"{name}_categories", [*parts, total], (total,)))
    grouped = {i for _, ids, _ in groups for i in ids}
    rest = [i for i in frame.index if i not in grouped]
    if rest:
        groups.append((f"{name}_counts", rest, None))
    return [
        Table(
            label,
            frame.loc[ids],
            caption=f"The counts behind {name}",
            counts=_ROW_COUNTS,
            derived=_ROW_DERIVED,
            totals=totals,
        )
        for label, ids, totals in groups
    ]


def _hidden_cells(tables: Iterable[Table], protect: Protect):
    """``{(row label, column)}`` hidden by ``protect`` across ``tables``, the marker, notes."""
    cells, marker, notes = set(), None, []
    for table in tables:
        shown, note = protect(table)
        for col in table.frame.columns:
            for label, value in shown[col].items():
                if isinstance(value, str):
                    cells.add((label, col))
                    marker = value
        if note and note not in notes:
            notes.append(note)
    return cells, marker, " ".join(notes) or None


def _hide(frame: pd.DataFrame, hidden: pd.DataFrame, marker: str | None) -> pd.DataFrame:
    out = frame.copy()
    for col in hidden.columns[hidden.to_numpy().any(axis=0)]:
        out[col] = out[col].astype(object)
        out.loc[hidden[col].to_numpy(), col] = marker
    return out


def protect_rows(rows: Iterable[RowResult], protect: Protect, *, name: str) -> Protected:
    """The performance frame of ``rows``
    (:func:`~csplib.chapters.performance.rows.performance_rows_frame`) with every cell that
    holds, or is computed from, a hidden count hidden.

    ``Suppressed`` is added (True for a row with a hidden cell) and the row's note says so;
    ``name`` names the tables of counts given to ``protect``.
    """
    rows = list(rows)
    frame = performance_rows_frame(rows)
    cells, marker, note = _hidden_cells(row_counts(rows, name), protect)
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    position = {m: i for i, m in zip(frame.index, frame["measure"], strict=True)}
    for measure, col in cells:
        hidden.loc[position[measure], col] = True
    out = _hide(frame, hidden, marker)
    suppressed = hidden.any(axis=1)
    out["Suppressed"] = suppressed
    said = f"{marker}: hidden to protect small numbers"
    out.loc[suppressed, "Note"] = [
        f"{said}; {n}" if n else said for n in out.loc[suppressed, "Note"]
    ]
    hidden["Suppressed"] = False
    ids = frozenset(frame.loc[suppressed, "measure"])
    return Protected(out, hidden, note, ids)


def target_counts(tracks: Iterable[TargetTrack], years: Sequence[str]) -> Table | None:
    """The counts behind the targets tables, as a table for ``protect`` (None: no counts).

    One row per target-table measure that is a count (or a rate): a column per year of
    ``years`` (the targets table's columns, ``Baseline (...)`` first), then one for the
    period judged when it is not a year (the latest 12 months).
    """
    tracks = [t for t in tracks if t.measure.unit in COUNT_UNITS]
    if not tracks:
        return None
    extra = []
    for t in tracks:
        judged = t.status.current_period.label if t.status is not None else None
        if judged is not None and judged not in t.annual.index and judged not in extra:
            extra.append(judged)
    columns = [*years, *extra]
    records = {}
    for t in tracks:
        counts = {label: float(v) for label, v in t.counts.items() if _whole(v)}
        records[t.measure.id] = [counts.get(_year_label(c), math.nan) for c in columns]
    frame = pd.DataFrame.from_dict(records, orient="index", columns=columns)
    frame.index.name = "measure"
    return Table(
        "targets_counts",
        frame,
        caption="The counts behind the targets tables",
        counts=tuple(columns),
        totals=None,
    )


def _year_label(column: str) -> str:
    return column[len("Baseline (") : -1] if column.startswith("Baseline (") else column


@dataclass(frozen=True)
class ProtectedTargets:
    """The two targets tables after small-number protection.

    Attributes
    ----------
    targets, tracking : Protected
        The targets table (baseline and years) and where each target stands.
    periods : dict of str to frozenset of str
        For each measure with a hidden count, the periods hidden: year labels (the
        baseline's included) and the period judged when it is not a year.
    """

    targets: Protected
    tracking: Protected
    periods: dict[str, frozenset[str]]

    @property
    def measures(self) -> frozenset[str]:
        """The measures with a hidden count."""
        return frozenset(self.periods)


def protect_targets(
    targets: pd.DataFrame, tracking: pd.DataFrame, tracks, protect: Protect
) -> ProtectedTargets:
    """The targets table and the tracking table with their hidden cells hidden.

    ``targets`` and ``tracking`` are :func:`~csplib.chapters.performance.targets.targets_frame`
    and :func:`~csplib.chapters.performance.targets.tracking_frame` of ``tracks``. A hidden
    year hides that year's value; in the tracking table, a hidden baseline hides the
    baseline, the target value, the path value and the change against the baseline, a
    hidden judged value hides it and the change, and any hidden count hides the projection
    (drawn from the yearly values, or the value judged).
    """
    tracks = list(tracks)
    years = [c for c in targets.columns if c not in ("Target", "Measure", "measure", "unit")]
    probe = target_counts(tracks, years)
    cells, marker, note = _hidden_cells([probe] if probe is not None else [], protect)
    by_measure: dict[str, set[str]] = {}
    for measure, col in cells:
        by_measure.setdefault(measure, set()).add(col)

    hidden = pd.DataFrame(False, index=targets.index, columns=targets.columns)
    for i, t in zip(targets.index, tracks, strict=True):
        for col in by_measure.get(t.measure.id, ()):
            if col in hidden.columns:
                hidden.loc[i, col] = True
    base = years[0] if years else None

    hidden_tracking = pd.DataFrame(False, index=tracking.index, columns=tracking.columns)
    for i, measure in zip(tracking.index, tracking["measure"], strict=True):
        gone = by_measure.get(measure, set())
        if not gone:
            continue
        track = next(t for t in tracks if t.measure.id == measure)
        judged = track.status.current_period.label if track.status is not None else None
        baseline, value = base in gone, judged in gone
        derived = {
            "Baseline": baseline,
            "Target Value": baseline,
            "Path Value": baseline,
            "Value": value,
            "Change vs Baseline": baseline or value,
            "Projected": True,
        }
        for col, hide in derived.items():
            hidden_tracking.loc[i, col] = hide
    ids = frozenset(by_measure)
    return ProtectedTargets(
        Protected(_hide(targets, hidden, marker), hidden, note, ids),
        Protected(_hide(tracking, hidden_tracking, marker), hidden_tracking, note, ids),
        {m: frozenset(_year_label(c) for c in cols) for m, cols in by_measure.items()},
    )
