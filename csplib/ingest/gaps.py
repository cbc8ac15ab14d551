"""Gaps in a police.uk download: months, and categories within months, with no data.

Every force in the download must have a street file with rows for every calendar month the
*whole download* covers (its first to last month over all forces), so a force absent from
the download's first or last month is found too (in the national download, Lancashire and
Northumbria have no 2018-10 file). A month without one is *missing*: it is listed, and it is
never a month with zero crime.

Within a month that a force's file has, a category with no row at all in that file (all its
LSOAs, before any area filter) is a *category gap* when it is never that small: the median
of its counts in the force's neighbouring months (at most ``window`` months away, at least
``min_neighbours`` of them) makes a zero implausible, the Poisson probability of no row
with that median (plus 0.5) as the mean being below ``alpha`` (a median of about 9 or more
a month at the default 0.0001, the implausible months' settings,
:mod:`csplib.ingest.quality`). A category that is normally tiny (Possession of weapons at 1
a month) can really have no row, so its zero is not a gap; nor is a category in the months
before police.uk published it (Possession of weapons before May 2013,
:mod:`csplib.ingest.categories`).

:func:`missing_months` lists both in one table (``by``, ``month``, ``reason``), the
``missing_months`` table of the quality report.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from scipy import stats

from csplib.ingest.categories import category_table

__all__ = [
    "MONTH_GAP_REASONS",
    "category_gap_reason",
    "check_settings",
    "gap_category",
    "missing_months",
]

#: Reasons of a whole month missing from a force's data (any other reason in the
#: missing-months table is a category gap, :func:`category_gap_reason`).
MONTH_GAP_REASONS = ("no file", "file has no rows")


def _month_number(months: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Months as integers (year * 12 + month - 1), so differences are calendar months."""
    idx = pd.DatetimeIndex(months)
    return np.asarray(idx.year * 12 + idx.month - 1, dtype=np.int64)


def _from_month_number(n: np.ndarray) -> pd.DatetimeIndex:
    years, months = np.divmod(np.asarray(n, dtype=np.int64), 12)
    return pd.DatetimeIndex(
        pd.to_datetime({"year": years, "month": months + 1, "day": 1}) if len(n) else []
    )


def category_gap_reason(category: str) -> str:
    """The ``reason`` of a category gap in the missing-months table.

    Examples
    --------
    >>> category_gap_reason("Anti-social behaviour")
    'no Anti-social behaviour rows'
    """
    return f"no {category} rows"


def gap_category(reason: str) -> str | None:
    """The category of a category gap's ``reason``; None for a whole month missing.

    Examples
    --------
    >>> gap_category("no Anti-social behaviour rows"), gap_category("no file")
    ('Anti-social behaviour', None)
    """
    if reason in MONTH_GAP_REASONS or not (reason.startswith("no ") and reason.endswith(" rows")):
        return None
    return reason[len("no ") : -len(" rows")]


@functools.cache
def _first_published() -> dict[str, int]:
    """Month number of the first month each current category could have rows."""
    table = category_table()
    firsts = table.groupby("category")["first_month"].min()
    return {c: int(_month_number(pd.to_datetime([m]))[0]) for c, m in firsts.items()}


def _category_gaps(
    counts: pd.DataFrame, have: list[int], window: int, alpha: float, min_neighbours: int
) -> list[tuple[int, str]]:
    """(month number, category) of one force's category gaps; ``have``: its months with rows."""
    if counts.empty or not have:
        return []
    table = (
        counts.assign(_m=_month_number(counts["month"]), category=counts["category"].astype(str))
        .pivot_table(index="_m", columns="category", values="count", aggfunc="sum")
        .reindex(have)
        .fillna(0)
    )
    first = _first_published()
    months = np.asarray(have, dtype=np.int64)
    gaps = []
    for category in sorted(table.columns):
        values = table[category].to_numpy(dtype=float)
        era = months >= first.get(category, months.min())
        for t in np.flatnonzero(era & (values == 0)):
            near = era & (np.abs(months - months[t]) <= window)
            near[t] = False
            if near.sum() < min_neighbours:
                continue
            expected = float(np.median(values[near]))
            if float(stats.poisson.pmf(0, expected + 0.5)) < alpha:
                gaps.append((int(months[t]), category))
    return gaps


def missing_months(
    files: pd.DataFrame,
    *,
    by: str = "force",
    counts: pd.DataFrame | None = None,
    window: int = 2,
    alpha: float = 1e-4,
    min_neighbours: int = 2,
) -> pd.DataFrame:
    """Months (and categories) with no data, against every month the whole download covers.

    Every group (force) is checked against the months from the first to the last month of
    ``files`` over all groups, so a force absent from the download's first or last month is
    reported. With ``counts``, a category with no row in a month that the group's file has
    is reported too, when its median count in the neighbouring months makes a zero
    implausible (see the module docstring): a category that is normally tiny may really
    have no row, and that is not a gap.

    Parameters
    ----------
    files : pandas.DataFrame
        One row per file: ``month``, ``rows_read`` and the ``by`` column, e.g. the ``files``
        table of :func:`csplib.ingest.read_policeuk` (street files). A file with no rows
        (header only) still shows that the download covers its month.
    by : str
        The column naming the series whose months are checked (default ``"force"``).
    counts : pandas.DataFrame, optional
        Each group's monthly counts by category over *all* its rows (before any area
        filter): ``month``, ``category``, ``count`` and the ``by`` column, e.g.
        :meth:`csplib.ingest.PoliceUkRead.monthly_counts` by force. Without it, categories
        are not checked.
    window, alpha, min_neighbours :
        A category's neighbouring months are the group's months with rows at most
        ``window`` months away (at least ``min_neighbours`` of them); its zero is a gap
        when the Poisson probability of no row, with the neighbours' median (plus 0.5) as
        the mean, is below ``alpha``.

    Returns
    -------
    pandas.DataFrame
        Columns ``by``, ``month``, ``reason``: ``"no file"``, ``"file has no rows"`` (a
        header-only file) or, for a category gap, ``"no <category> rows"``
        (:func:`category_gap_reason`). Sorted by group and month, a whole month before its
        categories. Empty when nothing is missing.

    Examples
    --------
    >>> files = pd.DataFrame({
    ...     "force": ["notts"] * 3 + ["derby"] * 2,
    ...     "month": pd.to_datetime(["2018-10-01", "2018-12-01", "2019-01-01",
    ...                              "2018-11-01", "2019-01-01"]),
    ...     "rows_read": [11900, 10492, 0, 8000, 8100]})
    >>> missing_months(files)
       force      month            reason
    0  derby 2018-10-01           no file
    1  derby 2018-12-01           no file
    2  notts 2018-11-01           no file
    3  notts 2019-01-01  file has no rows
    """
    for col in ("month", "rows_read", by):
        if col not in files.columns:
            raise ValueError(f"files needs a {col!r} column; found {list(files.columns)}")
    if counts is not None:
        need = ["month", "category", "count", by]
        absent = [c for c in need if c not in counts.columns]
        if absent:
            raise ValueError(f"counts needs columns {need}; missing {absent}")
        check_settings(window, alpha, min_neighbours)
    out = []
    span = _month_number(files["month"])
    for group, frame in files.groupby(by, sort=True, observed=True):
        have = set(_month_number(frame.loc[frame["rows_read"] > 0, "month"]).tolist())
        empty = set(_month_number(frame.loc[frame["rows_read"] == 0, "month"]).tolist())
        for n in range(int(span.min()), int(span.max()) + 1):
            if n not in have:
                reason = "file has no rows" if n in empty else "no file"
                out.append((group, n, 0, reason))
        if counts is not None:
            own = counts[counts[by].astype(str) == str(group)]
            for n, category in _category_gaps(own, sorted(have), window, alpha, min_neighbours):
                out.append((group, n, 1, category_gap_reason(category)))
    out.sort(key=lambda r: (str(r[0]), r[1], r[2], r[3]))
    result = pd.DataFrame({by: [r[0] for r in out], "reason": [r[3] for r in out]})
    months = _from_month_number(np.array([r[1] for r in out], dtype=np.int64))
    result.insert(1, "month", pd.DatetimeIndex(months).astype("datetime64[us]"))
    return result


def check_settings(window: int, alpha: float, min_neighbours: int) -> None:
    """Check the neighbour-window settings shared by the gap and implausible-month rules."""
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise ValueError("window must be a positive integer (calendar months either side)")
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise ValueError("alpha must be a probability strictly between 0 and 1")
    if (
        not isinstance(min_neighbours, (int, np.integer))
        or isinstance(min_neighbours, bool)
        or not 1 <= min_neighbours <= 2 * window
    ):
        raise ValueError("min_neighbours must be an integer from 1 to 2 * window")
