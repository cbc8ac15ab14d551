"""National LSOA tables built from the ONS lookups: LSOA -> ward -> local authority.

``lookup_lsoa21_ward24_ltla24`` gives every LSOA21 one 2024 ward and local authority.
An LSOA11 takes the ward and authority of its LSOA21 piece(s), found through
``lookup_lsoa11_lsoa21_ltla22``; when the pieces of a split LSOA11 lie in different
wards (193 of England and Wales's LSOA11s, none in Nottingham), the ward holding most
pieces is used, ties going to the lowest ward code.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from csplib.core.errors import DataError
from csplib.ingest.geography.reference import REFERENCE_FILES, read_reference_csv

__all__ = ["TABLE_COLUMNS", "lsoa21_table", "lsoa_lookup", "lsoa11_table", "la_csp_table"]

#: Columns of an LSOA table (indexed by ``lsoa``).
TABLE_COLUMNS: list[str] = ["lsoa_name", "ward", "ward_name", "la", "la_name"]


def lsoa21_table(reference_dir: str | Path) -> pd.DataFrame:
    """Every LSOA21 with its 2024 ward and local authority.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa``; columns :data:`TABLE_COLUMNS`.

    Examples
    --------
    >>> lsoa21_table("data/reference").loc["E01013810", ["ward_name", "la"]].tolist()
    ['Hyson Green & Arboretum', 'E06000018']
    """
    path = Path(reference_dir) / REFERENCE_FILES["lsoa21_ward"]
    table = read_reference_csv(
        path,
        {
            "lsoa21_code": "lsoa",
            "lsoa21_name": "lsoa_name",
            "ward24_code": "ward",
            "ward24_name": "ward_name",
            "ltla24_code": "la",
            "ltla24_name": "la_name",
        },
    )
    if table["lsoa"].duplicated().any():
        dup = table.loc[table["lsoa"].duplicated(), "lsoa"].iloc[0]
        raise DataError(f"LSOA {dup} appears twice; expected one ward per LSOA", path=path)
    return table.set_index("lsoa")


def lsoa_lookup(reference_dir: str | Path) -> pd.DataFrame:
    """The LSOA11 <-> LSOA21 lookup: ``lsoa11``, ``lsoa11_name``, ``lsoa21``, ``change``.

    ``change`` is the ONS change code: U unchanged, M merged, S split, X irregular.

    Examples
    --------
    >>> lk = lsoa_lookup("data/reference")
    >>> sorted(lk.loc[lk["lsoa11"] == "E01033404", "lsoa21"])
    ['E01035501', 'E01035502']
    """
    path = Path(reference_dir) / REFERENCE_FILES["lsoa11_lsoa21"]
    lookup = read_reference_csv(
        path,
        {
            "lsoa11_code": "lsoa11",
            "lsoa11_name": "lsoa11_name",
            "lsoa21_code": "lsoa21",
            "change_code": "change",
        },
    )
    bad = sorted(set(lookup["change"]) - {"U", "M", "S", "X"})
    if bad:
        raise DataError(f"unknown change code(s) {bad}; expected U, M, S or X", path=path)
    return lookup


def lsoa11_table(lookup: pd.DataFrame, table21: pd.DataFrame) -> pd.DataFrame:
    """Every LSOA11 with the ward and local authority of its LSOA21 piece(s).

    Parameters
    ----------
    lookup : pandas.DataFrame
        From :func:`lsoa_lookup`.
    table21 : pandas.DataFrame
        From :func:`lsoa21_table`.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa``; columns :data:`TABLE_COLUMNS` (rule for split LSOAs in the module
        docstring).

    Examples
    --------
    >>> t = lsoa11_table(lsoa_lookup("data/reference"), lsoa21_table("data/reference"))
    >>> t.loc["E01033404", ["ward_name", "la"]].tolist()
    ['Radford', 'E06000018']
    """
    pairs = lookup[["lsoa11", "lsoa11_name", "lsoa21"]].drop_duplicates(["lsoa11", "lsoa21"])
    pairs = pairs.join(table21[["ward", "ward_name", "la", "la_name"]], on="lsoa21")
    pairs = pairs.dropna(subset=["ward"])
    votes = pairs.groupby(["lsoa11", "ward"], as_index=False).agg(
        pieces=("lsoa21", "size"),
        lsoa_name=("lsoa11_name", "first"),
        ward_name=("ward_name", "first"),
        la=("la", "first"),
        la_name=("la_name", "first"),
    )
    votes = votes.sort_values(["lsoa11", "pieces", "ward"], ascending=[True, False, True])
    best = votes.drop_duplicates("lsoa11").rename(columns={"lsoa11": "lsoa"})
    return best.set_index("lsoa")[TABLE_COLUMNS]


def la_csp_table(reference_dir: str | Path) -> pd.DataFrame:
    """Local authority (2024) -> Community Safety Partnership -> police force area.

    Columns ``la``, ``la_name``, ``csp``, ``csp_name``, ``pfa``, ``pfa_name``; one row per
    (authority, CSP) pair: an authority formed by a merger can hold several legacy CSPs.

    Examples
    --------
    >>> t = la_csp_table("data/reference")
    >>> t.loc[t["la"] == "E06000018", ["csp", "csp_name"]].values.tolist()
    [['E22000257', 'Nottingham']]
    """
    return read_reference_csv(
        Path(reference_dir) / REFERENCE_FILES["la_csp"],
        {
            "ltla24_code": "la",
            "ltla24_name": "la_name",
            "csp24_code": "csp",
            "csp24_name": "csp_name",
            "pfa24_code": "pfa",
            "pfa24_name": "pfa_name",
        },
    )
