"""The threat chapter's monthly series: counts by category, and by category x ward.

:func:`monthly_series` turns tidy incidents into a wide months x series frame (by category,
or by category x ward) over every month from the first with data to the end of the assessed
period. A month the source does not cover is ``NaN``, never zero; so is a (month, category)
cell the ingest quality check flagged as implausible (a publication defect, such as a
release that kept 5% of a month's ASB): treating it as data would bend every model that
sees it. :func:`area_series` adds an ``ALL_CRIME`` column (every category except ASB), which
is checked for implausible months on its own; :func:`area_frames` gives it both as published
and with the flagged cells left out, counting the incidents once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from csplib.chapters.threat.text import _month
from csplib.core.schema import ALL_CRIME, ASB
from csplib.ingest.quality import implausible_months
from csplib.methods.models import long_to_wide
from csplib.methods.volume import monthly_counts

__all__ = ["ALL_CRIME", "VIOLENCE", "monthly_series", "area_series", "area_frames"]

#: Name of the total of every crime category (ASB is not a crime).
VIOLENCE = "Violence and sexual offences"


def monthly_series(
    incidents: pd.DataFrame,
    keys: str | Sequence[str] = "category",
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Monthly counts as a wide frame (months x series), with missing months kept missing.

    Parameters
    ----------
    incidents : DataFrame
        Tidy incidents with ``month`` and the ``keys`` columns.
    keys : str or sequence of str
        Columns identifying a series: ``"category"`` (one column per category, via
        :func:`csplib.methods.volume.monthly_counts`) or e.g. ``["category", "ward"]`` (a column
        MultiIndex, via :func:`csplib.methods.models.long_to_wide`).
    months_present : iterable of dates, optional
        Months the source covers (default: months with at least one incident). Months in
        the span but not present are ``NaN``; a present month with no incident of a series
        is 0.
    end : date-like, optional
        Last month kept (the end of the assessed period). Later months are dropped.
    exclude : DataFrame, optional
        ``month`` and ``category`` of cells to treat as missing (e.g. the quality report's
        implausible months); every series of that category is ``NaN`` in that month.

    Returns
    -------
    DataFrame
        Index ``month`` (every month from the first present to the last, ``freq="MS"``);
        one float column per series, sorted.

    Raises
    ------
    ValueError
        If a key column is missing, no month is present up to ``end``, or ``exclude`` is
        given without a ``category`` key.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-03-01"]),
    ...                     "category": ["Burglary", "Drugs", "Burglary"],
    ...                     "ward": ["A", "B", "A"]})
    >>> months = pd.to_datetime(["2024-01-01", "2024-03-01"])
    >>> monthly_series(inc, ["category", "ward"], months_present=months)
    category    Burglary  Drugs
    ward               A      B
    month
    2024-01-01       1.0    1.0
    2024-02-01       NaN    NaN
    2024-03-01       1.0    0.0
    """
    keys = [keys] if isinstance(keys, str) else list(keys)
    lacking = [c for c in ["month", *keys] if c not in incidents.columns]
    if lacking:
        raise ValueError(f"incidents lack column(s) {lacking}; expected 'month' and {keys}")
    source = incidents["month"] if months_present is None else pd.Series(list(months_present))
    present = pd.DatetimeIndex(sorted({_month(m) for m in pd.to_datetime(source)}))
    if end is not None:
        end = _month(end)
        present = present[present <= end]
        incidents = incidents[incidents["month"] <= end]
    if present.empty:
        raise ValueError("no month with data" + (f" up to {end:%Y-%m}" if end is not None else ""))
    span = pd.date_range(present[0], present[-1], freq="MS", name="month")
    if len(keys) == 1:
        wide = monthly_counts(incidents, by=keys[0], months_present=present).reindex(span)
    else:
        counts = (
            incidents.groupby([*keys, "month"], observed=True).size().rename("count").reset_index()
        )
        if counts.empty:
            wide = pd.DataFrame(
                index=span, columns=pd.MultiIndex.from_tuples([], names=keys), dtype=float
            )
        else:
            wide = long_to_wide(counts, keys, absent="zero").reindex(span)
        is_present = span.isin(present)
        wide.loc[is_present] = wide.loc[is_present].fillna(0.0)
        wide.loc[~is_present] = np.nan
    wide = wide.astype(float).sort_index(axis=1)
    wide.index = span
    return _mask_cells(wide, exclude)


def _mask_cells(wide: pd.DataFrame, exclude: pd.DataFrame | None) -> pd.DataFrame:
    """``wide`` with every series of a category ``NaN`` in the months ``exclude`` lists
    (itself when there is nothing to exclude; a copy otherwise)."""
    if exclude is None or not len(exclude):
        return wide
    if "category" not in wide.columns.names:
        raise ValueError("exclude needs series keyed by 'category'")
    wide = wide.copy()
    categories = wide.columns.get_level_values("category")
    for month, category in zip(exclude["month"], exclude["category"], strict=True):
        month = _month(month)
        if month in wide.index:
            wide.loc[month, categories == category] = np.nan
    return wide


def area_series(
    incidents: pd.DataFrame,
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
    asb: str = ASB,
) -> pd.DataFrame:
    """Monthly counts by category plus ``ALL_CRIME`` (every category except ASB).

    ``ALL_CRIME`` is summed from the counts as published and then checked for implausible
    months on its own (:func:`csplib.ingest.quality.implausible_months`): a defect in one
    small category does not remove a month from the total unless the total itself is
    implausible.

    Parameters
    ----------
    incidents, months_present, end, exclude
        As for :func:`monthly_series` (keyed by category).
    asb : str
        The ASB category (left out of ``ALL_CRIME``).

    Returns
    -------
    DataFrame
        Months x categories, with an ``ALL_CRIME`` column last when there is any crime.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"] * 3 + ["2024-02-01"]),
    ...                     "category": ["Burglary", "Drugs", ASB, "Drugs"]})
    >>> area_series(inc)[ALL_CRIME].tolist()
    [2.0, 1.0]
    """
    return area_frames(incidents, months_present=months_present, end=end, exclude=exclude, asb=asb)[
        1
    ]


def area_frames(
    incidents: pd.DataFrame,
    *,
    months_present=None,
    end=None,
    exclude: pd.DataFrame | None = None,
    asb: str = ASB,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`area_series` as published and with ``exclude`` treated as missing, counted once.

    Returns
    -------
    (DataFrame, DataFrame)
        The series as published, and the same with the excluded cells ``NaN``; both with
        the same ``ALL_CRIME`` column.

    Examples
    --------
    >>> inc = pd.DataFrame({"month": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...                     "category": ["Drugs", "Drugs"]})
    >>> skip = pd.DataFrame({"month": pd.to_datetime(["2024-02-01"]), "category": ["Drugs"]})
    >>> raw, whole_area = area_frames(inc, exclude=skip)
    >>> raw["Drugs"].tolist(), whole_area["Drugs"].tolist(), whole_area[ALL_CRIME].tolist()
    ([1.0, 1.0], [1.0, nan], [1.0, 1.0])
    """
    raw = monthly_series(incidents, "category", months_present=months_present, end=end)
    crime = [c for c in raw.columns if c != asb]
    if crime:
        total = raw[crime].sum(axis=1, min_count=1)
        present = total.dropna()
        if len(present) >= 3:
            flagged = implausible_months(
                pd.DataFrame({"month": present.index, "category": ALL_CRIME, "count": present})
            )
            total[total.index.isin(pd.DatetimeIndex(flagged["month"]))] = np.nan
    wide = _mask_cells(raw, exclude)
    if wide is raw:
        wide = raw.copy()
    if crime:
        for frame in (raw, wide):
            frame[ALL_CRIME] = total
            frame.columns.name = "category"
    return raw, wide


def _excluded_cells(wide: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """(category, month) cells missing in ``wide`` though ``raw`` has data."""
    dropped = wide.isna() & raw.reindex(columns=wide.columns).notna()
    cells = dropped.stack()
    cells = cells[cells].reset_index()
    if cells.empty:
        return pd.DataFrame({"category": pd.Series(dtype=str), "month": pd.Series(dtype="M8[ns]")})
    cells = cells.rename(columns={cells.columns[0]: "month", cells.columns[1]: "category"})
    return cells[["category", "month"]].sort_values(["month", "category"], ignore_index=True)
