"""Check the rows of one police.uk file: each is kept, or rejected with exactly one reason.

:func:`process_street` and :func:`process_outcomes` parse one file (every column as text;
see :mod:`csplib.ingest._csvparse`), then cast and check every row, so a bad value becomes
a counted rejection, never an exception. A street row is rejected for the first reason that
applies, in the order of :data:`~csplib.ingest.policeuk_schema.REJECTION_REASONS`:

``malformed``
    the row does not have exactly 12 fields (a blank line counts as a row with one empty
    field), or ``Month`` is not ``YYYY-MM``, or ``Longitude``/``Latitude`` is not blank and
    not a finite number (in [-180, 180] and [-90, 90]).
``month_outside_file``
    ``Month`` is a valid month other than the month in the file name.
``unknown_category``
    ``Crime type`` is blank or not in the harmonisation table
    (:mod:`csplib.ingest.categories`).
``no_lsoa``
    ``LSOA code`` is blank.
``duplicate_crime_id``
    an earlier row of the file that passed every check above has the same Crime ID
    (:mod:`csplib.ingest.policeuk_duplicates`; repeats across files are removed later).

Outcomes rows are checked the same way, with reasons ``malformed``, ``month_outside_file``
and ``no_crime_id``.

Every row gets only the cheap checks (a boolean per rule, :class:`_Checks`); reasons and
details are worked out for the rows that fail. The result of one file, a
:class:`FileResult`, holds its kept rows, its rejected rows (with the raw fields), its facts
for the files table (rows read, kept and rejected, LSOA vintage from
:func:`~csplib.ingest.policeuk_vintage.file_vintage`) and, for street files, the category x
LSOA tally and the Crime ID hashes that the steps spanning files use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from csplib.ingest._csvparse import parse_file
from csplib.ingest.categories import category_mapping, normalise_name
from csplib.ingest.policeuk_duplicates import (
    crime_id_hash,
    crime_id_hashes,
    describe_repeats_in_file,
    repeat_candidate,
    repeats_in_file,
)
from csplib.ingest.policeuk_parts import tally
from csplib.ingest.policeuk_schema import (
    CATEGORY_DTYPE,
    INCIDENT_SCHEMA,
    OUTCOME_COLUMNS,
    STREET_COLUMNS,
    raw_rejected,
)
from csplib.ingest.policeuk_sources import SourceFile
from csplib.ingest.policeuk_vintage import Lookup, file_vintage

__all__ = ["FileResult", "process_street", "process_outcomes"]


@dataclass
class FileResult:
    """What one file gives on its own, before the steps that span files.

    Attributes
    ----------
    kept : polars.DataFrame or None
        The kept rows (street: :data:`~csplib.ingest.policeuk_schema.INCIDENT_SCHEMA`;
        outcomes: one row per outcome). None when the kept rows are in ``part``.
    rejected : polars.DataFrame
        The rejected rows with their reason, detail and raw fields.
    info : dict
        The file's facts: ``rows_read``, ``rows_kept``, ``rows_rejected``,
        ``crime_id_repeats`` and the vintage facts of
        :func:`~csplib.ingest.policeuk_vintage.file_vintage`.
    tally : tuple or None
        Street files: kept rows by category and LSOA
        (:func:`~csplib.ingest.policeuk_parts.tally`).
    hashes : tuple or None
        Street files: 64-bit hashes and rows of the kept Crime IDs
        (:func:`~csplib.ingest.policeuk_duplicates.crime_id_hashes`).
    part : pathlib.Path or None
        Street files, with a file cache: the kept rows' parquet in the cache.
    stored : bool
        Whether the result is in the file cache.
    """

    kept: pl.DataFrame | None
    rejected: pl.DataFrame
    info: dict
    tally: tuple | None = None
    hashes: tuple | None = None
    part: Path | None = None
    stored: bool = False


@dataclass(frozen=True)
class _Checks:
    """Row-check expressions of one file (see the module docstring for the rules).

    ``sound`` is the cheap test every row gets: the right number of fields, the file's own
    month and valid coordinates. ``malformed`` and ``detail`` tell the failures apart and
    are only evaluated on the few rows that are not sound. The reason of a row depends on
    ``sound == ~malformed & month_ok``: a row that is not sound is malformed or, if not,
    outside the file's month.
    """

    month_ok: pl.Expr
    sound: pl.Expr
    malformed: pl.Expr
    detail: pl.Expr


def _row_checks(file_month: str, ncols: int, n_fields) -> _Checks:
    month_ok = (pl.col("Month") == file_month).fill_null(False)
    month_valid = pl.col("Month").str.contains(r"^\d{4}-(0[1-9]|1[0-2])$").fill_null(False)
    bad_lon = pl.col("Longitude").is_not_null() & (
        pl.col("longitude").is_null()
        | ~pl.col("longitude").is_finite()
        | (pl.col("longitude").abs() > 180)
    )
    bad_lat = pl.col("Latitude").is_not_null() & (
        pl.col("latitude").is_null()
        | ~pl.col("latitude").is_finite()
        | (pl.col("latitude").abs() > 90)
    )
    fields = pl.lit(ncols) if n_fields is None else pl.col("n_fields")
    bad_fields = fields != ncols
    detail = (
        pl.when(bad_fields)
        .then(pl.format(f"expected {ncols} fields, found {{}}", fields))
        .when(~month_valid)
        .then(pl.format("Month '{}' is not YYYY-MM", pl.col("Month").fill_null("")))
        .when(bad_lon)
        .then(pl.format("Longitude '{}' is not a valid coordinate", pl.col("Longitude")))
        .otherwise(pl.format("Latitude '{}' is not a valid coordinate", pl.col("Latitude")))
    )
    return _Checks(
        month_ok=month_ok,
        sound=~bad_fields & month_ok & ~bad_lon & ~bad_lat,
        malformed=bad_fields | (~month_ok & ~month_valid) | bad_lon | bad_lat,
        detail=detail,
    )


def _with_details(bad: pl.DataFrame, malformed_detail: pl.Expr, file_month: str, other: str):
    detail = (
        pl.when(pl.col("reason") == "malformed")
        .then(malformed_detail)
        .when(pl.col("reason") == "month_outside_file")
        .then(pl.format("Month {} in a file for {}", pl.col("Month"), pl.lit(file_month)))
    )
    if "Crime type" in bad.columns:
        detail = detail.when(pl.col("reason") == "unknown_category").then(
            pl.format(
                "Crime type '{}' is not in the harmonisation table",
                pl.col("Crime type").fill_null(""),
            )
        )
    return bad.with_columns(detail=detail.otherwise(pl.lit(other)))


def _compact(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy owning its text: a filtered text column keeps its parent's buffers (the
    whole file) alive, and ``shrink_to_fit`` does not release them."""
    return pl.from_arrow(frame.to_arrow())


def _harmonised(names: pl.Series) -> pl.Series:
    """``Crime type`` as the current category (null when blank or unknown).

    Current names cast straight to the category enum; only a file with other names
    (historic or differently spelled) goes through the harmonisation table.
    """
    fast = names.cast(CATEGORY_DTYPE, strict=False)
    if fast.null_count() == names.null_count():
        return fast
    mapping = category_mapping()
    cat_map = {n: mapping.get(normalise_name(n)) for n in names.unique().drop_nulls()}
    return names.replace_strict(cat_map, default=None, return_dtype=CATEGORY_DTYPE)


def process_street(data, entry: SourceFile, lookup: Lookup, *, path=None) -> FileResult:
    """Check one street file's rows; return its kept rows, rejected rows and facts.

    Parameters
    ----------
    data : bytes or mmap.mmap
        The file's bytes.
    entry : SourceFile
        The file: its month and force, and its name as shown.
    lookup : Lookup
        The LSOA code lists, to decide the file's vintage.
    path : pathlib.Path, optional
        The loose file holding ``data``, which polars then parses from its path.

    Returns
    -------
    FileResult
        With the kept rows in memory, their tally and Crime ID hashes.

    Raises
    ------
    csplib.core.errors.DataError
        For a file that cannot be used at all: empty, wrong header, invalid UTF-8, or LSOA
        codes of both vintages.
    """
    source = entry.source_file
    raw, n_fields = parse_file(data, STREET_COLUMNS, source, path)
    if n_fields is not None:
        raw = raw.with_columns(n_fields)
    file_month = entry.month.strftime("%Y-%m")
    checks = _row_checks(file_month, len(STREET_COLUMNS), n_fields)
    frame = raw.with_columns(
        category=_harmonised(raw["Crime type"]),
        longitude=pl.col("Longitude").cast(pl.Float64, strict=False),
        latitude=pl.col("Latitude").cast(pl.Float64, strict=False),
        lsoa=pl.col("LSOA code").cast(pl.Categorical),
        h1=crime_id_hash(),
    ).with_columns(
        passed=checks.sound & pl.col("category").is_not_null() & pl.col("lsoa").is_not_null(),
        candidate=repeat_candidate(),
    )
    repeats, dups = repeats_in_file(frame)
    keep = pl.col("passed")
    if dups.height:
        keep = keep & ~pl.col("row").is_in(dups["row"].implode())
    kept = frame.filter(keep).select(
        month=pl.lit(entry.month, dtype=pl.Date).cast(pl.Datetime("us")),
        category=pl.col("category"),
        lsoa=pl.col("lsoa"),
        lsoa_vintage=pl.lit(None, dtype=INCIDENT_SCHEMA["lsoa_vintage"]),
        crime_id=pl.col("Crime ID"),
        outcome=pl.col("Last outcome category").cast(pl.Categorical),
        longitude=pl.col("longitude"),
        latitude=pl.col("latitude"),
        location=pl.col("Location"),
        falls_within=pl.col("Falls within").cast(pl.Categorical),
        force=pl.lit(entry.force).cast(pl.Categorical),
        source_file=pl.lit(source).cast(pl.Categorical),
        source_row=pl.col("row").cast(pl.UInt32),
        h1=pl.col("h1"),
    )
    bad = frame.filter(~keep).with_columns(
        reason=pl.when(checks.malformed)
        .then(pl.lit("malformed"))
        .when(~checks.month_ok)
        .then(pl.lit("month_outside_file"))
        .when(pl.col("category").is_null())
        .then(pl.lit("unknown_category"))
        .when(pl.col("LSOA code").is_null())
        .then(pl.lit("no_lsoa"))
        .otherwise(pl.lit("duplicate_crime_id"))
    )
    present = kept["lsoa"].unique()
    # the file's distinct codes, rejected rows' included
    codes = pl.concat([present, bad["lsoa"].drop_nulls()]).unique()
    info = file_vintage(codes, lookup, entry)
    info["crime_id_repeats"] = repeats
    vintage = pl.lit(info["lsoa_vintage"], dtype=INCIDENT_SCHEMA["lsoa_vintage"])
    if bad.height:
        bad = _with_details(bad, checks.detail, file_month, "blank LSOA code")
    if dups.height:
        bad = describe_repeats_in_file(bad, dups)
    rejected = raw_rejected(
        bad if bad.height else bad.with_columns(detail=pl.lit("")), source, "street"
    )
    rejected = _compact(rejected) if rejected.height else rejected
    info.update(rows_read=raw.height, rows_kept=kept.height, rows_rejected=rejected.height)
    return FileResult(
        kept.drop("h1").with_columns(lsoa_vintage=vintage),
        rejected,
        info,
        tally=tally(kept, present),
        hashes=crime_id_hashes(kept),
    )


def process_outcomes(data, entry: SourceFile, lookup: Lookup, *, path=None) -> FileResult:
    """Check one outcomes file's rows; return its kept rows, rejected rows and facts.

    Parameters and errors as :func:`process_street`. The kept rows are one per outcome
    (``crime_id``, ``month``, ``outcome``, ``lsoa``, ``falls_within``, ``source_file``,
    ``source_row``); the read keeps the latest per Crime ID.
    """
    source = entry.source_file
    raw, n_fields = parse_file(data, OUTCOME_COLUMNS, source, path)
    if n_fields is not None:
        raw = raw.with_columns(n_fields)
    file_month = entry.month.strftime("%Y-%m")
    checks = _row_checks(file_month, len(OUTCOME_COLUMNS), n_fields)
    reason = (
        pl.when(checks.malformed)
        .then(pl.lit("malformed"))
        .when(~checks.month_ok)
        .then(pl.lit("month_outside_file"))
        .when(pl.col("Crime ID").is_null())
        .then(pl.lit("no_crime_id"))
    )
    frame = raw.with_columns(
        longitude=pl.col("Longitude").cast(pl.Float64, strict=False),
        latitude=pl.col("Latitude").cast(pl.Float64, strict=False),
    ).with_columns(reason=reason)
    info = file_vintage(frame["LSOA code"].drop_nulls().unique(), lookup, entry)
    ids = frame["Crime ID"].drop_nulls()
    info["crime_id_repeats"] = len(ids) - ids.n_unique()
    bad = frame.filter(pl.col("reason").is_not_null())
    bad = _with_details(bad, checks.detail, file_month, "blank Crime ID")
    kept = frame.filter(pl.col("reason").is_null()).select(
        crime_id=pl.col("Crime ID"),
        month=pl.lit(entry.month, dtype=pl.Date).cast(pl.Datetime("us")),
        outcome=pl.col("Outcome type"),
        lsoa=pl.col("LSOA code"),
        falls_within=pl.col("Falls within"),
        source_file=pl.lit(source),
        source_row=pl.col("row").cast(pl.UInt32),
    )
    rejected = _compact(raw_rejected(bad, source, "outcomes"))
    info.update(rows_read=raw.height, rows_kept=kept.height, rows_rejected=rejected.height)
    return FileResult(kept, rejected, info)
