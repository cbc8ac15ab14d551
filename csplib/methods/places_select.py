"""Which incidents a places measure counts: the period, the categories, the months covered.

The checks and selections shared by :func:`csplib.methods.places.area_rates`,
:func:`csplib.methods.hotspots_emerging.emerging_hotspots` and
:func:`csplib.methods.places_profiles.ward_profiles`: a period from a label or a pair of
months, the columns and categories asked for, the months the data cover, the counts over
every LSOA of the geography (zeros kept), the share of a ward's LSOAs that are deprived,
and the months the ingest quality report flags as implausible (:func:`flagged_months`).

Examples
--------
>>> as_period(("2023-10", "2024-09")).label
'Oct 23 - Sep 24'
>>> flags = pd.DataFrame({"category": ["Anti-social behaviour", "Drugs"],
...                       "month": pd.to_datetime(["2023-06-01", "2020-04-01"])})
>>> [f"{m:%Y-%m}" for m in flagged_months(flags, ["Anti-social behaviour"])]
['2023-06']
>>> [f"{m:%Y-%m}" for m in flagged_months(flags)]
['2020-04', '2023-06']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.core.periods import Period, check_coverage, months_present
from csplib.core.schema import POLICE_UK_CATEGORIES
from csplib.methods.risk import area_counts
from csplib.methods.themes import in_period

__all__ = [
    "RATE_NOTE",
    "as_period",
    "need_columns",
    "check_categories",
    "check_level",
    "coverage",
    "lsoa_counts",
    "select",
    "deprived_share",
    "flagged_months",
]

#: How rates are stated (per 1,000 residents over the period counted).
RATE_NOTE = "per 1,000 residents over the period (not annualised)"


def as_period(period, name: str = "period") -> Period:
    """A Period from a Period, a label, or a ``(start, end)`` pair of months."""
    if isinstance(period, tuple | list):
        if len(period) != 2:
            raise ParamsError(f"{name} as a pair must be (start month, end month), got {period!r}")
        return Period.window(*period)
    return Period.parse(period)


def need_columns(frame, columns, what: str) -> None:
    """Raise a DataError naming the columns ``frame`` lacks (or when it is no DataFrame)."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what} have no column(s) {', '.join(repr(c) for c in missing)}")


def check_categories(categories, incidents: pd.DataFrame) -> list[str] | None:
    """``categories`` as a list (None: every category), each a police.uk category or one
    found in the incidents."""
    if categories is None:
        return None
    if isinstance(categories, str):
        categories = [categories]
    categories = list(categories)
    if not categories:
        raise ParamsError("categories is empty: give at least one category, or None for all")
    need_columns(incidents, ["category"], "incidents")
    unknown = [c for c in categories if c not in POLICE_UK_CATEGORIES]
    if unknown:  # only then read the incidents' own categories (slow on large tables)
        found = {str(c) for c in incidents["category"].dropna().unique()}
        unknown = [c for c in unknown if c not in found]
    if unknown:
        raise ParamsError(
            f"unknown category {unknown[0]!r}: expected a police.uk category "
            f"({', '.join(POLICE_UK_CATEGORIES)}) or a category found in the incidents"
        )
    return categories


def check_level(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1 (a significance level)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ParamsError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    return float(value)


def coverage(incidents: pd.DataFrame, period: Period, allow_incomplete: bool, what: str):
    """The months of ``period`` the incidents cover (:func:`csplib.core.periods.check_coverage`)."""
    need_columns(incidents, ["month"], what)
    return check_coverage(
        period, months_present(incidents["month"]), allow_incomplete=allow_incomplete, what=what
    )


def lsoa_counts(rows: pd.DataFrame, geography, what: str = "incidents") -> pd.Series:
    """Counts over every LSOA of the geography (zeros kept), named ``count``."""
    counts = area_counts(rows, geography.lsoa_table.index)
    placed = len(rows) - counts.attrs["no_area"]
    if placed > 0 and counts.attrs["outside"] == placed:
        raise DataError(
            f"none of the {int(placed)} {what} with an LSOA code has an LSOA of "
            f"{geography.name} ({geography.vintage} codes); filter and convert them with "
            "Geography.assign_area first"
        )
    out = counts.astype("int64").rename("count")
    out.attrs = dict(counts.attrs)
    return out


def select(incidents, period, categories, allow_incomplete, what="incidents"):
    """Rows of the period and categories, with the period's coverage (or None)."""
    need_columns(incidents, ["lsoa"], what)
    cover = None
    rows = incidents
    if period is not None:
        cover = coverage(incidents, period, allow_incomplete, what)
        rows = in_period(incidents, period, what)
    if categories is not None:
        rows = rows.loc[rows["category"].isin(categories).to_numpy(dtype=bool)]
    return rows, cover


def deprived_share(geography) -> pd.Series:
    """% of each ward's LSOAs in IMD deciles 1-2, of those with a decile.

    LSOAs without a decile (Welsh LSOAs: the English indices cover England only, see
    :meth:`csplib.ingest.geography.Geography.deprivation`) are left out; a ward with no
    decile at all has a missing share. ``attrs["note"]`` carries the deprivation note when
    some LSOAs have no decile.

    Examples
    --------
    >>> class Geo:
    ...     lsoa_table = pd.DataFrame({"ward": ["A", "A", "A", "B"]}, index=list("pqrs"))
    ...     def deprivation(self):
    ...         d = pd.DataFrame({"imd_decile": pd.array([1, 5, None, None], dtype="Int64")},
    ...                          index=list("pqrs"))
    ...         d.attrs["note"] = "Two LSOAs are in Wales."
    ...         return d
    >>> share = deprived_share(Geo())
    >>> share.to_dict(), share.attrs["note"]
    ({'A': 50.0, 'B': nan}, 'Two LSOAs are in Wales.')
    """
    deprivation = geography.deprivation()
    decile = deprivation["imd_decile"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ward = geography.lsoa_table["ward"].reindex(deprivation.index)
    deprived = pd.Series(np.where(np.isnan(decile), np.nan, (decile <= 2) * 100.0))
    out = deprived.groupby(ward.to_numpy()).mean()
    if deprivation.attrs.get("note"):
        out.attrs["note"] = deprivation.attrs["note"]
    return out


def flagged_months(implausible: pd.DataFrame | None, categories=None) -> list[pd.Timestamp]:
    """Months the quality report flags as implausible for any of ``categories``.

    Parameters
    ----------
    implausible : pandas.DataFrame or None
        The quality report's table (columns ``category`` and ``month``), e.g.
        ``store.quality.implausible``.
    categories : iterable of str, optional
        The categories a measure counts; None: every category (a measure counting every
        incident).

    Returns
    -------
    list of pandas.Timestamp
        Month starts, sorted, without repeats.

    Raises
    ------
    DataError
        When the table lacks a ``category`` or ``month`` column.
    """
    if implausible is None or len(implausible) == 0:
        return []
    missing = [c for c in ("category", "month") if c not in implausible.columns]
    if missing:
        raise DataError(f"the implausible-months table has no {missing[0]!r} column")
    rows = implausible
    if categories is not None:
        rows = implausible[implausible["category"].isin(list(categories))]
    months = pd.to_datetime(rows["month"]).dt.to_period("M").dt.to_timestamp()
    return sorted(set(months))
