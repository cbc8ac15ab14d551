"""Safe sharing: small-number suppression, and checks that shared outputs hold no records.

Two safeguards stand between the analysis and what the partnership shares:

**Small-number suppression** (:func:`suppress`, :func:`suppress_long`). Counts from 1 to
``threshold - 1`` (1 to 4 by default) are replaced by a marker, ``[c]`` ("confidential") as
in ONS tables. A **zero is shown** by default: a true zero says nothing about any person,
and police.uk and ONS publish zeros (``suppress_zeros=True`` hides them as well). Cells
that would let a reader work out a hidden count from the totals are then hidden too
(*secondary suppression*):

1. every row or column that has a total and exactly one hidden cell gets a second one: the
   smallest shown, non-zero, non-total cell of that row or column (a total only when no
   other cell is left); this repeats until no row or column has a single hidden cell;
2. the table is then *audited*: for every hidden count, the smallest and largest value
   consistent with everything shown is found by linear programming
   (:func:`scipy.optimize.linprog`), knowing that hidden cells are whole numbers of at least
   1 (0 when zeros are suppressed too) and that totals add up; a reader cannot tell which
   hidden cells are the small ones. A hidden count whose range is a single value could be
   worked out (for instance across several rows and columns of a two-way table, or
   ``[c] + [c] = 2``): the smallest shown cell of its rows and columns that removes the
   certainty is hidden too, and so on until no hidden count can be worked out.

A total that is itself small is hidden like any other count. A missing count (NaN) is
unknown to the reader and stays missing.

Rates, shares and other columns computed from a hidden count are hidden with it (the
``derived`` mapping). The audit's ranges are available from
:meth:`SuppressionResult.ranges`.

**Record-level check** (:func:`find_record_level`, :func:`check_shared_outputs`). Shared
pages and the data annex are scanned for what must never be shared: police.uk Crime IDs,
coordinates, victim IDs, crime references, exact dates and street-level locations (see
:func:`find_record_level` for the exact rules). The run fails if anything is found.

:func:`contains_unescaped_html` and :func:`contains_escaped_html` let tests verify that
text from data (a location called ``<script>``) reaches the shared HTML escaped.

Examples
--------
>>> table = pd.DataFrame({"count": [40, 3, 25, 68]},
...                      index=pd.Index(["Burglary", "Robbery", "Drugs", "All"], name="category"))
>>> res = suppress(table)
>>> res.frame["count"].tolist()
[40, '[c]', '[c]', 68]
>>> res.n_primary, res.n_secondary
(1, 1)
"""

from __future__ import annotations

import calendar
import csv
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.linalg import null_space
from scipy.optimize import linprog

from csplib.errors import DataError, ParamsError

__all__ = [
    "DEFAULT_MARKER",
    "TOTAL_LABELS",
    "SuppressionResult",
    "suppress",
    "suppress_long",
    "safe_formats",
    "RECORD_LEVEL_KINDS",
    "Problem",
    "find_record_level",
    "check_shared_outputs",
    "contains_unescaped_html",
    "contains_escaped_html",
]

#: What a suppressed cell shows (the ONS marker for "confidential").
DEFAULT_MARKER = "[c]"

#: Row and column labels taken as totals when ``totals="infer"`` (compared ignoring case
#: and spaces at the ends).
TOTAL_LABELS: frozenset[str] = frozenset(
    {
        "all",
        "total",
        "totals",
        "grand total",
        "all crime",
        "all crimes",
        "all recorded crime",
        "total recorded crime",
        "all offences",
    }
)

Cell = tuple[int, int]


# =========================================================================== suppression
@dataclass(frozen=True)
class _Grid:
    """A table of counts with its (at most one) total row and total column.

    ``values`` holds floats with NaN for a missing (unpublished) count. Each equation is
    ``(cells that add up, the total cell)``.
    """

    values: np.ndarray
    total_row: int | None
    total_col: int | None
    row_labels: tuple
    col_labels: tuple

    @property
    def equations(self) -> list[tuple[list[Cell], Cell]]:
        n_rows, n_cols = self.values.shape
        eqs: list[tuple[list[Cell], Cell]] = []
        if self.total_col is not None:
            t = self.total_col
            for i in range(n_rows):
                eqs.append(([(i, j) for j in range(n_cols) if j != t], (i, t)))
        if self.total_row is not None:
            t = self.total_row
            for j in range(n_cols):
                eqs.append(([(i, j) for i in range(n_rows) if i != t], (t, j)))
        return eqs

    def is_total(self, cell: Cell) -> bool:
        return cell[0] == self.total_row or cell[1] == self.total_col

    def check_totals(self) -> None:
        """Raise DataError if a total without missing cells is not the sum of its cells."""
        v = self.values
        for plus, total in self.equations:
            cells = [*plus, total]
            if any(np.isnan(v[c]) for c in cells):
                continue
            found = sum(v[c] for c in plus)
            if found != v[total]:
                i, j = total
                raise DataError(
                    f"the total in row {self.row_labels[i]!r}, column {self.col_labels[j]!r} "
                    f"is {v[total]:g} but its cells add up to {found:g}; suppression needs "
                    "totals that are the sum of the cells shown (pass totals=None if this "
                    "total includes rows or columns not in the table)"
                )


class _Audit:
    """Linear-programming audit: the range a reader can deduce for each hidden count."""

    def __init__(self, grid: _Grid, mask: np.ndarray, low: float):
        self.grid, self.mask, self.low = grid, mask, low
        v = grid.values
        unknown = mask | np.isnan(v)
        cells = [(int(i), int(j)) for i, j in zip(*np.nonzero(unknown), strict=True)]
        self.index = {c: k for k, c in enumerate(cells)}
        rows, rhs = [], []
        for plus, total in grid.equations:
            coef = np.zeros(len(cells))
            b = 0.0
            touched = False
            for cell, sign in [*((c, 1.0) for c in plus), (total, -1.0)]:
                k = self.index.get(cell)
                if k is None:
                    b -= sign * v[cell]
                else:
                    coef[k] += sign
                    touched = True
            if touched:
                rows.append(coef)
                rhs.append(b)
        self.a_eq = np.array(rows) if rows else None
        self.b_eq = np.array(rhs) if rows else None
        self.bounds = [(low if mask[c] else 0.0, None) for c in cells]
        constrained = (
            np.abs(self.a_eq).sum(axis=0) > 0 if rows else np.zeros(len(cells), dtype=bool)
        )
        self.constrained = {c: bool(constrained[k]) for c, k in self.index.items()}

    def range(self, cell: Cell) -> tuple[float, float]:
        """Smallest and largest value of ``cell`` consistent with what is shown."""
        if not self.constrained[cell]:
            return self.bounds[self.index[cell]][0], np.inf
        out = []
        for sign in (1.0, -1.0):
            c = np.zeros(len(self.index))
            c[self.index[cell]] = sign
            res = linprog(c, A_eq=self.a_eq, b_eq=self.b_eq, bounds=self.bounds, method="highs")
            if res.status == 2:
                raise DataError(
                    "the table's totals cannot be met by non-negative counts (check the "
                    "totals and the missing cells)"
                )
            if res.status == 3:
                out.append(np.inf)
            elif res.status != 0:  # pragma: no cover - HiGHS numerical failure
                raise RuntimeError(f"suppression audit failed: {res.message}")
            else:
                out.append(sign * res.fun)
        return out[0], out[1]

    @cached_property
    def _free(self) -> np.ndarray | None:
        """Per unknown, True when it can be shown to take other values without an LP.

        The true counts are a feasible point, and a hidden count can take other values
        exactly when some move ``d`` in the null space of the equations, with ``d_j >= 0``
        for every unknown sitting on its lower bound (a hidden 1), has ``d_k != 0``. Two
        sufficient cases are found with two SVDs for all cells at once: a cell on its bound
        that can move while every other cell on its bound stays put (its leverage in the
        bound cells' rows of the null-space basis is 1), and a cell off its bound moved by
        a move that leaves every cell on its bound alone. The rest go to linear
        programming. ``None`` (all by LP) when a missing count's true value is unknown.
        """
        v = self.grid.values
        cells = list(self.index)
        n = len(cells)
        if not n or self.a_eq is None:
            return np.ones(n, dtype=bool)
        truth = np.array([v[c] for c in cells])
        if np.isnan(truth).any():
            return None
        lower = np.array([b[0] for b in self.bounds])
        at_bound = truth <= lower + 1e-9
        basis = null_space(self.a_eq)
        free = np.zeros(n, dtype=bool)
        if basis.shape[1] == 0:
            return free
        rows = basis[at_bound]
        moves = basis
        if rows.shape[0]:
            u, sv, _ = np.linalg.svd(rows, full_matrices=False)
            rank = int((sv > 1e-9 * max(1.0, sv.max(initial=0.0))).sum())
            leverage = (u[:, :rank] ** 2).sum(axis=1)
            free[np.flatnonzero(at_bound)] = leverage > 1 - 1e-6
            moves = basis @ null_space(rows)
        if moves.shape[1]:
            off = ~at_bound
            free[off] = np.abs(moves[off]).max(axis=1) > 1e-9
        return free

    def determined(self, cell: Cell) -> bool:
        """Whether a reader could work out ``cell`` exactly."""
        if self._free is not None and self._free[self.index[cell]]:
            return False
        lo, hi = self.range(cell)
        return hi - lo < 0.5

    def first_exposed(self) -> Cell | None:
        """The first hidden count (not a missing one) a reader could work out exactly."""
        v = self.grid.values
        for c in self.index:
            if self.mask[c] and not np.isnan(v[c]) and self.determined(c):
                return c
        return None


def _protect(grid: _Grid, threshold: int, suppress_zeros: bool) -> tuple[np.ndarray, np.ndarray]:
    """Primary and complementary suppression of a grid; returns (mask, primary)."""
    v = grid.values
    known = ~np.isnan(v)
    low = 0.0 if suppress_zeros else 1.0
    with np.errstate(invalid="ignore"):
        primary = known & (v >= low) & (v < threshold)
    mask = primary.copy()
    equations = grid.equations

    def eligible(cell: Cell) -> bool:
        return bool(known[cell] and not mask[cell] and v[cell] >= low)

    def smallest(cells: Iterable[Cell]) -> Cell | None:
        pool = [c for c in cells if eligible(c)]
        return min(pool, key=lambda c: (v[c], c)) if pool else None

    def line_rule() -> None:
        changed = True
        while changed:
            changed = False
            for plus, total in equations:
                unknown = [c for c in [*plus, total] if mask[c] or not known[c]]
                if len(unknown) != 1 or not mask[unknown[0]]:
                    continue
                pick = (
                    smallest(c for c in plus if not grid.is_total(c))
                    or smallest(plus)
                    or smallest([total])
                )
                if pick is not None:
                    mask[pick] = True
                    changed = True

    if not equations:
        return mask, primary
    while True:
        line_rule()
        cell = _Audit(grid, mask, low).first_exposed()
        if cell is None:
            return mask, primary
        near = {c for plus, total in equations if cell in plus or cell == total for c in plus}
        others = [c for c in np.ndindex(v.shape) if c not in near]
        candidates = [
            c
            for group in (
                sorted((c for c in near if not grid.is_total(c)), key=lambda c: (v[c], c)),
                sorted((c for c in others if not grid.is_total(c)), key=lambda c: (v[c], c)),
                sorted((c for c in np.ndindex(v.shape) if grid.is_total(c)), key=lambda c: c),
            )
            for c in group
            if eligible(c)
        ]
        if not candidates:
            i, j = cell
            raise DataError(
                f"the count in row {grid.row_labels[i]!r}, column {grid.col_labels[j]!r} can "
                "be worked out from the totals whatever else is hidden, because the other "
                "cells are zeros; use suppress_zeros=True or combine rows or columns"
            )
        chosen = candidates[0]
        for cand in candidates[:25]:
            mask[cand] = True
            lo, hi = _Audit(grid, mask, low).range(cell)  # one cell: LP beats the SVDs
            fixed = hi - lo >= 0.5
            mask[cand] = False
            if fixed:
                chosen = cand
                break
        mask[chosen] = True


@dataclass(frozen=True)
class SuppressionResult:
    """A table after small-number suppression.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table to share: same index and columns; count and derived columns holding a
        hidden cell become ``object`` columns whose hidden cells hold ``marker`` (other
        cells keep their numbers, counts as ``int``).
    mask : pandas.DataFrame
        Same shape, ``True`` where a cell is hidden (count or derived column).
    primary : pandas.DataFrame
        Same shape, ``True`` for the small counts themselves.
    threshold, marker, suppress_zeros
        The settings used.
    total_rows, total_columns : tuple
        The labels taken as totals.
    """

    frame: pd.DataFrame
    mask: pd.DataFrame
    primary: pd.DataFrame
    threshold: int
    marker: str
    suppress_zeros: bool
    count_columns: tuple
    derived: dict[str, tuple[str, ...]]
    total_rows: tuple = ()
    total_columns: tuple = ()
    _grids: tuple = field(default=(), repr=False, compare=False)

    @property
    def n_primary(self) -> int:
        """Small counts hidden."""
        return int(self.primary.to_numpy().sum())

    @property
    def n_secondary(self) -> int:
        """Further counts hidden so that the small ones cannot be worked out."""
        counts = self.mask[list(self.count_columns)].to_numpy()
        return int(counts.sum()) - self.n_primary

    @property
    def n_derived(self) -> int:
        """Cells of derived columns (rates, shares) hidden with their counts."""
        return int(self.mask[list(self.derived)].to_numpy().sum()) if self.derived else 0

    @property
    def note(self) -> str:
        """A footnote explaining the marker, for the chapter to show under the table."""
        low = 0 if self.suppress_zeros else 1
        text = (
            f"{self.marker}: counts from {low} to {self.threshold - 1} are not shown, to "
            "protect the people involved, nor are other cells from which they could be "
            "worked out"
        )
        if self.derived:
            text += ", nor rates and shares computed from hidden counts"
        text += "."
        if not self.suppress_zeros:
            text += " Zeros are shown."
        return text

    def ranges(self) -> pd.DataFrame:
        """What a reader can deduce about each hidden count from the table.

        Returns
        -------
        pandas.DataFrame
            One row per hidden count: ``group`` (the group key for :func:`suppress_long`,
            else ``None``), ``row``, ``column``, ``lower`` and ``upper`` (``inf`` when
            unbounded). After suppression ``upper - lower >= 1`` for every row.
        """
        low = 0.0 if self.suppress_zeros else 1.0
        records = []
        for key, grid, mask in self._grids:
            audit = _Audit(grid, mask, low)
            for cell in sorted(audit.index):
                if not mask[cell] or np.isnan(grid.values[cell]):
                    continue
                lo, hi = audit.range(cell)
                records.append(
                    {
                        "group": key,
                        "row": grid.row_labels[cell[0]],
                        "column": grid.col_labels[cell[1]],
                        "lower": lo,
                        "upper": hi,
                    }
                )
        return pd.DataFrame(records, columns=["group", "row", "column", "lower", "upper"])


def _norm_label(label) -> str:
    return str(label).strip().casefold()


def _is_total_label(label, wanted: frozenset[str]) -> bool:
    parts = label if isinstance(label, tuple) else (label,)
    return any(isinstance(p, str) and _norm_label(p) in wanted for p in parts if not _is_missing(p))


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _check_settings(threshold, marker) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, np.integer)):
        raise ParamsError(f"threshold must be a whole number, got {threshold!r}")
    if threshold < 1:
        raise ParamsError(f"threshold must be at least 1, got {threshold}")
    if not isinstance(marker, str) or not marker:
        raise ParamsError(f"marker must be a non-empty string, got {marker!r}")


def _count_values(frame: pd.DataFrame, columns: Sequence) -> np.ndarray:
    """Counts as a float array (NaN for missing), checked to be whole and non-negative."""
    out = np.empty((len(frame), len(columns)))
    for k, col in enumerate(columns):
        s = frame[col]
        if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            raise DataError(f"count column {col!r} must hold numbers, found dtype {s.dtype}")
        values = s.astype("float64").to_numpy(na_value=np.nan)
        bad = ~np.isnan(values) & ((values < 0) | (values != np.floor(values)))
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"count column {col!r} must hold whole numbers of at least 0; row "
                f"{frame.index[pos]!r} has {values[pos]!r}"
            )
        out[:, k] = values
    return out


def _derived_map(derived, frame_columns, counts) -> dict[str, tuple[str, ...]]:
    if derived is None:
        return {}
    if not isinstance(derived, Mapping):
        raise ParamsError(
            "derived must map each derived column to the count column(s) it is computed "
            f"from, e.g. {{'rate_per_1000': 'count'}}; got {derived!r}"
        )
    out = {}
    for col, sources in derived.items():
        sources = (
            (sources,)
            if isinstance(sources, str) or not isinstance(sources, Iterable)
            else tuple(sources)
        )
        if col not in frame_columns:
            raise ParamsError(f"derived column {col!r} is not in the table")
        if col in counts:
            raise ParamsError(f"column {col!r} cannot be both a count and a derived column")
        for src in sources:
            if src not in counts:
                raise ParamsError(
                    f"derived column {col!r} is computed from {src!r}, which is not one of "
                    f"the count columns {list(counts)}"
                )
        out[col] = sources
    return out


def _as_shared(
    frame: pd.DataFrame, mask: pd.DataFrame, counts: Sequence, marker: str
) -> pd.DataFrame:
    """Copy of ``frame`` with hidden cells replaced by ``marker`` (object columns)."""
    out = frame.copy()
    for col in mask.columns[mask.to_numpy().any(axis=0)]:
        hide = mask[col].to_numpy()
        values = out[col].astype(object).to_numpy(copy=True)
        for k, value in enumerate(values):
            if hide[k]:
                values[k] = marker
            elif col in counts and not _is_missing(value):
                values[k] = int(value)
            elif _is_missing(value):
                values[k] = np.nan
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out


def suppress(
    frame: pd.DataFrame,
    *,
    threshold: int = 5,
    columns: Sequence | str | None = None,
    totals: str | Sequence | None = "infer",
    derived: Mapping[str, str | Sequence[str]] | None = None,
    marker: str = DEFAULT_MARKER,
    suppress_zeros: bool = False,
) -> SuppressionResult:
    """Hide small counts in a wide table, with secondary suppression against the totals.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows (e.g. categories or wards) by count columns (e.g. years), optionally with a
        total row and a total column; other columns (labels, rates) are kept.
    threshold : int
        Counts from 1 to ``threshold - 1`` are hidden (default 5: 1 to 4).
    columns : list or str, optional
        The count columns. Default: every integer column not named in ``derived``. Float
        columns of whole numbers (with NaN for missing) can be named here; a missing count
        is treated as unknown to the reader.
    totals : "infer", list or None
        ``"infer"``: a row whose index label (or a text column) is one of
        :data:`TOTAL_LABELS` (``All``, ``Total``...) is the total row, a count column so
        named is the total column. A list names the total row and/or column labels; None:
        the table has no totals (only primary suppression is then needed). Totals must be
        the sum of the cells shown (a :class:`~csplib.errors.DataError` otherwise).
    derived : mapping, optional
        Columns computed from counts, hidden where their count is:
        ``{"rate_per_1000": "count", "share": "count", "change": ["2023", "2024"]}``.
    marker : str
        What a hidden cell shows (default ``"[c]"``).
    suppress_zeros : bool
        Also hide zeros (and treat zeros as usable for secondary suppression). Default
        False: a zero discloses nothing about a person and is shown.

    Returns
    -------
    SuppressionResult
        ``frame`` to share, ``mask`` and ``primary`` masks, counts of cells hidden, a
        ``note`` for the reader and the audit's ``ranges()``.

    Raises
    ------
    ParamsError
        Unknown columns or labels, a bad threshold or marker, several total rows.
    DataError
        Counts that are negative or not whole, or totals that do not add up.

    Examples
    --------
    A two-way table with totals both ways: Robbery in 2024 is 2; hiding it alone would let
    it be worked out from the row and the column totals.

    >>> t = pd.DataFrame({"2023": [40, 12, 52], "2024": [38, 2, 40], "All": [78, 14, 92]},
    ...                  index=["Burglary", "Robbery", "All"])
    >>> res = suppress(t)
    >>> res.frame
             2023 2024  All
    Burglary  [c]  [c]   78
    Robbery   [c]  [c]   14
    All        52   40   92
    >>> res.n_primary, res.n_secondary, res.total_rows, res.total_columns
    (1, 3, ('All',), ('All',))
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParamsError(f"suppress needs a DataFrame, got {type(frame).__name__}")
    _check_settings(threshold, marker)
    if frame.columns.duplicated().any():
        raise ParamsError("the table has repeated column names; give each column one name")
    given = [columns] if isinstance(columns, str) else columns
    derived_keys = set(derived) if isinstance(derived, Mapping) else set()
    if given is None:
        counts = [
            c
            for c in frame.columns
            if pd.api.types.is_integer_dtype(frame[c].dtype)
            and not pd.api.types.is_bool_dtype(frame[c].dtype)
            and c not in derived_keys
        ]
        if not counts:
            raise ParamsError(
                "the table has no integer count columns; name them with columns=[...]"
            )
    else:
        counts = list(given)
        missing = [c for c in counts if c not in frame.columns]
        if missing:
            raise ParamsError(
                f"count column(s) {missing} not in the table; it has {list(frame.columns)}"
            )
    derived_map = _derived_map(derived, frame.columns, counts)
    values = _count_values(frame, counts)

    # totals
    label_cols = [
        c
        for c in frame.columns
        if c not in counts
        and c not in derived_map
        and not pd.api.types.is_numeric_dtype(frame[c].dtype)
    ]
    row_labels = list(frame.index)
    if totals is None:
        wanted: frozenset[str] = frozenset()
    elif isinstance(totals, str):
        if totals != "infer":
            raise ParamsError(f"totals must be 'infer', a list of labels or None, got {totals!r}")
        wanted = TOTAL_LABELS
    else:
        wanted = frozenset(_norm_label(t) for t in totals)
    total_rows = [
        i
        for i in range(len(frame))
        if _is_total_label(row_labels[i], wanted)
        or any(_is_total_label(frame[c].iloc[i], wanted) for c in label_cols)
    ]
    total_cols = [k for k, c in enumerate(counts) if _is_total_label(c, wanted)]
    if totals is not None and not isinstance(totals, str):
        found = {_norm_label(row_labels[i]) for i in total_rows} | {
            _norm_label(counts[k]) for k in total_cols
        }
        for i in total_rows:
            found |= {_norm_label(frame[c].iloc[i]) for c in label_cols}
        absent = [t for t in totals if _norm_label(t) not in found]
        if absent:
            raise ParamsError(f"total label(s) {absent} are neither a row label nor a count column")
    if len(total_rows) > 1:
        names = [row_labels[i] for i in total_rows]
        raise ParamsError(
            f"found {len(total_rows)} total rows {names}; a table may have one total row "
            "(name it with totals=[...] or split the table)"
        )
    if len(total_cols) > 1:
        raise ParamsError(
            f"found {len(total_cols)} total columns {[counts[k] for k in total_cols]}; a "
            "table may have one total column"
        )
    grid = _Grid(
        values,
        total_rows[0] if total_rows else None,
        total_cols[0] if total_cols else None,
        tuple(row_labels),
        tuple(counts),
    )
    grid.check_totals()
    mask_arr, primary_arr = _protect(grid, threshold, suppress_zeros)

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    primary = mask.copy()
    for k, col in enumerate(counts):
        mask[col] = mask_arr[:, k]
        primary[col] = primary_arr[:, k]
    for col, sources in derived_map.items():
        mask[col] = mask[list(sources)].to_numpy().any(axis=1)
    return SuppressionResult(
        frame=_as_shared(frame, mask, counts, marker),
        mask=mask,
        primary=primary,
        threshold=int(threshold),
        marker=marker,
        suppress_zeros=bool(suppress_zeros),
        count_columns=tuple(counts),
        derived=derived_map,
        total_rows=tuple(row_labels[i] for i in total_rows),
        total_columns=tuple(counts[k] for k in total_cols),
        _grids=((None, grid, mask_arr),),
    )


def suppress_long(
    frame: pd.DataFrame,
    *,
    rows: str,
    across: str | None = None,
    by: str | Sequence[str] | None = None,
    count: str = "count",
    derived: Sequence[str] | None = None,
    threshold: int = 5,
    totals: str | Sequence | None = "infer",
    marker: str = DEFAULT_MARKER,
    suppress_zeros: bool = False,
) -> SuppressionResult:
    """Hide small counts in a long (tidy) table, one cross-tabulation per group.

    Each group of ``by`` is protected as its own table of ``rows`` by ``across`` (or a
    one-way table of ``rows`` when ``across`` is None). Totals are rows whose ``rows`` or
    ``across`` value is a total label (``All``...).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per combination, e.g. ``category, area, count``.
    rows, across : str
        Key columns forming the rows and the columns of each table.
    by : str or list of str, optional
        Key columns whose groups are protected separately (e.g. ``year``).
    count : str
        The count column.
    derived : list of str, optional
        Columns computed from the count (rates, shares): hidden with it.
    threshold, totals, marker, suppress_zeros
        As in :func:`suppress`. A combination absent from the long table is taken as a
        zero (as group-by counts omit them) when auditing; it is not added to the output.

    Returns
    -------
    SuppressionResult
        ``frame``: the long table with hidden cells; masks aligned with it.

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "ward": ["Arboretum", "Arboretum", "Arboretum", "Bulwell", "Bulwell", "Bulwell"],
    ...     "category": ["Burglary", "Robbery", "All", "Burglary", "Robbery", "All"],
    ...     "count": [20, 3, 23, 15, 9, 24]})
    >>> suppress_long(long, rows="category", by="ward").frame["count"].tolist()
    ['[c]', '[c]', 23, 15, 9, 24]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParamsError(f"suppress_long needs a DataFrame, got {type(frame).__name__}")
    _check_settings(threshold, marker)
    by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
    keys = [rows, *([across] if across is not None else []), *by_cols]
    derived_cols = list(derived or [])
    missing = [c for c in [*keys, count, *derived_cols] if c not in frame.columns]
    if missing:
        raise ParamsError(f"column(s) {missing} not in the table; it has {list(frame.columns)}")
    if frame.duplicated(keys).any():
        dup = dict(zip(keys, frame.loc[frame.duplicated(keys), keys].iloc[0], strict=True))
        raise DataError(f"the long table has more than one row for {dup}")
    counts_all = _count_values(frame, [count])[:, 0]
    if totals is None:
        wanted: frozenset[str] = frozenset()
    elif isinstance(totals, str):
        if totals != "infer":
            raise ParamsError(f"totals must be 'infer', a list of labels or None, got {totals!r}")
        wanted = TOTAL_LABELS
    else:
        wanted = frozenset(_norm_label(t) for t in totals)
    positions = pd.Series(np.arange(len(frame)), index=frame.index)
    groups = (
        [((), positions.to_numpy())]
        if not by_cols
        else [
            (key if isinstance(key, tuple) else (key,), pos.to_numpy())
            for key, pos in positions.groupby([frame[c] for c in by_cols], sort=False, dropna=False)
        ]
    )
    mask_all = np.zeros(len(frame), dtype=bool)
    primary_all = np.zeros(len(frame), dtype=bool)
    grids = []
    total_row_labels: set = set()
    total_col_labels: set = set()
    for key, pos in groups:
        sub = frame.iloc[pos]
        row_keys = list(dict.fromkeys(sub[rows].tolist()))
        col_keys = list(dict.fromkeys(sub[across].tolist())) if across is not None else [count]
        r_of = {k: i for i, k in enumerate(row_keys)}
        c_of = {k: j for j, k in enumerate(col_keys)}
        where = [
            (r_of[r], c_of[c] if across is not None else 0)
            for r, c in zip(
                sub[rows].tolist(),
                sub[across].tolist() if across is not None else [count] * len(sub),
                strict=True,
            )
        ]
        values = np.zeros((len(row_keys), len(col_keys)))  # absent combinations are zeros
        for p, cell in zip(pos, where, strict=True):
            values[cell] = counts_all[p]
        wide = pd.DataFrame(values, index=row_keys, columns=col_keys)
        labels = [*row_keys, *(col_keys if across is not None else [])]
        sub_totals = [x for x in labels if _is_total_label(x, wanted)] or None
        try:
            res = suppress(
                wide,
                threshold=threshold,
                columns=col_keys,
                totals=sub_totals,
                marker=marker,
                suppress_zeros=suppress_zeros,
            )
        except (ParamsError, DataError) as exc:  # name the group in the message
            raise type(exc)(f"group {dict(zip(by_cols, key, strict=True))}: {exc}") from None
        total_row_labels |= set(res.total_rows)
        total_col_labels |= set(res.total_columns) - {count}
        m, pr = res.mask.to_numpy(), res.primary.to_numpy()
        for p, cell in zip(pos, where, strict=True):
            mask_all[p], primary_all[p] = m[cell], pr[cell]
        grids.append((key if by_cols else None, *res._grids[0][1:]))
    if isinstance(totals, (list, tuple)):
        seen = {_norm_label(x) for x in total_row_labels | total_col_labels}
        absent = [t for t in totals if _norm_label(t) not in seen]
        if absent:
            raise ParamsError(f"total label(s) {absent} are not values of {rows!r} or {across!r}")

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    primary = mask.copy()
    mask[count] = mask_all
    primary[count] = primary_all
    for col in derived_cols:
        mask[col] = mask_all
    return SuppressionResult(
        frame=_as_shared(frame, mask, [count], marker),
        mask=mask,
        primary=primary,
        threshold=int(threshold),
        marker=marker,
        suppress_zeros=bool(suppress_zeros),
        count_columns=(count,),
        derived={c: (count,) for c in derived_cols},
        total_rows=tuple(sorted(total_row_labels, key=str)),
        total_columns=tuple(sorted(total_col_labels, key=str)),
        _grids=tuple(grids),
    )


def safe_formats(formats: Mapping[str, str] | None) -> dict[str, Callable]:
    """Per-column format strings made safe for suppressed columns.

    ``"{:.1%}".format("[c]")`` fails; each returned formatter shows text (the marker) as it
    is, a missing value as ``""`` and formats numbers with the format string. Use with
    :func:`csplib.report.table` (or ``Styler.format``) on a suppressed table.

    Examples
    --------
    >>> f = safe_formats({"share": "{:.1%}"})["share"]
    >>> f(0.25), f("[c]"), f(float("nan"))
    ('25.0%', '[c]', '')
    """

    def wrap(fmt: str) -> Callable:
        def formatter(value):
            if isinstance(value, str):
                return value
            if _is_missing(value):
                return ""
            return fmt.format(value)

        return formatter

    return {col: wrap(fmt) for col, fmt in (formats or {}).items()}


# =========================================================================== record-level check
#: What :func:`find_record_level` looks for.
RECORD_LEVEL_KINDS: tuple[str, ...] = (
    "crime ID",
    "coordinates",
    "victim ID",
    "crime reference",
    "exact date",
    "street location",
    "unscannable file",
)


@dataclass(frozen=True)
class Problem:
    """Record-level content found in a shared output.

    Attributes
    ----------
    file : str
        The file, relative to the output folder (``"<text>"`` for text given directly).
    kind : str
        One of :data:`RECORD_LEVEL_KINDS`.
    where : str
        Where in the file, e.g. ``"table 2, column 'Crime ID'"`` or ``"text, line 40"``.
    excerpt : str
        A short excerpt of what was found (long identifiers are cut).
    count : int
        How many times it was found there.
    """

    file: str
    kind: str
    where: str
    excerpt: str
    count: int = 1

    def __str__(self) -> str:
        times = f" ({self.count:,} times)" if self.count > 1 else ""
        return f"{self.file}: {self.kind} in {self.where}: {self.excerpt!r}{times}"


_WB = r"(?<![0-9A-Za-z])"
_WE = r"(?![0-9A-Za-z])"
_HEX64 = re.compile(_WB + r"[0-9a-fA-F]{64}" + _WE)
_VICTIM = re.compile(_WB + r"[VB][0-9A-F]{16}" + _WE)
_CRIME_REF = re.compile(_WB + r"CR\d{10}" + _WE)
#: police.uk's location text names a place: "On or near Hollywell Avenue", "On or near
#: Supermarket". Prose about it ('published as "On or near …"') is not a location.
_STREET = re.compile(r"\bOn or near [A-Z0-9]")
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2}\b")
_DECIMAL = r"-?\d{1,2}\.\d{4,}"
_PAIR = re.compile(
    r"(?<![\d.])(" + _DECIMAL + r")([\s,;|()\[\]/]{1,12})(" + _DECIMAL + r")(?![\d.])"
)
_NUMBER = re.compile(r"^\s*-?\d+(?:\.(\d*))?\s*$")
_PRINTED_HEADER = re.compile(r"\b(longitude|latitude|easting|northing)\b", re.IGNORECASE)
_ISO = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(?!\d)")
_DMY = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w.+=-]+)*;base64,[A-Za-z0-9+/=]*")
_HASH_LABEL = re.compile(
    r"(sha-?256|sha-?1|blake3|md5|checksum|digest|hash)\W{0,3}$", re.IGNORECASE
)
#: A column holding digests, named for them.
_HASH_COLUMN = re.compile(r"sha|blake|hash|checksum|digest|md5", re.IGNORECASE)

#: England, Wales and Scotland in decimal degrees.
_LON = (-8.7, 1.9)
_LAT = (49.8, 61.0)

#: Column headers (compared in lower case with runs of other characters as ``_``) that
#: name record-level fields.
_HEADERS: dict[str, frozenset[str]] = {
    "coordinates": frozenset(
        "longitude latitude lat lon lng long easting northing eastings northings "
        "x_coord y_coord x_coordinate y_coordinate".split()
    ),
    "crime ID": frozenset("crime_id crimeid crime_ids".split()),
    "victim ID": frozenset("victim_id victimid victim_ref victim_reference person_id".split()),
    "crime reference": frozenset(
        "crime_ref crime_reference crime_number crime_no crime_reference_number "
        "occurrence_number incident_number incident_id urn".split()
    ),
    "exact date": frozenset(
        "date offence_date date_recorded recorded_date incident_date date_of_offence "
        "committed_date date_committed datetime timestamp".split()
    ),
    "street location": frozenset("street street_name address postcode".split()),
}


def _header_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def _short(text: str, n: int = 24) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _lon(x: float) -> bool:
    return _LON[0] <= x <= _LON[1]


def _lat(x: float) -> bool:
    return _LAT[0] <= x <= _LAT[1]


def _text_pair(a: float, sep: str, b: float) -> bool:
    """Whether two numbers written next to each other in text look like a position.

    With a comma or brackets between them (``52.9537, -1.1468``) either order counts.
    Separated only by spaces they are read as columns of printed output, where a rate
    next to a share (``52.953704  0.123457``) is common: only longitude then latitude
    (police.uk's order) counts, and not a longitude between 0 and 1 (a share).
    """
    if not sep.strip():
        return _lon(a) and _lat(b) and not 0 <= a <= 1
    return (_lon(a) and _lat(b)) or (_lat(a) and _lon(b))


def _numbers(values: list[str]) -> list[tuple[float, int]] | None:
    """(value, decimals) of the non-empty cells, or None if one is not a number."""
    out = []
    for text in values:
        if not text.strip():
            continue
        m = _NUMBER.match(text)
        if m is None:
            return None
        out.append((float(text), len(m[1] or "")))
    return out


_STATISTIC = re.compile(r"share|prop|pct|percent|%|rate|ratio|change|per_|score|mean|median", re.I)


def _coordinate_columns(
    columns: dict[int, list[str]], names: list[str]
) -> list[tuple[int, int, str]]:
    """Adjacent columns that hold positions: (first column, rows, first pair).

    A pair of columns counts when every value of one is a longitude and every value of
    the other a latitude of Great Britain, each column spanning at most 2 degrees (one
    area) and most values having 4 or more decimals, unless a column is named for a
    statistic (a rate per 1,000 next to a share can look like a position).
    """
    found = []
    for k in sorted(columns):
        if k + 1 not in columns:
            continue
        if any(j < len(names) and _STATISTIC.search(names[j]) for j in (k, k + 1)):
            continue
        first, second = _numbers(columns[k]), _numbers(columns[k + 1])
        if not first or not second:
            continue
        for lon, lat in ((first, second), (second, first)):
            xs, ys = [v for v, _ in lon], [v for v, _ in lat]
            precise = sum(d >= 4 for _, d in lon + lat) * 2 >= len(lon) + len(lat)
            if (
                precise
                and all(map(_lon, xs))
                and all(map(_lat, ys))
                and max(xs) - min(xs) <= 2
                and max(ys) - min(ys) <= 2
            ):
                example = f"{columns[k][0].strip()}, {columns[k + 1][0].strip()}"
                found.append((k, min(len(lon), len(lat)), example))
                break
    return found


def _exact_dates(text: str) -> list[str]:
    """ISO or day/month/year dates that are not the first or last day of a month.

    A month is usually stored as its first day (``2024-01-01``) and a period ends on the
    last day of a month; any other day, or a time of day, is an exact date.
    """
    found = []
    for m in _ISO.finditer(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        timed = m[4] is not None and (m[4], m[5], m[6] or "00") != ("00", "00", "00")
        if _day_is_exact(y, mo, d) or (timed and 1 <= mo <= 12):
            found.append(m[0])
    for m in _DMY.finditer(text):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
        if _day_is_exact(y, mo, d):
            found.append(m[0])
    return found


def _day_is_exact(y: int, mo: int, d: int) -> bool:
    if not (1 <= mo <= 12 and 1 <= y <= 9999):
        return False
    last = calendar.monthrange(y, mo)[1]
    return 1 < d < last


class _Collector:
    """Collects problems, one per (kind, place), counting repeats."""

    def __init__(self, file: str):
        self.file = file
        self.found: dict[tuple[str, str], list] = {}

    def add(self, kind: str, place: str, excerpt: str, detail: str = "") -> None:
        key = (kind, place)
        if key in self.found:
            self.found[key][2] += 1
        else:
            self.found[key] = [detail or place, _short(excerpt), 1]

    def problems(self) -> list[Problem]:
        return [
            Problem(self.file, kind, where, excerpt, count)
            for (kind, _place), (where, excerpt, count) in self.found.items()
        ]


def _scan_values(
    text: str, out: _Collector, place: str, detail: str, *, cell: bool, hash_column: bool = False
) -> None:
    """Value patterns: in table cells and preformatted text (``cell``) or free text."""
    for m in _HEX64.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()]
        if hash_column or _HASH_LABEL.search(before):
            continue
        out.add("crime ID", place, m[0][:12] + "…", detail)
    for m in _VICTIM.finditer(text):
        out.add("victim ID", place, m[0], detail)
    for m in _CRIME_REF.finditer(text):
        out.add("crime reference", place, m[0], detail)
    for m in _STREET.finditer(text):
        out.add("street location", place, text[m.start() : m.start() + 40], detail)
    for m in _PAIR.finditer(text):
        if _text_pair(float(m[1]), m[2], float(m[3])):
            out.add("coordinates", place, m[0], detail)
    if cell:
        for value in _exact_dates(text):
            out.add("exact date", place, value, detail)
        for m in _POSTCODE.finditer(text):
            out.add("street location", place, m[0], detail)


def _scan_rows(
    rows: list[list[tuple[str, bool, int]]], out: _Collector, what: str, header_from_first: bool
) -> None:
    """Scan a table: ``rows`` of (text, is_header, line) cells.

    ``header_from_first``: the first row is the header (CSV); otherwise the header rows
    are those made only of ``<th>`` cells, and column names come from the first of them.
    """
    names: list[str] = []
    columns: dict[int, list[str]] = {}
    for r, row in enumerate(rows):
        if header_from_first:
            header_row = r == 0
        else:
            header_row = bool(row) and all(h for _, h, _ in row)
        if header_row and not names:
            names = [t for t, _, _ in row]
        for k, (text, _is_header, line) in enumerate(row):
            if header_row:  # column headers only: row headings are labels, not names
                key = _header_key(text)
                for kind, labels in _HEADERS.items():
                    if key in labels:
                        out.add(
                            kind, f"{what} header {text}", text, f"{what}, column header {text!r}"
                        )
            else:
                columns.setdefault(k, []).append(text)
            name = names[k] if k < len(names) and not header_row else ""
            hash_column = bool(_HASH_COLUMN.search(name))
            column = f"column {name!r}" if name.strip() else f"line {line}"
            place = f"{what} column {name}" if name.strip() else f"{what} cells"
            _scan_values(text, out, place, f"{what}, {column}", cell=True, hash_column=hash_column)
    for k, n_rows, example in _coordinate_columns(columns, names):
        pair = [names[j] if j < len(names) else "" for j in (k, k + 1)]
        where = f"{what}, columns {pair[0]!r} and {pair[1]!r}" if any(pair) else what
        out.add("coordinates", f"{what} columns {k}", example, where)
        out.found[("coordinates", f"{what} columns {k}")][2] = n_rows


class _HtmlScanner(HTMLParser):
    """Splits HTML into tables (rows of cells) and free text, skipping styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, bool, int]]]] = []
        self.texts: list[tuple[str, int, bool]] = []
        self._stack: list[list] = []  # open tables
        self._row: list | None = None
        self._cell: list[str] | None = None
        self._cell_header = False
        self._cell_line = 0
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag, attrs):
        if tag == "style":
            self._skip += 1
        elif tag == "pre":
            self._pre += 1
        elif tag == "table":
            self._stack.append([])
            self.tables.append(self._stack[-1])
        elif tag == "tr" and self._stack:
            self._end_cell()
            self._row = []
            self._stack[-1].append(self._row)
        elif tag in ("td", "th") and self._stack:
            self._end_cell()
            if self._row is None:
                self._row = []
                self._stack[-1].append(self._row)
            self._cell, self._cell_header = [], tag == "th"
            self._cell_line = self.getpos()[0]
        elif tag in ("br", "p", "div", "li") and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "style":
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag == "tr":
            self._end_cell()
            self._row = None
        elif tag == "table" and self._stack:
            self._end_cell()
            self._stack.pop()
            self._row = None

    def _end_cell(self):
        if self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append((text, self._cell_header, self._cell_line))
        self._cell = None

    def handle_data(self, data):
        if self._skip:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif data.strip():
            self.texts.append((data, self.getpos()[0], self._pre > 0))


def _scan_html(text: str, out: _Collector) -> None:
    text = _DATA_URI.sub("data:", text)
    parser = _HtmlScanner()
    parser.feed(text)
    parser.close()
    parser._end_cell()
    for n, rows in enumerate(parser.tables, start=1):
        _scan_rows(rows, out, f"table {n}", header_from_first=False)
    for chunk, line, pre in parser.texts:
        where = "preformatted text" if pre else "text"
        _scan_values(chunk, out, where, f"{where}, line {line}", cell=pre)
        if pre:  # printed tables keep their column names
            for m in _PRINTED_HEADER.finditer(chunk):
                out.add("coordinates", where, m[0], f"{where}, line {line}")


def _scan_csv(text: str, out: _Collector) -> None:
    reader = csv.reader(io.StringIO(_DATA_URI.sub("data:", text), newline=""))
    rows = [[(cell, r == 0, r + 1) for cell in record] for r, record in enumerate(reader)]
    _scan_rows(rows, out, "table", header_from_first=True)


def _scan_text(text: str, out: _Collector) -> None:
    for number, line in enumerate(_DATA_URI.sub("data:", text).splitlines(), start=1):
        _scan_values(line, out, "text", f"text, line {number}", cell=True)


_HTML_HINT = re.compile(r"<\s*(!doctype|html|body|table|div|p|tr|td|span|h[1-6])\b", re.I)
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".ico"}


def find_record_level(
    source: str | os.PathLike, *, kind: str | None = None, name: str | None = None
) -> list[Problem]:
    """Look for record-level content in one HTML page, CSV table or text.

    What is found (``kind`` of each :class:`Problem`):

    - **crime ID**: 64 hexadecimal digits (a police.uk Crime ID) or a column headed
      ``Crime ID``; a digest labelled ``sha256`` or ``blake3`` (or in a column named for
      a hash, digest or checksum) is not one;
    - **coordinates**: a column headed longitude, latitude, lat, lon, easting,
      northing... (or those words in printed output); two decimal-degree numbers (4 or
      more decimals), a longitude and a latitude of Great Britain, written as a pair
      (``52.953704, -1.146812``; separated only by spaces, longitude first as police.uk
      writes them); or two adjacent table columns whose every value is a longitude and a
      latitude within 2 degrees of each other, unless a column is named for a statistic
      (``rate_per_1000`` next to ``share`` is not a position);
    - **victim ID**: a column headed ``victim_id``, or a pseudonymous ID like the partner
      extract's (``V`` or ``B`` and 16 upper-case hexadecimal digits);
    - **crime reference**: a column headed ``crime_ref`` (and the like) or a reference like
      ``CR2019000123``;
    - **exact date**: a column headed ``date`` (``offence_date``...), or, in a table cell or
      printed output, a date ``YYYY-MM-DD`` or ``DD/MM/YYYY`` that is neither the first nor
      the last day of its month (those mark months and periods), or one with a time of day.
      Month labels (``Jan 2024``, ``2024-01``) and dates in prose (``22 November 2026``)
      are fine;
    - **street location**: ``On or near`` and a capitalised place name (police.uk's
      location text), a column headed street, address or postcode, or a full postcode in a
      table cell.

    In HTML, style blocks, attributes (so CSS colours such as ``#0072B2``) and embedded
    images (``data:image/png;base64,...``) are ignored; text, tables and scripts are read.

    Parameters
    ----------
    source : str or path-like
        A path (``pathlib.Path``) is read as a file; a ``str`` is the content itself.
    kind : {"html", "csv", "text"}, optional
        How to read it; default from the file's suffix, or for text by looking at it.
    name : str, optional
        The file name to put in the problems (default: the path, or ``"<text>"``).

    Returns
    -------
    list of Problem
        Empty when nothing was found.

    Examples
    --------
    >>> page = "<table><tr><th>Location</th></tr><tr><td>On or near High Street</td></tr></table>"
    >>> [str(p) for p in find_record_level(page)]
    ["<text>: street location in table 1, column 'Location': 'On or near High Street'"]
    >>> find_record_level("<p>Burglary fell 12.5% to 1,204 in Jan 2024</p>")
    []
    """
    if isinstance(source, str) and "\n" not in source and len(source) < 4096:
        try:
            if Path(source).is_file():  # a path given as text: read the file, not the name
                source = Path(source)
        except OSError:
            pass
    if isinstance(source, os.PathLike):
        path = Path(source)
        label = name or str(path)
        suffix = path.suffix.lower()
        if suffix in _IMAGES:
            return []
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"cannot read the file: {exc.strerror}", path=path) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return [
                Problem(
                    label,
                    "unscannable file",
                    "the whole file",
                    "not text: only HTML, CSV and text files can be checked",
                )
            ]
        if kind is None:
            kind = {".html": "html", ".htm": "html", ".svg": "html", ".csv": "csv"}.get(
                suffix, "html" if _HTML_HINT.search(text[:2000]) else "text"
            )
    elif isinstance(source, str):
        text, label = source, name or "<text>"
        if kind is None:
            first = text.lstrip().split("\n", 1)[0]
            kind = "html" if _HTML_HINT.search(text) else ("csv" if "," in first else "text")
    else:
        raise ParamsError(f"find_record_level needs a path or text, got {type(source).__name__}")
    scanners = {"html": _scan_html, "csv": _scan_csv, "text": _scan_text}
    if kind not in scanners:
        raise ParamsError(f"kind must be one of {sorted(scanners)}, got {kind!r}")
    out = _Collector(label)
    scanners[kind](text, out)
    return out.problems()


def check_shared_outputs(out_dir: str | os.PathLike, *, tables: bool = True) -> list[Problem]:
    """Check everything an assessment shares for record-level content.

    Scans ``index.html`` and every file under ``html/`` and ``packs/`` (and ``tables/``,
    the data annex, unless ``tables=False``) of an assessment output folder with
    :func:`find_record_level`. The review copies and executed notebooks (``review/``,
    ``notebooks/``) are not for sharing and are not scanned; nor is ``manifest.json``,
    whose checksums and timestamps are provenance, not records. Images are skipped; a file
    that is not text (a PDF, a spreadsheet) is reported as ``unscannable file``.

    Parameters
    ----------
    out_dir : path-like
        The assessment's output folder (``outputs/<year>``).
    tables : bool
        Also scan the data annex.

    Returns
    -------
    list of Problem
        Empty when the outputs are safe to share; file names are relative to ``out_dir``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> (out / "tables").mkdir()
    >>> _ = (out / "tables" / "x.csv").write_text("month,lat,count\\n2024-01-01,52.95,3\\n")
    >>> [str(p) for p in check_shared_outputs(out)]
    ["tables/x.csv: coordinates in table, column header 'lat': 'lat'"]
    """
    root = Path(out_dir)
    if not root.is_dir():
        raise DataError("the assessment output folder does not exist", path=root)
    files = [root / "index.html"] if (root / "index.html").is_file() else []
    for sub in ("html", "packs", *(("tables",) if tables else ())):
        folder = root / sub
        if folder.is_dir():
            files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    problems: list[Problem] = []
    for path in files:
        problems.extend(find_record_level(path, name=path.relative_to(root).as_posix()))
    return problems


# =========================================================================== escaping
_ESCAPES = {
    "&": r"(?:&amp;|&#0*38;|&#x0*26;)",
    "<": r"(?:&lt;|&#0*60;|&#x0*3c;)",
    ">": r"(?:&gt;|&#0*62;|&#x0*3e;)",
    '"': r"(?:&quot;|&#0*34;|&#x0*22;|\")",
    "'": r"(?:&#0*39;|&#x0*27;|&apos;|')",
}


def contains_unescaped_html(text: str, needle: str) -> bool:
    """Whether ``needle`` (markup such as ``<script>alert(1)</script>``) appears raw.

    Compared ignoring case (browsers read ``<SCRIPT>`` as ``<script>``). Escaped copies
    (``&lt;script&gt;``) do not count.

    Examples
    --------
    >>> contains_unescaped_html("<td>&lt;script&gt;</td>", "<script>")
    False
    >>> contains_unescaped_html("<td><SCRIPT></td>", "<script>")
    True
    """
    if not needle:
        raise ParamsError("needle must not be empty")
    return needle.casefold() in text.casefold()


def contains_escaped_html(text: str, needle: str) -> bool:
    """Whether ``needle`` appears HTML-escaped (``&lt;script&gt;``, ``&#60;script&#62;``...).

    Examples
    --------
    >>> contains_escaped_html("<td>&lt;script&gt;x&lt;/script&gt;</td>", "<script>x</script>")
    True
    """
    if not needle:
        raise ParamsError("needle must not be empty")
    pattern = "".join(_ESCAPES.get(ch, re.escape(ch)) for ch in needle)
    return re.search(pattern, text, re.IGNORECASE) is not None
