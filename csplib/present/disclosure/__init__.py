"""Safe sharing: small-number suppression, and checks that shared outputs hold no records.

Modules: :mod:`~csplib.present.disclosure.suppress` (suppression of a table),
:mod:`~csplib.present.disclosure.audit` (secondary suppression and its linear-programming
audit), :mod:`~csplib.present.disclosure.protect` (the one path every chapter table takes)
and :mod:`~csplib.present.disclosure.scan` (the record-level check).

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
   hidden cells are the small ones. **The criterion**: a reader must never narrow a hidden
   count to fewer possible values than the suppression band itself, so its range must
   satisfy ``hi - lo >= threshold - 2`` (1 to 4 by default: ``hi - lo >= 3``;
   ``threshold - 1`` when zeros are hidden too; :func:`required_width`). A hidden count
   worked out exactly (``[c] + [c] = 2``) fails it, and so does ``[c] + [c] = 3`` (each 1
   or 2, which says more than "1 to 4"). The smallest shown cell of its rows and columns
   that widens the range enough is hidden too, and so on until every hidden count passes.
3. across tables (:mod:`~csplib.present.disclosure.joint`): a table that declares what its
   cells count (:class:`csplib.chapters.result.CellKeys`: the same ward count in the pack
   and the places page is one number; rows that add up to the area's total) is protected
   jointly with the tables already shown on its page, and ``csp assess`` audits every
   table of the run together after the chapters (:func:`audit_run`); a rate shown with its
   population counts as the count it reveals.

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
>>> import pandas as pd
>>> table = pd.DataFrame({"count": [40, 3, 25, 68]},
...                      index=pd.Index(["Burglary", "Robbery", "Drugs", "All"], name="category"))
>>> res = suppress(table)
>>> res.frame["count"].tolist()
[40, '[c]', '[c]', 68]
>>> res.n_primary, res.n_secondary
(1, 1)
"""

from csplib.present.disclosure.audit import required_width
from csplib.present.disclosure.joint import (
    Exposure,
    Ledger,
    TableCells,
    audit_run,
    audit_tables,
    ledger_path,
    protect_jointly,
)
from csplib.present.disclosure.protect import protect, safe_formats
from csplib.present.disclosure.scan import (
    RECORD_LEVEL_KINDS,
    Problem,
    check_shared_outputs,
    contains_escaped_html,
    contains_unescaped_html,
    find_record_level,
)
from csplib.present.disclosure.suppress import (
    DEFAULT_MARKER,
    TOTAL_LABELS,
    SuppressionResult,
    suppress,
    suppress_long,
)

__all__ = [
    "DEFAULT_MARKER",
    "TOTAL_LABELS",
    "SuppressionResult",
    "suppress",
    "suppress_long",
    "protect",
    "safe_formats",
    "required_width",
    "Exposure",
    "Ledger",
    "TableCells",
    "audit_run",
    "audit_tables",
    "ledger_path",
    "protect_jointly",
    "RECORD_LEVEL_KINDS",
    "Problem",
    "find_record_level",
    "check_shared_outputs",
    "contains_unescaped_html",
    "contains_escaped_html",
]
