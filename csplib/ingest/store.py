"""The tidy store: the area's incidents, partner data and indicators, with a quality report.

:func:`load_store` reads the sources named in the parameters and returns a :class:`Store`:

1. police.uk files are read and validated (:func:`csplib.ingest.read_policeuk`; parsed files
   are cached as parquet keyed by the inputs' hashes);
2. every row is converted to the parameters' LSOA vintage and assigned to the area by
   LSOA -> local authority (:meth:`csplib.ingest.geography.Geography.assign_area`);
3. the partner extract and indicators are read when named;
4. the quality report accounts for every row: read = kept + rejected, by reason and stage.

Within one Python process the store is built once per parameters (chapters share it).

The area's incidents and the partner extract's rows in the area are cached as parquet under
``cache_dir/store/`` (:func:`_cached_frames`), keyed by their inputs. An entry is checked
when read (its frames present, readable and with the recorded columns and rows); one that
is not is rebuilt from the raw files, with a note in the quality report, as are the
police.uk reader's own caches (:mod:`csplib.ingest.filecache`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from csplib.core.errors import DataError, ParamsError
from csplib.core.provenance import hash_inputs
from csplib.core.schema import INCIDENT_COLUMNS
from csplib.ingest import CACHE_VERSION, read_policeuk
from csplib.ingest.filecache import (
    UnreadableEntry,
    install_entry,
    read_entry,
    read_json,
    sweep_leftovers,
)
from csplib.ingest.geography import Geography
from csplib.ingest.indicators import read_indicators
from csplib.ingest.partner import OFFENCE_CODES_FILE, load_offence_codes, read_partner_extract
from csplib.ingest.quality import QualityReport
from csplib.params import Params

__all__ = ["Store", "load_store", "check_periods", "AREA_STAGE"]


@dataclass
class Store:
    """Everything the chapters read, for one set of parameters.

    Attributes
    ----------
    incidents : DataFrame
        One row per police.uk crime or ASB incident in the area
        (:data:`csplib.core.schema.INCIDENT_COLUMNS`).
    months_present : DatetimeIndex
        Months for which police.uk files were read. A month in the span but not here is
        missing, never zero.
    quality : QualityReport
        Rows read, kept and rejected by reason; missing and implausible months.
    geography : Geography
        LSOAs, wards, population, deprivation and boundaries of the area.
    conversion : DataFrame
        Rows converted to the store's LSOA vintage, by change type and method.
    partner : DataFrame or None
        The partner extract (crime level, with victim IDs and flags), in the area.
    indicators : DataFrame or None
        Survey, treatment, referral and other indicator rows.
    forces : DataFrame
        The area's police.uk rows by the force whose file they came from: ``force`` (from
        the file name), ``month``, ``rows``. The forces whose gaps matter to the area.
    """

    incidents: pd.DataFrame
    months_present: pd.DatetimeIndex
    quality: QualityReport
    geography: Geography
    conversion: pd.DataFrame
    partner: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    forces: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame({"force": [], "month": [], "rows": []})
    )

    @property
    def area_months(self) -> pd.DatetimeIndex:
        """The months with police.uk data that have at least one row in the area."""
        with_rows = pd.DatetimeIndex(self.incidents["month"].unique())
        return self.months_present[self.months_present.isin(with_rows)]


#: A force whose files hold at least this share of the area's rows is one of the area's own
#: forces: a month is present only when each of them has a street file for it.
MAIN_FORCE_SHARE = 0.10


def area_force_months(files: pd.DataFrame, forces: pd.DataFrame) -> pd.DatetimeIndex:
    """The months present for the area: those in which every force whose files hold at least
    :data:`MAIN_FORCE_SHARE` of the area's rows has a street file with rows.

    A national download holds many forces; a month that another force has but the area's
    own force lacks is missing for the area, never zero.

    Parameters
    ----------
    files : DataFrame
        The read's files table (``kind``, ``force``, ``month``, ``rows_read``).
    forces : DataFrame
        The area's rows by ``force`` and ``month`` (``rows``), as :class:`Store` holds them.

    Examples
    --------
    >>> files = pd.DataFrame({"kind": "street", "rows_read": 10,
    ...     "force": ["a", "a", "b", "b", "b"],
    ...     "month": pd.to_datetime(["2018-11-01", "2018-12-01", "2018-10-01",
    ...                              "2018-11-01", "2018-12-01"])})
    >>> rows = pd.DataFrame({"force": ["a", "a", "b"], "month": files["month"][:3],
    ...                      "rows": [500, 480, 3]})
    >>> [f"{m:%Y-%m}" for m in area_force_months(files, rows)]
    ['2018-11', '2018-12']
    """
    street = files.loc[(files["kind"] == "street") & (files["rows_read"] > 0)]
    months = {
        f: set(pd.DatetimeIndex(g["month"])) for f, g in street.groupby("force", observed=True)
    }
    by_force = forces.groupby("force", observed=True)["rows"].sum() if len(forces) else None
    if by_force is None or by_force.sum() == 0:
        return pd.DatetimeIndex(sorted(set().union(*months.values())) if months else [])
    main = [str(f) for f in by_force.index[by_force / by_force.sum() >= MAIN_FORCE_SHARE]]
    present = set.intersection(*(months.get(f, set()) for f in main))
    return pd.DatetimeIndex(sorted(present))


#: Stage name of the rejections made when assigning rows to the area.
AREA_STAGE = "area (LSOA -> local authority)"

_MEMO: dict[str, Store] = {}

#: Bump when the derived tables change meaning or layout, so old caches are not reused.
#: 2: the ``complete`` marker records each frame's rows and columns.
#: 3: the area's rows by force and month (``forces``).
STORE_VERSION = "3"


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _parquet_facts(path: Path) -> dict:
    """A parquet file's rows and columns (name and Arrow type), from its footer."""
    meta = pq.read_metadata(path)
    schema = meta.schema.to_arrow_schema()
    return {"rows": meta.num_rows, "columns": [f"{f.name}: {f.type}" for f in schema]}


def _read_frames(folder: Path) -> dict[str, pd.DataFrame]:
    """The frames of a complete entry, checked against its ``complete`` marker."""
    recorded = read_json(folder / "complete")
    if sorted(f.stem for f in folder.glob("*.parquet")) != sorted(recorded):
        raise UnreadableEntry("the entry's frames are not those recorded")
    frames = {}
    for name, facts in recorded.items():
        path = folder / f"{name}.parquet"
        if _parquet_facts(path) != facts:
            raise UnreadableEntry(f"{path.name} does not have the recorded rows and columns")
        frames[name] = pd.read_parquet(path)
    return frames


def _cached_frames(
    folder: Path,
    build: Callable[[], dict[str, pd.DataFrame]],
    *,
    what: str = "tables of the tidy store",
    notes: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Frames from ``folder`` (parquet) if complete and readable, else built, written, returned.

    Parameters
    ----------
    folder : pathlib.Path
        The entry: one ``<name>.parquet`` per frame and a ``complete`` marker, written last,
        recording each frame's rows and columns.
    build : callable
        Builds the frames, by name, from the raw files.
    what : str
        What the frames are, for the note on a damaged entry.
    notes : list of str, optional
        Where a note is added when the entry could not be read (a frame missing,
        truncated, corrupt or not as recorded) and was rebuilt
        (:func:`csplib.ingest.filecache.read_entry`).

    Returns
    -------
    dict of str to pandas.DataFrame

    Notes
    -----
    Safe when several processes (parallel chapters) build the same entry: each writes to its
    own temporary folder and renames it into place; a process that loses the race discards
    its copy and reads the winner's.
    """
    sweep_leftovers(folder.parent)  # what a killed run left half-written
    frames = read_entry(
        folder, "complete", _read_frames, what=what, notes=[] if notes is None else notes
    )
    if frames is not None:
        return frames
    frames = build()
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex}")
    try:
        tmp.mkdir(parents=True)
        recorded = {}
        for name, frame in frames.items():
            frame.to_parquet(tmp / f"{name}.parquet")
            recorded[name] = _parquet_facts(tmp / f"{name}.parquet")
        (tmp / "complete").write_text(json.dumps(recorded, indent=1))  # last: marks it whole
        install_entry(tmp, folder)  # or another process put a complete copy there first
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return frames


def _assign(geography: Geography, rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Area assignment of police.uk rows: tidy incidents, rejections by reason, conversion."""
    area = geography.assign_area(rows)
    kept = area.kept
    incidents = kept.assign(
        category=kept["category"].astype(str), lsoa=kept["lsoa"].astype(str), source="police.uk"
    )[list(INCIDENT_COLUMNS)].reset_index(drop=True)
    rejected = area.rejected["reason"].value_counts(sort=False).rename("rows")
    rejected = rejected.rename_axis("reason").reset_index()
    forces = pd.DataFrame(
        {"force": kept["force"].astype(str).to_numpy(), "month": kept["month"].to_numpy()}
    )
    forces = forces.groupby(["force", "month"]).size().rename("rows").reset_index()
    return {
        "incidents": incidents,
        "rejected": rejected,
        "conversion": area.conversion,
        "forces": forces.astype({"rows": "int64"}),
    }


def _read_partner(sources, reference_dir, geography: Geography) -> pd.DataFrame:
    """Read partner extract files (folders: every ``*.csv`` in them) and keep the area's rows."""
    files = []
    for source in sources:
        found = sorted(source.glob("*.csv")) if source.is_dir() else [source]
        if not found:
            raise DataError("no partner extract files (*.csv) in this folder", path=source)
        files += found
    codes = load_offence_codes(Path(reference_dir) / OFFENCE_CODES_FILE)  # read once
    frames = []
    for path in files:
        result = read_partner_extract(path, offence_codes=codes)
        frames.append(geography.assign_area(result.data).kept)
    return pd.concat(frames, ignore_index=True)


def load_store(params: Params) -> Store:
    """Build (or reuse, within this process) the store for ``params``.

    The synthetic dataset a parameters file names must have been generated first (the run
    does it: :func:`csplib.run.context.ensure_data`).

    A cached copy that cannot be read (see :mod:`csplib.ingest.filecache`) is rebuilt from
    the raw files, with a note in ``quality.notes``.

    Raises
    ------
    csplib.core.errors.DataError
        When a source cannot be used at all (the message names the file and row), or the
        synthetic dataset is not generated yet.
    """
    key = params.model_dump_json()
    if key in _MEMO:
        return _MEMO[key]
    data = params.data
    if data.synthetic is not None and not (data.synthetic.dir / "truth.json").is_file():
        raise DataError(
            f"the synthetic dataset of seed {data.synthetic.seed} is not in "
            f"{data.synthetic.dir} yet: `csp assess` generates it, or `csp synth --seed "
            f"{data.synthetic.seed} --out {data.synthetic.dir}`"
        )
    read = read_policeuk(
        data.police_uk,
        cache_dir=data.cache_dir / "policeuk",
        lookup=data.reference_dir / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz",
    )
    geography = Geography.from_params(params)
    lookups = sorted((data.reference_dir / "lookups").glob("*")) + sorted(
        (data.reference_dir / "boundaries").glob("*")
    )
    geo_key = _digest(
        STORE_VERSION,
        CACHE_VERSION,
        params.area.model_dump(mode="json"),
        list(hash_inputs(lookups).values()),
    )
    repairs: list[str] = []
    area = _cached_frames(
        data.cache_dir / "store" / f"area-{_digest(read.cache_key, geo_key)}",
        lambda: _assign(geography, read.incidents),
        what="the area's police.uk incidents",
        notes=repairs,
    )
    quality = QualityReport.from_read(read)
    for row in area["rejected"].itertuples():
        quality = quality.add_rejections(str(row.reason), int(row.rows), stage=AREA_STAGE)
    incidents = area["incidents"]
    months = area_force_months(read.files, area["forces"])
    # implausible months are judged on the area's own counts, where the analyst reads them
    counts = incidents.groupby(["month", "category"]).size().rename("count").reset_index()
    quality = quality.with_implausible(counts, months=pd.DataFrame({"month": months}))

    partner = None
    if data.partner_extract:
        offence_codes = data.reference_dir / OFFENCE_CODES_FILE
        partner_key = _digest(
            geo_key, list(hash_inputs([*data.partner_extract, offence_codes]).values())
        )
        partner = _cached_frames(
            data.cache_dir / "store" / f"partner-{partner_key}",
            lambda: {"partner": _read_partner(data.partner_extract, data.reference_dir, geography)},
            what="the partner extract's rows in the area",
            notes=repairs,
        )["partner"]
    indicators = read_indicators(data.indicators).data if data.indicators else None
    quality = quality.with_notes(*repairs)

    store = Store(
        incidents=incidents,
        months_present=months,
        quality=quality,
        geography=geography,
        conversion=area["conversion"],
        partner=partner,
        indicators=indicators,
        forces=area["forces"],
    )
    _MEMO[key] = store
    return store


# ----------------------------------------------------------------------------- periods


def _months_text(months: pd.DatetimeIndex) -> str:
    """``Jan 2024 to Mar 2024 (3 months)``, or ``(70 of its 75 months)`` with gaps."""
    first, last = months.min(), months.max()
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    count = f"{len(months)} month{'s' * (len(months) != 1)}"
    if len(months) < span:
        count = f"{len(months)} of its {span} months"
    return f"{first:%b %Y} to {last:%b %Y} ({count})"


def _file_name(params: Params) -> str:
    """The parameters file as a user typed it: relative to the working folder when inside."""
    path = Path(params.source_file) if params.source_file else None
    if path is None:
        return "the parameters file"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _download_text(files: pd.DataFrame) -> str:
    """The forces and months a download holds: ``leicestershire Jan 2024 to Mar 2024 (3
    months)``, the first few forces of many."""
    if files.empty or "force" not in files.columns:
        return "no street files"
    with_rows = files[files["rows_read"] > 0]
    if with_rows.empty:
        return f"no rows at all ({len(files)} street files with a header only)"
    parts = [
        f"{force} {_months_text(pd.DatetimeIndex(sorted(set(g['month']))))}"
        for force, g in with_rows.groupby(with_rows["force"].astype(str), sort=True)
    ]
    if len(parts) > 4:
        parts = [*parts[:3], f"{len(parts) - 3} other forces"]
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _window_note(what: str, window, months: pd.DatetimeIndex) -> str | None:
    """A note on a comparison window without data in the area, or None when it has some."""
    period = window.period
    if months.isin(period.months).any():
        return None
    if period.end < months.min():
        where = f"the data start {months.min():%b %Y}"
    elif period.start > months.max():
        where = f"the data end {months.max():%b %Y}"
    else:
        before, after = months[months < period.start].max(), months[months > period.end].min()
        where = f"it falls in a gap in the data, between {before:%b %Y} and {after:%b %Y}"
    return (
        f"The {what} {window.label} has no police.uk data ({where}): comparisons with it "
        "are left out."
    )


def check_periods(store: Store, params: Params) -> list[str]:
    """Check that the assessed period has data in the area; notes on windows that have none.

    A run stops here, before any chapter, when no police.uk row of the download lies in the
    area, or none in the assessed period. A baseline or comparison period without data does
    not stop it: the chapters leave out the comparisons with it, and the notes say so.

    Parameters
    ----------
    store : Store
        The tidy store of ``params`` (:func:`load_store`).
    params : Params
        Its parameters (``assessment.period``, ``baseline``, ``comparisons``, ``area``).

    Returns
    -------
    list of str
        One sentence per baseline or comparison period with no police.uk data in the area,
        e.g. ``"The baseline 2018/19 has no police.uk data (the data start Jan 2024):
        comparisons with it are left out."``.

    Raises
    ------
    csplib.core.errors.DataError
        When no row of the download lies in the area: the message names the area, its
        police force and the forces and months the download holds.
    csplib.core.errors.ParamsError
        When the assessed period has no month with rows in the area: the message names the
        period, the months the data hold and the key to change.
    """
    area, file = params.area, _file_name(params)
    months = store.area_months
    if months.empty:
        force = store.geography.force_name
        where = ", ".join(area.la_codes) + (f"; {force} police force area" if force else "")
        whose = f"{force}'s" if force else "the area's"
        raise DataError(
            f"no police.uk row of the download lies in {area.name} ({where}): the download "
            f"holds {_download_text(store.quality.files)}, {store.quality.rows_read:,} rows "
            f"read. Use a download of {whose} street files (data.police_uk in {file})"
        )
    a = params.assessment
    if not months.isin(a.period.period.months).any():
        raise ParamsError(
            f"the assessed period {a.period.label} ({a.period.start:%b %Y} to "
            f"{a.period.end:%b %Y}) has no police.uk data for {area.name}; the data hold "
            f"{_months_text(months)}. Choose a period inside the data (assessment.period "
            f"in {file})"
        )
    notes = [_window_note("baseline", a.baseline, months)] if a.baseline else []
    notes += [_window_note("comparison period", w, months) for w in a.comparisons]
    return [n for n in notes if n]
