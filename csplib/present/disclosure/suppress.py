"""Small-number suppression of a table: :func:`suppress` (wide tables with totals) and
:func:`suppress_long` (long tables, one row per cell), with :class:`SuppressionResult`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.present.disclosure.audit import _Audit, _Grid, _protect

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
        the sum of the cells shown (a :class:`~csplib.core.errors.DataError` otherwise).
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
