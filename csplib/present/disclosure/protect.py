"""The one suppression path for a chapter's tables, and safe display formats.

:func:`protect` applies :func:`~csplib.present.disclosure.suppress.suppress` as a
:class:`~csplib.chapters.result.Table` declares (count columns, derived columns, totals)
and, given the page's :class:`~csplib.present.disclosure.joint.Ledger`, protects the table
jointly with the page's other tables (:func:`~csplib.present.disclosure.joint.protect_jointly`)
and records it there; :func:`safe_formats` wraps display formats so that a suppressed marker
is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from csplib.core.errors import CspError
from csplib.present.disclosure.joint import Ledger, TableCells, protect_jointly
from csplib.present.disclosure.suppress import (
    DEFAULT_MARKER,
    TOTAL_LABELS,
    _as_shared,
    _is_missing,
    _norm_label,
    suppress,
)

#: Prefix of the count columns :func:`protect` adds for rates shown without their count.
_RATE_COUNT = "__count_of_"


def protect(
    table,
    *,
    threshold: int = 5,
    suppress_zeros: bool = False,
    marker: str = DEFAULT_MARKER,
    page: Ledger | None = None,
) -> tuple[pd.DataFrame, str | None]:
    """The one suppression path: a chapter's table as it may be shared, and a note.

    Every table a chapter shows or saves to the annex passes through here, driven by what
    the table declares (:class:`csplib.chapters.result.Table`): its count columns, the
    columns derived from them, and its totals. Counts from 1 to ``threshold - 1`` are
    hidden with secondary suppression and the audit (:func:`suppress`).

    With the page's ``page`` ledger, a table that declares what its cells count
    (``table.cells``, :class:`csplib.chapters.result.CellKeys`) is then protected jointly
    with the tables already on the page (:func:`csplib.present.disclosure.joint.protect_jointly`:
    more of its cells are hidden until no hidden count of the page can be narrowed below
    the band), and every table is recorded in the ledger for the run's audit. A rate shown
    without its count (``cells.rates``, with its population shown) is protected as the
    count it reveals.

    A table whose rows labelled as totals are not one total of the others (a long table
    with one ``All`` row per group) is protected without totals, and then every total row
    is hidden wherever anything was hidden, so nothing can be subtracted back.

    Parameters
    ----------
    table : csplib.chapters.result.Table
        The table and its declarations.
    threshold, suppress_zeros, marker
        As :func:`suppress` (from the parameters' ``thresholds``).
    page : Ledger, optional
        The page's tables so far; the table is protected with them and added to it.

    Returns
    -------
    (DataFrame, str or None)
        The table to share, and a note for the reader when anything was hidden.

    Examples
    --------
    >>> from csplib.chapters.result import Table
    >>> t = Table("x", pd.DataFrame({"count": [40, 3, 25, 68], "rate": [4.0, 0.3, 2.5, 6.8]},
    ...           index=pd.Index(["Burglary", "Robbery", "Drugs", "All"], name="category")),
    ...           counts=("count",), derived={"rate": ("count",)})
    >>> protect(t)[0]["rate"].tolist()
    [4.0, '[c]', '[c]', 6.8]
    """
    frame = table.frame
    cells = getattr(table, "cells", None)
    columns = table.count_columns()
    derived = dict(table.derived)
    rate_columns = {}
    if cells is not None and not frame.empty:
        frame = frame.copy()
        for rate, (population, per) in cells.rates.items():
            if rate in derived:
                continue  # hidden with its count already
            count = frame[rate].astype(float) * frame[population].astype(float) / float(per)
            frame[_RATE_COUNT + rate] = count.round()
            rate_columns[_RATE_COUNT + rate] = rate
            derived[rate] = (_RATE_COUNT + rate,)
        columns = [*columns, *rate_columns]
    if not columns or frame.empty:  # nothing to hide (an empty table may have any dtypes)
        return table.frame, None
    settings = dict(
        threshold=threshold,
        columns=columns,
        derived=derived or None,
        suppress_zeros=suppress_zeros,
        marker=marker,
    )
    totals = list(table.totals) if isinstance(table.totals, tuple) else table.totals
    joint = True
    try:
        result = suppress(frame, totals=totals, **settings)
        shown = result.frame
    except CspError:  # the rows labelled as totals are not one total of the others
        if totals is None:
            raise
        joint = False
        result = suppress(frame, totals=None, **settings)
        shown = result.frame
        if result.n_primary + result.n_secondary:
            labels = TOTAL_LABELS if totals == "infer" else {_norm_label(t) for t in totals}
            is_total = pd.Series([_norm_label(i) in labels for i in frame.index], index=frame.index)
            for col in frame.columns:
                if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                    is_total |= frame[col].map(_norm_label).isin(labels).to_numpy()
            hide = [*columns, *derived]
            shown = shown.astype({c: object for c in hide})
            shown.loc[is_total.to_numpy(), hide] = result.marker
    hidden = result.n_primary + result.n_secondary
    if page is not None:
        grid = result._grids[0][1]
        mask = (shown[columns] == result.marker).to_numpy()
        extra = _record(page, table, frame, grid, mask, rate_columns, joint and cells is not None)
        if extra is not None:  # the page needed more hidden here
            hide = pd.DataFrame(False, index=frame.index, columns=frame.columns)
            hide[columns] = extra
            for col, sources in result.derived.items():
                hide[col] = hide[list(sources)].to_numpy().any(axis=1)
            shown = _as_shared(frame, hide, columns, result.marker)
            hidden = int(extra.sum())
    shown = shown.drop(columns=list(rate_columns))
    return shown, (result.note if hidden else None)


def _record(page: Ledger, table, frame, grid, mask, rate_columns, joint: bool):
    """Add ``table`` to the page's ledger, protected jointly when ``joint``; returns the
    new mask of the count columns when the page needed more cells hidden, else None."""
    cells = getattr(table, "cells", None)
    over = (cells.over if cells is not None else None) or frame.index.name or "row"
    records = (
        frame.reset_index(allow_duplicates=True).to_dict("records") if cells is not None else None
    )
    n_rows, n_cols = grid.values.shape
    keys = np.empty((n_rows, n_cols), dtype=object)
    labels = list(grid.row_labels)
    for i in range(n_rows):
        row = records[i] if records is not None else {}
        label = row.get(over, grid.row_labels[i]) if cells is not None else grid.row_labels[i]
        labels[i] = label
        for j, col in enumerate(grid.col_labels):
            key = None
            if cells is not None:
                name = rate_columns.get(col, col)
                key = cells.key_of(name, None if i == grid.total_row else label, row, over)
            keys[i, j] = key or f"{page.page}/{table.name}|{grid.row_labels[i]}|{col}"
    equations = [(keys[total], tuple(keys[c] for c in plus)) for plus, total in grid.equations]
    values = grid.values
    pseudo = []
    if cells is not None and cells.partition:
        for j, col in enumerate(grid.col_labels):
            if j == grid.total_col:
                continue
            groups: dict[str, list[int]] = {}
            for i in range(n_rows):
                if i != grid.total_row:
                    base = cells.column_key(rate_columns.get(col, col), records[i])
                    if base is not None:
                        groups.setdefault(base, []).append(i)
            for base, rows in groups.items():
                equations.append((base, tuple(keys[i, j] for i in rows)))
                source = rate_columns.get(col, col)
                reveals = any(source in table.derived.get(s, ()) for s in cells.shares)
                if reveals and grid.total_row is None and not mask[rows, j].all():
                    total = float(np.nansum(values[rows, j]))
                    pseudo.append((base, "(total from shares)", str(col), total, False))
    flat = [(i, j) for i in range(n_rows) for j in range(n_cols)]
    new = TableCells(
        table.name,
        [
            (
                keys[i, j],
                str(labels[i]),
                str(rate_columns.get(grid.col_labels[j], grid.col_labels[j])),
                None if mask[i, j] or np.isnan(values[i, j]) else float(values[i, j]),
                bool(mask[i, j]),
            )
            for i, j in flat
        ]
        + pseudo,
        list(dict.fromkeys(equations)),
        declared=cells is not None,
    )
    extra = None
    if joint:
        truth = [values[i, j] for i, j in flat] + [c[3] for c in pseudo]
        totals = [grid.is_total((i, j)) for i, j in flat] + [True] * len(pseudo)
        can_hide = [True] * len(flat) + [False] * len(pseudo)
        hide = protect_jointly(page, new, truth, totals, can_hide)
        if any(h and not c[4] for h, c in zip(hide, new.cells, strict=True)):
            extra = mask.copy()
            for (i, j), h in zip(flat, hide, strict=False):
                extra[i, j] = h
            new.cells = [
                (k, r, c, None if h else v, bool(h))
                for (k, r, c, v, _), h in zip(new.cells, hide, strict=True)
            ]
    page.tables.pop(table.name, None)
    page.tables[table.name] = new
    return extra


def safe_formats(formats: Mapping[str, str] | None) -> dict[str, Callable]:
    """Per-column format strings made safe for suppressed columns.

    ``"{:.1%}".format("[c]")`` fails; each returned formatter shows text (the marker) as it
    is, a missing value as ``""`` and formats numbers with the format string. Use with
    :func:`csplib.present.html.table` (or ``Styler.format``) on a suppressed table.

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
