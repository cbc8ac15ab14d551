"""LSOA vintage of a police.uk file, from the ONS 2011 <-> 2021 LSOA lookup.

police.uk files use 2011 LSOA codes up to December 2023 and 2021 codes from January 2024.
Each file's distinct LSOA codes are matched against the 2011 and 2021 code lists of the ONS
lookup ``lookup_lsoa11_lsoa21_ltla22.csv.gz`` (:func:`default_lookup_path`). Most codes are
in both (unchanged LSOAs); the vintage is decided by the codes found in only one list
(:func:`file_vintage`):

* codes only among 2011 LSOAs: vintage 2011, ``vintage_basis = "codes"``;
* codes only among 2021 LSOAs: vintage 2021, ``vintage_basis = "codes"``;
* neither kind (only unchanged codes, or no codes): the vintage of the file's month, with
  ``vintage_basis = "month"``; for such a file the two vintages coincide anyway;
* both kinds: :class:`~csplib.core.errors.DataError`. Real police.uk files use one vintage
  each, so a mix means the file was assembled from different releases, and converting it
  row by row would hide that. Different files of one read may use different vintages.

Codes in neither list are kept as they are and counted (``unknown_codes``) for the
geography step.

The lookup is read once per process and file version (:func:`load_lookup`) as a
:class:`Lookup`, which matches codes by their polars categorical ids.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.errors import DataError
from csplib.core.provenance import blake3_hex
from csplib.ingest.policeuk_sources import SourceFile

__all__ = ["Lookup", "default_lookup_path", "file_vintage", "load_lookup", "lsoa_code_lists"]

#: The first month police.uk published with 2021 LSOA codes.
_FIRST_2021_MONTH = dt.date(2024, 1, 1)


def default_lookup_path() -> Path:
    """The ONS LSOA 2011 <-> 2021 lookup shipped in the repository's ``data`` folder.

    Examples
    --------
    >>> default_lookup_path().name
    'lookup_lsoa11_lsoa21_ltla22.csv.gz'
    """
    repo = Path(__file__).resolve().parents[2]
    return repo / "data" / "reference" / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz"


@dataclass(frozen=True, eq=False)
class Lookup:
    """The ONS LSOA code lists, and each code's vintage by polars categorical id.

    ``codes`` holds every code as a polars ``Categorical``. Besides giving the ids that
    ``vintage`` is indexed by, it keeps polars' global category mapping alive for as long
    as the lookup is: polars frees the mapping, and starts numbering again from 0, once no
    categorical data refers to it. A read holds its lookup from start to end, so the
    categorical ids of its files (:func:`csplib.ingest.policeuk_parts.tally`) and of the
    lookup stay comparable. As lookups are cached for the process, the mapping then lives
    as long as the process: the categories any code creates are kept (a few hundred
    thousand strings at most here).

    Attributes
    ----------
    lsoa11, lsoa21 : frozenset
        The 2011 and the 2021 codes.
    digest : str
        BLAKE3 digest of the lookup file's bytes (part of every cache key).
    codes : polars.Series
        Every code, categorical.
    vintage : numpy.ndarray
        By categorical id: 1 = a 2011 code, 2 = a 2021 code, 3 = both, 0 = neither.
    """

    lsoa11: frozenset
    lsoa21: frozenset
    digest: str
    codes: pl.Series
    vintage: np.ndarray  # by categorical id: 1 = a 2011 code, 2 = a 2021 code, 3 = both

    def flags(self, codes: pl.Series) -> np.ndarray:
        """The ``vintage`` flags of categorical ``codes`` (0 for codes in neither list)."""
        ids = codes.to_physical().to_numpy()
        out = np.zeros(len(ids), dtype=np.uint8)
        known = ids < len(self.vintage)
        out[known] = self.vintage[ids[known]]
        return out


@functools.lru_cache(maxsize=4)
def _read_lookup(path: str, size: int, mtime: int) -> Lookup:
    raw = Path(path).read_bytes()
    digest = blake3_hex(raw)
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        table = pl.read_csv(raw, infer_schema=False, columns=["lsoa11_code", "lsoa21_code"])
    except (OSError, EOFError, zlib.error, pl.exceptions.PolarsError, ValueError) as exc:
        raise DataError(
            f"expected an LSOA lookup CSV with columns lsoa11_code and lsoa21_code ({exc})",
            path=path,
        ) from None
    lsoa11 = table["lsoa11_code"].drop_nulls().str.strip_chars().unique()
    lsoa21 = table["lsoa21_code"].drop_nulls().str.strip_chars().unique()
    codes = pl.concat([lsoa11, lsoa21]).unique().sort().cast(pl.Categorical)
    ids = codes.to_physical().to_numpy()
    vintage = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=np.uint8)
    vintage[ids[codes.cast(pl.String).is_in(lsoa11.implode()).to_numpy()]] |= 1
    vintage[ids[codes.cast(pl.String).is_in(lsoa21.implode()).to_numpy()]] |= 2
    return Lookup(frozenset(lsoa11.to_list()), frozenset(lsoa21.to_list()), digest, codes, vintage)


def load_lookup(lookup: str | os.PathLike | None) -> Lookup:
    """The lookup at ``lookup`` (default :func:`default_lookup_path`), read once per process.

    A changed file (size or modification time) is read again.

    Raises
    ------
    csplib.core.errors.DataError
        When the file does not exist or is not a CSV with ``lsoa11_code`` and
        ``lsoa21_code`` columns.
    """
    path = Path(lookup) if lookup is not None else default_lookup_path()
    try:
        st = path.stat()
    except OSError:
        raise DataError(
            "LSOA lookup not found; expected the ONS lookup_lsoa11_lsoa21_ltla22.csv.gz "
            "(pass lookup=)",
            path=path,
        ) from None
    return _read_lookup(str(path.resolve()), st.st_size, st.st_mtime_ns)


def lsoa_code_lists(lookup: str | os.PathLike | None = None) -> tuple[frozenset, frozenset]:
    """The sets of 2011 and 2021 LSOA codes in the ONS lookup.

    Parameters
    ----------
    lookup : path, optional
        A CSV (optionally gzipped) with columns ``lsoa11_code`` and ``lsoa21_code``;
        default :func:`default_lookup_path`.

    Returns
    -------
    tuple of frozenset
        ``(lsoa11_codes, lsoa21_codes)``.

    Examples
    --------
    >>> lsoa11, lsoa21 = lsoa_code_lists()
    >>> len(lsoa11), len(lsoa21)
    (34753, 35672)
    >>> "E01013810" in lsoa11, "E01013810" in lsoa21   # unchanged: in both
    (True, True)
    """
    found = load_lookup(lookup)
    return found.lsoa11, found.lsoa21


def file_vintage(codes: pl.Series, lookup: Lookup, entry: SourceFile) -> dict:
    """Decide a file's LSOA vintage from its distinct codes (see the module docstring).

    Parameters
    ----------
    codes : polars.Series
        The file's distinct LSOA codes (text or categorical).
    lookup : Lookup
        The code lists.
    entry : SourceFile
        The file: its month decides when the codes do not, its name is in the error.

    Returns
    -------
    dict
        ``lsoa_vintage``, ``vintage_basis``, ``lsoa_codes`` (distinct), ``only_2011``,
        ``only_2021`` and ``unknown_codes``: columns of the read's files table.

    Raises
    ------
    csplib.core.errors.DataError
        When the file has codes found only among 2011 LSOAs and codes found only among
        2021 LSOAs.
    """
    codes = codes.cast(pl.Categorical)
    flags = lookup.flags(codes)
    only11 = codes.filter(pl.Series(flags == 1)).cast(pl.String).to_list()
    only21 = codes.filter(pl.Series(flags == 2)).cast(pl.String).to_list()
    unknown = int((flags == 0).sum())
    if only11 and only21:
        raise DataError(
            f"LSOA codes of both vintages in one file: {len(only11)} codes exist only among "
            f"2011 LSOAs (e.g. {', '.join(sorted(only11)[:3])}) and {len(only21)} only "
            f"among 2021 LSOAs (e.g. {', '.join(sorted(only21)[:3])}). police.uk files "
            "use one vintage each; was this file assembled from different releases?",
            path=entry.source_file,
        )
    if only11:
        vintage, basis = "2011", "codes"
    elif only21:
        vintage, basis = "2021", "codes"
    else:
        vintage = "2021" if entry.month >= _FIRST_2021_MONTH else "2011"
        basis = "month"
    return {
        "lsoa_vintage": vintage,
        "vintage_basis": basis,
        "lsoa_codes": len(codes),
        "only_2011": len(only11),
        "only_2021": len(only21),
        "unknown_codes": unknown,
    }
