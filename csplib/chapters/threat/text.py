"""How the threat chapter words months, counts and series: the helpers its sentences share.

Examples
--------
>>> month_span("2024-04-01", "2024-04-30")
'Apr 2024'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["month_span"]


def _month(value) -> pd.Timestamp:
    """A month start from a date, ``"YYYY-MM"`` string or Timestamp."""
    ts = pd.Timestamp(value)
    return pd.Timestamp(year=ts.year, month=ts.month, day=1)


def _add_months(month: pd.Timestamp, n: int) -> pd.Timestamp:
    return month + pd.DateOffset(months=n)


def month_span(start, end) -> str:
    """``"Apr 2022 to Mar 2025"`` (one month: ``"Mar 2025"``).

    Examples
    --------
    >>> month_span("2022-04-01", "2025-03-01")
    'Apr 2022 to Mar 2025'
    """
    start, end = _month(start), _month(end)
    if start == end:
        return f"{start:%b %Y}"
    return f"{start:%b %Y} to {end:%b %Y}"


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
