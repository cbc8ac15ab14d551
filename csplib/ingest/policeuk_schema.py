"""The police.uk reader's tables: their columns and types, and the version of its rules.

:func:`csplib.ingest.read_policeuk` returns, and caches as parquet, four tables whose polars
schemas are defined here: the incidents (:data:`INCIDENT_SCHEMA`), the rejected rows
(:data:`REJECTED_SCHEMA`, built by :func:`raw_rejected`), the latest outcome per Crime ID
(:data:`OUTCOMES_SCHEMA`) and the monthly LSOA x category counts (:data:`COUNTS_SCHEMA`);
and a files table, one row per file, whose columns are :data:`FILES_COLUMNS`.
The police.uk file columns (:data:`OUTCOME_COLUMNS`, and :data:`STREET_COLUMNS` from
:mod:`csplib.core.schema`), the rejection reasons in the order they are checked
(:data:`REJECTION_REASONS`) and the version of the parsing rules that every cache key
includes (:data:`CACHE_VERSION`) are here too.

Examples
--------
>>> REJECTION_REASONS[0], len(OUTCOME_COLUMNS), CACHE_VERSION
('malformed', 10, 'policeuk-2')
>>> empty(COUNTS_SCHEMA).columns
['month', 'category', 'lsoa', 'count']
"""

from __future__ import annotations

import polars as pl

from csplib.core.schema import POLICE_UK_CATEGORIES, STREET_COLUMNS

__all__ = [
    "VINTAGE_FACTS",
    "STREET_COLUMNS",
    "OUTCOME_COLUMNS",
    "REJECTION_REASONS",
    "CACHE_VERSION",
    "FILES_COLUMNS",
    "VINTAGES",
    "CATEGORY_DTYPE",
    "INCIDENT_SCHEMA",
    "COUNTS_SCHEMA",
    "OUTCOMES_SCHEMA",
    "RAW_COLUMNS",
    "REJECTED_SCHEMA",
    "empty",
    "raw_rejected",
]

#: The 10 columns of a police.uk outcomes file, in order.
OUTCOME_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Outcome type",
)
#: Rejection reasons of street rows, in the order they are checked.
REJECTION_REASONS: tuple[str, ...] = (
    "malformed",
    "month_outside_file",
    "unknown_category",
    "no_lsoa",
    "duplicate_crime_id",
)
#: Each rejection reason as a sentence says it.
REJECTION_WORDS: dict[str, str] = {
    "malformed": "malformed",
    "month_outside_file": "month not the file's",
    "unknown_category": "unknown category",
    "no_lsoa": "no LSOA",
    "duplicate_crime_id": "crime ID repeated",
}

#: Version of the parsing rules and cached schema; part of the cache key.
CACHE_VERSION = "policeuk-2"

#: What a file's LSOA vintage was decided from (:mod:`csplib.ingest.policeuk_vintage`): facts
#: of each file, kept in the per-file cache and in the files table.
VINTAGE_FACTS: tuple[str, ...] = (
    "lsoa_vintage",
    "vintage_basis",
    "lsoa_codes",
    "only_2011",
    "only_2021",
    "unknown_codes",
)

#: The columns of a read's files table, one row per file (:class:`csplib.ingest.PoliceUkRead`).
FILES_COLUMNS: tuple[str, ...] = (
    "source_file",
    "container",
    "member",
    "kind",
    "month",
    "force",
    "rows_read",
    "rows_kept",
    "rows_rejected",
    "crime_id_repeats",
    "blake3",
    "bytes",
    *VINTAGE_FACTS,
)

#: The LSOA vintages a file can use (:mod:`csplib.ingest.policeuk_vintage`).
VINTAGES: tuple[str, ...] = ("2011", "2021")

#: The harmonised police.uk category, as a polars enum in the order of the schema.
CATEGORY_DTYPE = pl.Enum(list(POLICE_UK_CATEGORIES))

#: The incidents (the kept street rows), as cached and as
#: :meth:`csplib.ingest.PoliceUkRead.lazy` gives.
INCIDENT_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Datetime("us"),
    "category": CATEGORY_DTYPE,
    "lsoa": pl.Categorical(),
    "lsoa_vintage": pl.Enum(list(VINTAGES)),
    "crime_id": pl.String(),
    "outcome": pl.Categorical(),
    "longitude": pl.Float64(),
    "latitude": pl.Float64(),
    "location": pl.String(),
    "falls_within": pl.Categorical(),
    "force": pl.Categorical(),
    "source_file": pl.Categorical(),
    "source_row": pl.UInt32(),
}
#: The kept street rows counted by month, category and LSOA.
COUNTS_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Datetime("us"),
    "category": CATEGORY_DTYPE,
    "lsoa": pl.String(),
    "count": pl.Int64(),
}
#: The latest outcome per Crime ID, from outcomes files.
OUTCOMES_SCHEMA: dict[str, pl.DataType] = {
    "crime_id": pl.String(),
    "month": pl.Datetime("us"),
    "outcome": pl.String(),
    "lsoa": pl.String(),
    "falls_within": pl.String(),
    "source_file": pl.String(),
    "source_row": pl.UInt32(),
    "n_outcomes": pl.UInt32(),
}
#: The raw fields a rejected row keeps: the street columns and the outcomes' own column.
RAW_COLUMNS: tuple[str, ...] = (*STREET_COLUMNS, "Outcome type")
#: The rejected rows, street and outcomes, with their reason and the raw fields.
REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String(),
    "kind": pl.String(),
    "row": pl.UInt32(),
    "reason": pl.String(),
    "detail": pl.String(),
    **{c: pl.String() for c in RAW_COLUMNS},
}


def empty(schema: dict) -> pl.DataFrame:
    """An empty frame with the columns and types of ``schema``.

    Parameters
    ----------
    schema : dict
        Column name to polars type, e.g. :data:`COUNTS_SCHEMA`.

    Returns
    -------
    polars.DataFrame
        No rows.
    """
    return pl.DataFrame(schema=schema)


def raw_rejected(frame: pl.DataFrame, source: str, kind: str) -> pl.DataFrame:
    """Rejected rows in the column order of :data:`REJECTED_SCHEMA`.

    Parameters
    ----------
    frame : polars.DataFrame
        Rows of one file with ``row``, ``reason``, ``detail`` and the file's raw columns;
        a column of :data:`RAW_COLUMNS` the file does not have is left blank.
    source : str
        The file's name as shown (``source_file``).
    kind : str
        ``"street"`` or ``"outcomes"``.

    Returns
    -------
    polars.DataFrame
        The rejected rows (not yet cast to :data:`REJECTED_SCHEMA`).
    """
    cols = [
        pl.lit(source).alias("source_file"),
        pl.lit(kind).alias("kind"),
        pl.col("row").cast(pl.UInt32),
        pl.col("reason").cast(pl.String),
        pl.col("detail").cast(pl.String),
    ]
    cols += [
        (pl.col(c) if c in frame.columns else pl.lit(None, dtype=pl.String)).alias(c)
        for c in RAW_COLUMNS
    ]
    return frame.select(cols)
