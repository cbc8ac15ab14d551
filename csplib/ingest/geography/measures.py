"""Population and deprivation by LSOA, in either vintage.

Population: ONS mid-year estimates, shipped by LSOA11 (2017, 2019, 2020). The nearest
available year to the one asked for is used (ties go to the later year) and recorded.
Conversion to the other vintage uses the ONS lookup: where several source LSOAs became
one target LSOA their populations are **summed**; where one source LSOA became several
target LSOAs its population is shared **equally** among them (the reference data hold no
counts for the pieces to weight by). Every person is counted once, so totals over whole
areas are preserved.

Deprivation: English Indices of Deprivation, IMD2019 for 2011 codes and IoD2025 for 2021
codes (decile 1 = the most deprived 10% of LSOAs in England). Deciles are not converted
between vintages: each vintage uses the edition published for it. The English indices do
not cover Wales and the Welsh Index of Multiple Deprivation (WIMD) is not shipped: a Welsh
LSOA (``W01...``) is listed with no decile, and ``attrs["note"]`` says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from csplib.core.errors import DataError, ParamsError
from csplib.ingest.geography.reference import (
    DEPRIVATION_FILES,
    population_files,
    read_reference_csv,
)
from csplib.ingest.geography.vintage import _check_vintage

__all__ = ["apportion", "lsoa_population", "lsoa_deprivation", "deprivation_note"]


def apportion(values: pd.Series, lookup: pd.DataFrame, source: str, target: str) -> pd.Series:
    """Move values by LSOA from one vintage to the other (sum merges, share splits equally).

    Parameters
    ----------
    values : pandas.Series
        Values indexed by source-vintage LSOA code.
    lookup : pandas.DataFrame
        Columns ``lsoa11`` and ``lsoa21``, one row per pair.
    source, target : {"2011", "2021"}
        Vintages of ``values`` and of the result.

    Returns
    -------
    pandas.Series
        Values indexed by target-vintage code (codes with no source value are missing).

    Examples
    --------
    >>> lookup = pd.DataFrame({"lsoa11": ["A", "B", "C", "C"], "lsoa21": ["M", "M", "S1", "S2"]})
    >>> apportion(pd.Series({"A": 10.0, "B": 5.0, "C": 8.0}), lookup, "2011", "2021").to_dict()
    {'M': 15.0, 'S1': 4.0, 'S2': 4.0}
    """
    src, tgt = f"lsoa{_check_vintage(source)[2:]}", f"lsoa{_check_vintage(target)[2:]}"
    pairs = lookup[[src, tgt]].drop_duplicates()
    share = 1.0 / pairs.groupby(src)[tgt].transform("size")
    amount = pairs[src].map(values).astype(float) * share
    return amount.groupby(pairs[tgt].to_numpy()).sum(min_count=1)


def lsoa_population(
    reference_dir: str | Path,
    codes,
    *,
    year: int,
    vintage: str,
    lookup: pd.DataFrame,
    area: str = "the area",
) -> pd.DataFrame:
    """Population of the given LSOAs (in ``vintage``) from the nearest year available.

    Parameters
    ----------
    reference_dir : str or path-like
        Holds ``population/population<YY>_lsoa<11|21>.csv[.gz]`` files with columns
        ``lsoa11_code`` (or ``lsoa21_code``) and ``total_population``.
    codes : sequence of str
        LSOA codes wanted, in ``vintage``.
    year : int
        Wanted year.
    vintage : {"2011", "2021"}
    lookup : pandas.DataFrame
        LSOA11/LSOA21 lookup (``lsoa11``, ``lsoa21``) for the conversion.
    area : str
        Name used in error messages.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa``; columns ``population`` (float) and ``year`` (the year used).
        ``attrs``: ``year``, ``requested_year``, ``source`` (file name), ``method``.

    Raises
    ------
    DataError
        No population file, a non-numeric count, or an LSOA without a population.
    """
    vintage = _check_vintage(vintage)
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ParamsError(
            f"population year must be a whole year such as 2019, got {year!r}"
        ) from None
    files = population_files(reference_dir)
    if files.empty:
        raise DataError(
            "no population files (population<YY>_lsoa11.csv.gz) found",
            path=Path(reference_dir) / "population",
        )
    files = files.assign(
        dist=(files["year"] - year).abs(), other=(files["vintage"] != vintage)
    ).sort_values(["dist", "year", "other"], ascending=[True, False, True])
    chosen = files.iloc[0]
    used, src_vintage, path = int(chosen["year"]), chosen["vintage"], chosen["path"]
    raw = read_reference_csv(
        path, {f"lsoa{src_vintage[2:]}_code": "lsoa", "total_population": "population"}
    )
    values = pd.to_numeric(raw["population"].str.replace(",", ""), errors="coerce")
    if values.isna().any():
        bad = raw.loc[values.isna(), "lsoa"].iloc[0]
        raise DataError(f"non-numeric total_population for LSOA {bad}", path=path)
    pop = pd.Series(values.to_numpy(dtype=float), index=raw["lsoa"].to_numpy())
    method = "as published"
    if src_vintage != vintage:
        pop = apportion(pop, lookup, src_vintage, vintage)
        method = (
            f"LSOA{src_vintage[2:]} -> LSOA{vintage[2:]} with the ONS lookup: "
            "merged LSOAs summed, split LSOAs shared equally among their pieces"
        )
    index = pd.Index(list(codes), name="lsoa")
    missing = index.difference(pop.index)
    if len(missing):
        raise DataError(
            f"no population for {len(missing)} LSOA(s) of {area}, e.g. {missing[0]}", path=path
        )
    out = pd.DataFrame({"population": pop.reindex(index).to_numpy(), "year": used}, index=index)
    out.attrs.update(
        {"year": used, "requested_year": year, "source": Path(path).name, "method": method}
    )
    return out


def deprivation_note(edition: str, missing: int, total: int, area: str = "the area") -> str:
    """The sentence saying that ``missing`` of ``total`` LSOAs (in Wales) have no decile.

    Examples
    --------
    >>> print(deprivation_note("IoD2025", 2, 2, "Cardiff"))  # doctest: +NORMALIZE_WHITESPACE
    The English Indices of Deprivation (IoD2025) cover England only: all 2 LSOAs of Cardiff
    are in Wales and have no deprivation decile (the Welsh Index of Multiple Deprivation is
    not shipped with the reference data).
    """
    which = f"all {total} LSOAs" if missing == total else f"{missing} of the {total} LSOAs"
    verb = "is" if missing == 1 and missing != total else "are"
    return (
        f"The English Indices of Deprivation ({edition}) cover England only: {which} of "
        f"{area} {verb} in Wales and have no deprivation decile (the Welsh Index of Multiple "
        "Deprivation is not shipped with the reference data)."
    )


def lsoa_deprivation(
    reference_dir: str | Path, codes, *, vintage: str, area: str = "the area"
) -> pd.DataFrame:
    """IMD decile, rank and score of the given LSOAs, with the edition used.

    Parameters
    ----------
    reference_dir : str or path-like
        Holds the files of :data:`~csplib.ingest.geography.reference.DEPRIVATION_FILES`
        (columns ``lsoa11_code``/``lsoa21_code``, ``IMD_decile``, ``IMD_rank`` and
        optionally ``IMD_score``).
    codes : sequence of str
        LSOA codes, in ``vintage``.
    vintage : {"2011", "2021"}
        2011 uses IMD2019, 2021 uses IoD2025.
    area : str
        Name used in messages.

    Returns
    -------
    pandas.DataFrame
        Index ``lsoa``; columns ``imd_decile`` and ``imd_rank`` (nullable ``Int64``),
        ``imd_score`` (float, missing where the edition has no score) and ``edition``.
        The English indices cover England only: a Welsh LSOA (``W01...``) has missing
        values (edition too), and ``attrs["note"]`` says how many and why (no note when
        every LSOA has a decile). ``attrs["edition"]`` is the edition, None when no LSOA
        has one.

    Raises
    ------
    DataError
        An English LSOA missing from the file, or a non-numeric decile or rank.

    Examples
    --------
    >>> d = lsoa_deprivation("data/reference", ["E01033404", "E01000001"], vintage="2011")
    >>> d[["imd_decile", "edition"]].values.tolist()
    [[4, 'IMD2019'], [9, 'IMD2019']]
    >>> w = lsoa_deprivation("data/reference", ["E01033404", "W01001897"], vintage="2011")
    >>> w["imd_decile"].isna().tolist(), w.attrs["note"][:45]
    ([False, True], 'The English Indices of Deprivation (IMD2019) ')
    """
    vintage = _check_vintage(vintage)
    rel, edition = DEPRIVATION_FILES[vintage]
    path = Path(reference_dir) / rel
    cols = {f"lsoa{vintage[2:]}_code": "lsoa", "IMD_decile": "imd_decile", "IMD_rank": "imd_rank"}
    header = pd.read_csv(path, nrows=0).columns if path.exists() else []
    if "IMD_score" in header:
        raw = read_reference_csv(path, {**cols, "IMD_score": "imd_score"})
    else:
        raw = read_reference_csv(path, cols).assign(imd_score="")
    raw = raw.drop_duplicates("lsoa").set_index("lsoa")
    index = pd.Index(list(codes), name="lsoa")
    missing = index.difference(raw.index)
    english = missing[~missing.str.startswith("W")]
    if len(english):
        raise DataError(
            f"no {edition} row for {len(english)} LSOA(s) of {area}, e.g. {english[0]} "
            "(the English indices cover every LSOA in England)",
            path=path,
        )
    sub = raw.reindex(index)
    out = pd.DataFrame(index=index)
    covered = ~index.isin(missing)
    for col in ("imd_decile", "imd_rank"):
        num = pd.to_numeric(sub[col], errors="coerce")
        if num[covered].isna().any():
            bad = num[covered].index[num[covered].isna()][0]
            raise DataError(f"non-numeric {col} for LSOA {bad}", path=path)
        out[col] = num.astype("Int64")
    out["imd_score"] = pd.to_numeric(sub["imd_score"].replace("", np.nan), errors="coerce")
    out["edition"] = pd.Series(np.where(covered, edition, None), index=index, dtype="str")
    out.attrs["edition"] = edition if covered.any() else None
    if len(missing):
        out.attrs["note"] = deprivation_note(edition, len(missing), len(index), area)
    return out
