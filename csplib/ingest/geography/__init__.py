"""Geography of a partnership: LSOAs, wards, vintages, population, deprivation, boundaries.

The main entry point is :class:`Geography`, built from the national ONS lookups in the
reference directory for a set of local authorities (or a CSP code) and an LSOA vintage::

    geo = Geography("data/reference", csp_code="E22000257")   # Nottingham, 2021 LSOAs
    kept, rejected, conversion = geo.assign_area(incidents)    # by LSOA -> authority
    geo.population(2019), geo.deprivation(), geo.wards(), geo.lsoas()

Examples
--------
>>> geo = Geography("data/reference", la_codes=["E06000018"], vintage="2011")
>>> len(geo.lsoa_table), geo.csp_code
(182, 'E22000257')
"""

from csplib.ingest.geography.area import REJECT_REASONS, AreaAssignment, Geography
from csplib.ingest.geography.lookups import la_csp_table, lsoa11_table, lsoa21_table, lsoa_lookup
from csplib.ingest.geography.measures import apportion, lsoa_deprivation, lsoa_population
from csplib.ingest.geography.partnerships import Partnership, find_partnership, list_partnerships
from csplib.ingest.geography.reference import (
    DEPRIVATION_FILES,
    REFERENCE_FILES,
    find_boundary_file,
    population_files,
    read_boundaries,
    read_reference_csv,
)
from csplib.ingest.geography.vintage import (
    CHANGE_LABELS,
    METHODS,
    VINTAGES,
    VintageConversion,
    convert_lsoa_vintage,
)

__all__ = [
    "Geography",
    "Partnership",
    "find_partnership",
    "list_partnerships",
    "AreaAssignment",
    "REJECT_REASONS",
    "VintageConversion",
    "convert_lsoa_vintage",
    "VINTAGES",
    "CHANGE_LABELS",
    "METHODS",
    "lsoa21_table",
    "lsoa11_table",
    "lsoa_lookup",
    "la_csp_table",
    "apportion",
    "lsoa_population",
    "lsoa_deprivation",
    "REFERENCE_FILES",
    "DEPRIVATION_FILES",
    "read_reference_csv",
    "population_files",
    "find_boundary_file",
    "read_boundaries",
]
