"""The tidy store: the area's incidents, partner data and indicators, with a quality report.

:func:`load_store` reads the sources named in the parameters and returns a :class:`Store`:

1. police.uk files are read and validated (:func:`csplib.ingest.read_policeuk`; parsed files
   are cached as parquet keyed by the inputs' hashes);
2. every row is converted to the parameters' LSOA vintage and assigned to the area by
   LSOA -> local authority (:meth:`csplib.ingest.geography.Geography.assign_area`);
3. the partner extract and indicators are read when named;
4. the quality report accounts for every row: read = kept + rejected, by reason and stage.

Within one Python process the store is built once per parameters (chapters share it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from csplib.core.errors import DataError
from csplib.core.provenance import hash_inputs
from csplib.core.schema import INCIDENT_COLUMNS
from csplib.ingest import CACHE_VERSION, read_policeuk
from csplib.ingest.geography import Geography
from csplib.ingest.indicators import read_indicators
from csplib.ingest.partner import OFFENCE_CODES_FILE, load_offence_codes, read_partner_extract
from csplib.ingest.quality import QualityReport
from csplib.params import Params

__all__ = ["Store", "load_store", "AREA_STAGE"]


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
    """

    incidents: pd.DataFrame
    months_present: pd.DatetimeIndex
    quality: QualityReport
    geography: Geography
    conversion: pd.DataFrame
    partner: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None


#: Stage name of the rejections made when assigning rows to the area.
AREA_STAGE = "area (LSOA -> local authority)"

_MEMO: dict[str, Store] = {}

#: Bump when the derived tables change meaning, so old caches are not reused.
STORE_VERSION = "1"


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def _cached_frames(folder: Path, build: Callable[[], dict[str, pd.DataFrame]]):
    """Frames from ``folder`` (parquet) if complete, else built, written, then returned.

    Safe when several processes (parallel chapters) build the same entry: each writes to its
    own temporary folder and renames it into place; a process that loses the race discards
    its copy and reads the winner's.
    """
    done = folder / "complete"
    if done.is_file():
        return {f.stem: pd.read_parquet(f) for f in sorted(folder.glob("*.parquet"))}
    frames = build()
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex}")
    tmp.mkdir(parents=True)
    for name, frame in frames.items():
        frame.to_parquet(tmp / f"{name}.parquet")
    (tmp / "complete").write_text("ok\n")
    try:
        tmp.rename(folder)
    except OSError:  # another process put a complete copy there first
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
    return {"incidents": incidents, "rejected": rejected, "conversion": area.conversion}


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

    Raises
    ------
    csplib.core.errors.DataError
        When a source cannot be used at all (the message names the file and row).
    """
    key = params.model_dump_json()
    if key in _MEMO:
        return _MEMO[key]
    data = params.data
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
    area = _cached_frames(
        data.cache_dir / "store" / f"area-{_digest(read.cache_key, geo_key)}",
        lambda: _assign(geography, read.incidents),
    )
    quality = QualityReport.from_read(read)
    for row in area["rejected"].itertuples():
        quality = quality.add_rejections(str(row.reason), int(row.rows), stage=AREA_STAGE)
    incidents = area["incidents"]
    months = pd.DatetimeIndex(
        sorted(
            read.files.loc[
                (read.files["kind"] == "street") & (read.files["rows_read"] > 0), "month"
            ].unique()
        )
    )
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
        )["partner"]
    indicators = read_indicators(data.indicators).data if data.indicators else None

    store = Store(
        incidents=incidents,
        months_present=months,
        quality=quality,
        geography=geography,
        conversion=area["conversion"],
        partner=partner,
        indicators=indicators,
    )
    _MEMO[key] = store
    return store
