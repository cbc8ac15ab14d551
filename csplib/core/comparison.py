"""One rule for comparing two periods when months are missing (every chapter and pack).

A total over a period with a month missing is stated with its months ("11 of 12 months",
:meth:`csplib.core.periods.Coverage.short`) and never shown or compared as complete. A
comparison of two periods (the assessed period against the same months a year earlier, or
against a baseline) follows :func:`compare_months`:

* **complete**: every month of both periods has data (and none is excluded): all months are
  compared;
* **like-for-like**: otherwise only the months present in both periods are compared (and
  none excluded, e.g. flagged implausible where a chapter leaves such months out): for two
  periods of the same length, month *i* of one with month *i* of the other (the same
  calendar months when they are whole years apart); for periods of different lengths (a
  year against the three years before it), the current months whose calendar month the
  other period holds, and the other period's months of those calendar months;
* **dropped**: no month is present in both, and the comparison says why.

:class:`Comparison` holds the months compared in each period and the words for a table cell
(:meth:`Comparison.cell`) and a sentence (:meth:`Comparison.sentence`), so every chapter
states it the same way; :meth:`Comparison.select` keeps the rows of the compared months.

Examples
--------
>>> from csplib.core.periods import Period
>>> present = pd.date_range("2023-01-01", "2024-03-01", freq="MS").drop(
...     pd.Timestamp("2024-01-01"))
>>> c = compare_months(Period.parse("Q1 2024"), Period.parse("Q1 2023"), present)
>>> c.kind, c.cell()
('like_for_like', 'like-for-like: Feb and Mar (2 of 3 months)')
>>> print(c.sentence())  # doctest: +NORMALIZE_WHITESPACE
Q1 2024 against Q1 2023, like-for-like: Feb and Mar (2 of 3 months; no data for Jan 2024)
>>> compare_months(Period.parse("Q1 2024"), Period.parse("Q1 2022"), present).cell()
'not compared: no data for Q1 2022'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Coverage, Period, check_coverage, months_present

__all__ = [
    "COMPARED_COLUMNS",
    "KINDS",
    "Comparison",
    "compare_months",
    "month_list",
    "month_span",
    "of_months",
]

#: What a comparison can be: all months, the months present in both, or none.
KINDS = ("complete", "like_for_like", "dropped")

#: The columns a table of year-on-year changes carries after a count and its ``months``:
#: the earlier period's count, the comparison made, the compared counts and the test.
COMPARED_COLUMNS: tuple[str, ...] = (
    "previous",
    "previous_months",
    "comparison",
    "months_compared",
    "count_compared",
    "previous_compared",
    "volume_change",
    "pct_change",
    "p_value",
    "significant",
    "direction",
    "complete",
)


def _plural(n: int, word: str = "month") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def month_span(first, last) -> str:
    """The months ``first`` to ``last`` in words: ``"Apr 2022 to Mar 2025"`` (one month:
    ``"Mar 2025"``).

    Examples
    --------
    >>> month_span("2022-04-15", "2025-03-01"), month_span("2025-03-01", "2025-03-31")
    ('Apr 2022 to Mar 2025', 'Mar 2025')
    """
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    if (first.year, first.month) == (last.year, last.month):
        return f"{last:%b %Y}"
    return f"{first:%b %Y} to {last:%b %Y}"


def month_list(months, *, years: bool = False) -> str:
    """Months in words, runs of three or more joined: ``'Apr-Jul and Sep-Mar'``.

    Months are listed in the order given; a run is months that follow one another.

    Parameters
    ----------
    months : iterable of month-like
    years : bool, default False
        Name each month with its year (for periods longer than a year).

    Examples
    --------
    >>> month_list(pd.to_datetime(["2024-02-01", "2024-03-01"]))
    'Feb and Mar'
    >>> m = pd.date_range("2019-04-01", "2020-03-01", freq="MS").drop(pd.Timestamp("2019-08-01"))
    >>> month_list(m)
    'Apr-Jul and Sep-Mar'
    >>> month_list(pd.to_datetime(["2023-06-01"]), years=True)
    'Jun 2023'
    """
    stamps = [pd.Timestamp(m) for m in months]
    fmt = "%b %Y" if years else "%b"
    runs: list[list[pd.Timestamp]] = []
    for m in stamps:
        if runs and (m.year * 12 + m.month) - (runs[-1][-1].year * 12 + runs[-1][-1].month) == 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    items = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{run[0].strftime(fmt)}-{run[-1].strftime(fmt)}")
        else:
            items.extend(m.strftime(fmt) for m in run)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class Comparison:
    """Which months of two periods are compared (:func:`compare_months`), and why.

    Attributes
    ----------
    current, previous : Period
        The period assessed and the period it is compared with.
    current_coverage, previous_coverage : Coverage
        The months of each period with data.
    months, previous_months : tuple of pandas.Timestamp
        The months compared in each period (empty when the comparison is dropped).
    excluded : tuple of pandas.Timestamp
        Months with data left out because they were to be excluded (e.g. flagged
        implausible), in either period.
    reason : str
        Why a comparison is dropped (empty otherwise).
    """

    current: Period
    previous: Period
    current_coverage: Coverage
    previous_coverage: Coverage
    months: tuple
    previous_months: tuple
    excluded: tuple = ()
    reason: str = ""

    @property
    def kind(self) -> str:
        """``"complete"``, ``"like_for_like"`` or ``"dropped"`` (:data:`KINDS`)."""
        if not self.months:
            return "dropped"
        whole = (
            len(self.months) == self.current.n_months
            and len(self.previous_months) == self.previous.n_months
        )
        return "complete" if whole else "like_for_like"

    @property
    def compared(self) -> bool:
        """True unless the comparison is dropped."""
        return bool(self.months)

    @property
    def n_months(self) -> int:
        """Months of the current period compared."""
        return len(self.months)

    @property
    def same_length(self) -> bool:
        return self.current.n_months == self.previous.n_months

    def _left_out(self) -> str:
        """Why months are not compared: ``'no data for Jan 2024; Jun 2023 excluded'``."""
        missing = sorted(set(self.current_coverage.missing) | set(self.previous_coverage.missing))
        parts = []
        if missing:
            parts.append(f"no data for {month_list(missing, years=True)}")
        if self.excluded:
            parts.append(f"{month_list(sorted(self.excluded), years=True)} left out")
        return "; ".join(parts)

    @property
    def detail(self) -> str:
        """The comparison's basis in a few words; empty when complete.

        ``'like-for-like: Feb and Mar (2 of 3 months)'`` or ``'not compared: ...'``.
        """
        kind = self.kind
        if kind == "complete":
            return ""
        if kind == "dropped":
            return f"not compared: {self.reason}"
        n, total = len(self.months), self.current.n_months
        if self.same_length:
            named = month_list(self.months, years=total > 12)
            return f"like-for-like: {named} ({n} of {_plural(total)})"
        return (
            f"like-for-like: {n} of {_plural(total)} against {len(self.previous_months)} of "
            f"{_plural(self.previous.n_months)}, the same calendar months"
        )

    def cell(self) -> str:
        """Words for a table cell: ``'all 12 months'``, the like-for-like months, or why
        the comparison is dropped.

        Examples
        --------
        >>> p = Period.parse("2019/20")
        >>> compare_months(p, p.previous_year(), pd.date_range("2018-04", "2020-03",
        ...                                                     freq="MS")).cell()
        'all 12 months'
        """
        return self.detail or self.current_coverage.short()

    def sentence(self) -> str:
        """The comparison in a sentence (without a full stop).

        ``'Q1 2024 against Q1 2023, like-for-like: Feb and Mar (2 of 3 months; no data for
        Jan 2024)'``; a dropped comparison: ``'Q1 2024 is not compared with Q1 2022: no
        data for Q1 2022'``.
        """
        cur, prev = self.current.label, self.previous.label
        kind = self.kind
        if kind == "complete":
            return f"{cur} against {prev}"
        if kind == "dropped":
            return f"{cur} is not compared with {prev}: {self.reason}"
        why = self._left_out()
        text = f"{cur} against {prev}, {self.detail}"
        return text[:-1] + f"; {why})" if why and text.endswith(")") else text

    def select(self, rows: pd.DataFrame, which: str = "current") -> pd.DataFrame:
        """The rows of the months compared in the ``"current"`` or ``"previous"`` period.

        Raises
        ------
        ParamsError
            When ``which`` is neither.
        """
        if which not in ("current", "previous"):
            raise ParamsError(f"which must be 'current' or 'previous', got {which!r}")
        return of_months(rows, self.months if which == "current" else self.previous_months)

    def to_dict(self) -> dict:
        """A flat record (labels and words)."""
        return {
            "current": self.current.label,
            "previous": self.previous.label,
            "kind": self.kind,
            "months_compared": len(self.months),
            "comparison": self.cell(),
        }


def of_months(rows: pd.DataFrame, months, column: str = "month") -> pd.DataFrame:
    """The rows whose ``column`` falls in one of ``months`` (month starts).

    Raises
    ------
    DataError
        When the rows have no such column.

    Examples
    --------
    >>> rows = pd.DataFrame({"month": pd.to_datetime(["2024-01-15", "2024-02-01"])})
    >>> len(of_months(rows, ["2024-02"]))
    1
    """
    if column not in rows.columns:
        raise DataError(f"the rows have no {column!r} column to select months by")
    month = pd.to_datetime(rows[column]).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")
    wanted = pd.DatetimeIndex([pd.Timestamp(m) for m in months])
    keep = np.isin(month, wanted.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]"))
    return rows.loc[keep]


def _months(values) -> set:
    return set() if values is None else set(months_present(values))


def compare_months(current, previous, present, *, exclude=(), previous_present=None) -> Comparison:
    """Which months of ``current`` and ``previous`` to compare (the rule in the module notes).

    Parameters
    ----------
    current, previous : Period or str
        The period assessed and the period it is compared with.
    present : iterable of month-like
        Months with data (a month with zero events still counts as present).
    exclude : iterable of month-like, optional
        Months to leave out of the comparison even though they have data (e.g. flagged
        implausible); a month of either period.
    previous_present : iterable of month-like, optional
        Months with data for the previous period, when they come from elsewhere
        (default: ``present``).

    Returns
    -------
    Comparison

    Examples
    --------
    >>> months = pd.date_range("2018-04-01", "2020-03-01", freq="MS")
    >>> c = compare_months("2019/20", "2018/19", months.drop(pd.Timestamp("2018-08-01")))
    >>> c.kind, c.cell()
    ('like_for_like', 'like-for-like: Apr-Jul and Sep-Mar (11 of 12 months)')
    >>> print(c.sentence())  # doctest: +NORMALIZE_WHITESPACE
    2019/20 against 2018/19, like-for-like: Apr-Jul and Sep-Mar (11 of 12 months; no data
    for Aug 2018)
    """
    cur, prev = Period.coerce(current), Period.coerce(previous)
    have = _months(present)
    have_prev = have if previous_present is None else _months(previous_present)
    cov_cur = check_coverage(cur, sorted(have), allow_incomplete=True)
    cov_prev = check_coverage(prev, sorted(have_prev), allow_incomplete=True)
    out = _months(exclude)
    ok_cur = [m for m in cov_cur.covered if m not in out]
    ok_prev = [m for m in cov_prev.covered if m not in out]
    excluded = tuple(sorted(m for m in (*cov_cur.covered, *cov_prev.covered) if m in out))
    if cur.n_months == prev.n_months:
        usable_cur, usable_prev = set(ok_cur), set(ok_prev)
        pairs = [
            (a, b)
            for a, b in zip(cur.months, prev.months, strict=True)
            if a in usable_cur and b in usable_prev
        ]
        months, before = tuple(a for a, _ in pairs), tuple(b for _, b in pairs)
    else:
        cal_prev = {m.month for m in ok_prev}
        months = tuple(m for m in ok_cur if m.month in cal_prev)
        cal_cur = {m.month for m in months}
        before = tuple(m for m in ok_prev if m.month in cal_cur)
    reason = ""
    if not months:
        if cov_cur.n_covered == 0:
            reason = f"no data for {cur.label}"
        elif cov_prev.n_covered == 0:
            reason = f"no data for {prev.label}"
        elif not ok_cur or not ok_prev:
            gone = cov_cur if not ok_cur else cov_prev
            reason = (
                f"every month of {gone.period.label} with data is left out "
                f"({month_list(gone.covered, years=True)})"
            )
        else:
            reason = f"no month has data in both {cur.label} and {prev.label}"
            if excluded:
                reason += " (besides the months excluded)"
    return Comparison(cur, prev, cov_cur, cov_prev, months, before, excluded, reason)
