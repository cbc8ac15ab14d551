"""Read raw sources into validated, harmonised tables, with a quality report.

* :mod:`csplib.ingest.policeuk`: police.uk street-level downloads (zips, folders, CSVs). Its
  parts: ``policeuk_sources`` (finding the files), ``policeuk_rows`` (row checks and
  rejections), ``policeuk_duplicates`` (repeated Crime IDs), ``policeuk_vintage`` (LSOA
  vintage), ``policeuk_parts`` (kept rows and monthly counts), ``policeuk_pipeline`` (files
  parsed in threads), ``policeuk_schema`` (the tables' columns), ``_csvparse`` (the exact
  CSV parse) and :mod:`csplib.ingest.filecache` (the per-file cache, not to be confused with
  the tidy store, :mod:`csplib.ingest.store`).
* :mod:`csplib.ingest.categories`: the police.uk category harmonisation table.
* :mod:`csplib.ingest.quality`: rows read, kept and rejected; missing and implausible months.
* :mod:`csplib.ingest.partner`: the partner (force) extract: crimes with offence codes, victim
  IDs and flags (format in ``docs/data_formats.md``).
* :mod:`csplib.ingest.indicators`: survey, treatment, referral and other indicator rows.
* :mod:`csplib.ingest.geography`: the area's LSOAs, wards, population, deprivation and
  boundaries, and LSOA vintage conversion.
* :mod:`csplib.ingest.store`: the tidy store the chapters read
  (:func:`~csplib.ingest.store.load_store`).
"""

from csplib.ingest.categories import (
    category_mapping,
    category_table,
    harmonise_category,
    normalise_name,
)
from csplib.ingest.indicators import read_indicators
from csplib.ingest.partner import read_partner_extract
from csplib.ingest.policeuk import (
    CACHE_VERSION,
    OUTCOME_COLUMNS,
    REJECTION_REASONS,
    STREET_COLUMNS,
    PoliceUkRead,
    default_lookup_path,
    lsoa_code_lists,
    read_policeuk,
)
from csplib.ingest.quality import (
    INGEST_STAGE,
    QualityReport,
    implausible_months,
    missing_months,
)

__all__ = [
    "CACHE_VERSION",
    "INGEST_STAGE",
    "OUTCOME_COLUMNS",
    "REJECTION_REASONS",
    "STREET_COLUMNS",
    "PoliceUkRead",
    "QualityReport",
    "category_mapping",
    "category_table",
    "default_lookup_path",
    "harmonise_category",
    "implausible_months",
    "lsoa_code_lists",
    "missing_months",
    "normalise_name",
    "read_indicators",
    "read_partner_extract",
    "read_policeuk",
]
