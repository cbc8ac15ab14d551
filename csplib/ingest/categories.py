"""Harmonise police.uk crime type names to the current list of categories.

police.uk has used three sets of crime types since its street-level data began:

* **December 2010 to August 2011** (six): Anti-social behaviour, Burglary, Robbery, Vehicle
  crime, Violent crime, Other crime.
* **September 2011 to April 2013** (eleven): adds Criminal damage and arson, Drugs, Other
  theft, Shoplifting and Public disorder and weapons.
* **since May 2013** (fourteen, :data:`csplib.core.schema.POLICE_UK_CATEGORIES`): "Violent crime"
  renamed "Violence and sexual offences"; "Public disorder and weapons" split into "Public
  order" and "Possession of weapons"; "Theft from the person" and "Bicycle theft" split out
  of "Other theft".

The table ``categories.csv`` beside this module maps every name found in the files to a
current category, with the months it was used and a note on what is not comparable. The one
lossy choice: **"Public disorder and weapons" -> "Public order"**. Historic rows cannot be
split between the two successor categories, so they all go to the larger one; before May 2013
"Public order" is overstated and "Possession of weapons" has no rows.

Matching ignores case and runs of whitespace (``" violent  CRIME "`` matches "Violent
crime"). A name not in the table is *unknown*: :func:`harmonise_category` returns a missing
value for it (or raises, with ``errors="raise"``), and the police.uk reader counts such rows
as rejected with reason ``unknown_category``.
"""

from __future__ import annotations

import functools
import io
from importlib import resources

import pandas as pd

from csplib.core.errors import DataError
from csplib.core.schema import POLICE_UK_CATEGORIES

__all__ = ["category_table", "category_mapping", "normalise_name", "harmonise_category"]

_TABLE_COLUMNS = ("name", "category", "first_month", "last_month", "note")


def normalise_name(name: str) -> str:
    """The key a crime type name is matched on: case-folded, whitespace collapsed.

    Examples
    --------
    >>> normalise_name("  Violent   CRIME ")
    'violent crime'
    """
    return " ".join(str(name).split()).casefold()


@functools.cache
def _table_text() -> str:
    return resources.files("csplib.ingest").joinpath("categories.csv").read_text("utf-8")


def category_table() -> pd.DataFrame:
    """The harmonisation table: police.uk names, current category, months used, notes.

    Returns
    -------
    pandas.DataFrame
        Columns ``name`` (as found in the files), ``category`` (one of
        :data:`csplib.core.schema.POLICE_UK_CATEGORIES`), ``first_month`` and ``last_month``
        (``YYYY-MM``; ``last_month`` missing while still in use) and ``note``.

    Examples
    --------
    >>> table = category_table()
    >>> table.set_index("name").loc["Public disorder and weapons", "category"]
    'Public order'
    >>> sorted(set(table["category"])) == sorted(POLICE_UK_CATEGORIES)
    True
    """
    table = pd.read_csv(io.StringIO(_table_text()), dtype=str, keep_default_na=False)
    if tuple(table.columns) != _TABLE_COLUMNS:  # pragma: no cover - guards the shipped file
        raise DataError(f"expected columns {_TABLE_COLUMNS}, found {tuple(table.columns)}")
    return table.replace({"": None})


@functools.cache
def category_mapping() -> dict[str, str]:
    """``{normalised name: current category}`` for every name in the table.

    Examples
    --------
    >>> category_mapping()["violent crime"]
    'Violence and sexual offences'
    """
    table = category_table()
    bad = sorted(set(table["category"]) - set(POLICE_UK_CATEGORIES))
    if bad:  # pragma: no cover - guards the shipped file
        raise DataError(f"categories.csv maps to unknown categories {bad}")
    return {normalise_name(n): c for n, c in zip(table["name"], table["category"], strict=True)}


def harmonise_category(names: pd.Series, *, errors: str = "missing") -> pd.Series:
    """Map police.uk crime type names to the current categories.

    Parameters
    ----------
    names : pandas.Series
        Crime type names as found in the files (any case and spacing).
    errors : {"missing", "raise"}
        What to do with a name not in the table: return a missing value, or raise
        :class:`~csplib.core.errors.DataError` listing the unknown names.

    Returns
    -------
    pandas.Series
        Categorical with the categories :data:`~csplib.core.schema.POLICE_UK_CATEGORIES`, the
        index of ``names`` and the name ``"category"``.

    Examples
    --------
    >>> s = pd.Series(["Violent crime", "public disorder and weapons", "Bicycle theft", "x"])
    >>> harmonise_category(s).tolist()
    ['Violence and sexual offences', 'Public order', 'Bicycle theft', nan]
    """
    if errors not in ("missing", "raise"):
        raise ValueError(f"errors must be 'missing' or 'raise', not {errors!r}")
    mapping = category_mapping()
    uniques = pd.unique(names.dropna())
    lookup = {u: mapping.get(normalise_name(u)) for u in uniques}
    unknown = sorted(str(u) for u, c in lookup.items() if c is None)
    if unknown and errors == "raise":
        raise DataError(
            f"unknown police.uk crime type(s) {unknown}; expected one of the names in "
            "csplib/ingest/categories.csv"
        )
    mapped = names.map(lookup)
    return pd.Series(
        pd.Categorical(mapped, categories=list(POLICE_UK_CATEGORIES)),
        index=names.index,
        name="category",
    )
