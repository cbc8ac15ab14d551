"""How the threat chapter words months, counts and series: the helpers its sentences share.

Examples
--------
>>> month_span("2024-04-01", "2024-04-30")
'Apr 2024'
>>> has = pd.Series(True, index=pd.date_range("2020-10-01", periods=36, freq="MS"))
>>> has.iloc[:9] = False
>>> months_used(has, relation="before it")
'the 27 months with data in the 36 before it (Jul 2021 to Sep 2023)'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.comparison import month_span

__all__ = ["month_span", "months_used"]


def _month(value) -> pd.Timestamp:
    """A month start from a date, ``"YYYY-MM"`` string or Timestamp."""
    ts = pd.Timestamp(value)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def _add_months(month: pd.Timestamp, n: int) -> pd.Timestamp:
    return month + pd.DateOffset(months=n)


def months_used(has_data: pd.Series, *, relation: str = "") -> str:
    """The months a window used, in words: how many had data, of how many, and their span.

    Parameters
    ----------
    has_data : Series of bool
        The window's months (index of month starts, in order), True where the model had
        data for that month.
    relation : str
        How the window relates to what it serves (``"before it"``), said after the count.

    Returns
    -------
    str
        ``"the 36 months before it (Oct 2020 to Sep 2023)"`` when every month has data;
        ``"the 27 months with data in the 36 before it (Jan 2021 to Sep 2023)"`` when some
        have none (the span runs from the first to the last month with data);
        ``"no month with data in the 36 before it"`` when none has.

    Examples
    --------
    >>> idx = pd.date_range("2020-10-01", periods=36, freq="MS")
    >>> months_used(pd.Series(True, index=idx), relation="before it")
    'the 36 months before it (Oct 2020 to Sep 2023)'
    >>> months_used(pd.Series(idx.year == 2021, index=idx))
    'the 12 months with data in the 36 (Jan 2021 to Dec 2021)'
    >>> months_used(pd.Series(True, index=idx[:1]))
    'the 1 month (Oct 2020)'
    """
    has = has_data.astype(bool)
    total, n = len(has), int(has.sum())
    after = f" {relation}" if relation else ""
    if n == 0:
        return f"no month with data in the {total}{after}"
    months = has.index[has.to_numpy()]
    span = month_span(months[0], months[-1])
    if n == total:
        return f"the {_count_text(n, 'month')}{after} ({span})"
    return f"the {_count_text(n, 'month')} with data in the {total}{after} ({span})"


def _months_list(months) -> str:
    """``"Jan 2021, Feb 2021"``: the first six months named, then how many more."""
    labels = [f"{m:%b %Y}" for m in months]
    return ", ".join(labels[:6]) + (f" and {len(labels) - 6} more" if len(labels) > 6 else "")


def _count_text(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _label(key) -> str:
    """``"Possession of weapons in Bulwell"`` for a (category, ward) key; the name otherwise."""
    if isinstance(key, tuple):
        if len(key) == 2:
            return f"{key[0]} in {key[1]}"
        return " / ".join(map(str, key))
    return str(key)


def _about(x: float) -> str:
    """A count rounded to 3 significant figures, with thousands separators."""
    if not np.isfinite(x) or x == 0:
        return f"{x:,.0f}"
    digits = max(0, int(np.floor(np.log10(abs(x)))) - 2)
    return f"{round(x, -digits):,.0f}"
