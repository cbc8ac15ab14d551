"""The one suppression path for a chapter's tables, and safe display formats.

:func:`protect` applies :func:`~csplib.present.disclosure.suppress.suppress` as a
:class:`~csplib.chapters.result.Table` declares (count columns, derived columns, totals);
:func:`safe_formats` wraps display formats so that a suppressed marker is shown as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from csplib.core.errors import CspError
from csplib.present.disclosure.suppress import (
    DEFAULT_MARKER,
    TOTAL_LABELS,
    _is_missing,
    _norm_label,
    suppress,
)


def protect(
    table,
    *,
    threshold: int = 5,
    suppress_zeros: bool = False,
    marker: str = DEFAULT_MARKER,
) -> tuple[pd.DataFrame, str | None]:
    """The one suppression path: a chapter's table as it may be shared, and a note.

    Every table a chapter shows or saves to the annex passes through here, driven by what
    the table declares (:class:`csplib.chapters.result.Table`): its count columns, the
    columns derived from them, and its totals. Counts from 1 to ``threshold - 1`` are
    hidden with secondary suppression and the audit (:func:`suppress`).

    A table whose rows labelled as totals are not one total of the others (a long table
    with one ``All`` row per group) is protected without totals, and then every total row
    is hidden wherever anything was hidden, so nothing can be subtracted back.

    Parameters
    ----------
    table : csplib.chapters.result.Table
        The table and its declarations.
    threshold, suppress_zeros, marker
        As :func:`suppress` (from the parameters' ``thresholds``).

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
    columns = table.count_columns()
    if not columns or frame.empty:  # nothing to hide (an empty table may have any dtypes)
        return frame, None
    derived = dict(table.derived)
    settings = dict(
        threshold=threshold,
        columns=columns,
        derived=derived or None,
        suppress_zeros=suppress_zeros,
        marker=marker,
    )
    totals = list(table.totals) if isinstance(table.totals, tuple) else table.totals
    try:
        result = suppress(frame, totals=totals, **settings)
        shown = result.frame
    except CspError:  # the rows labelled as totals are not one total of the others
        if totals is None:
            raise
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
    return shown, (result.note if hidden else None)


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
