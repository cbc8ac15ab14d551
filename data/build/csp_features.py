"""Build data/reference/peers/csp_features.csv: what each Community Safety Partnership of
England and Wales is like, the features of its open peer group (csplib.methods.peers).

Run once, from the repository root, with the shared reference collection beside it:

    .venv/bin/python data/build/csp_features.py ../shared/data/reference

It reads (all Open Government Licence v3.0): ONS mid-2020 population estimates by LSOA11 with
single years of age; ONS LSOA11 boundaries (December 2011, generalised); the ONS LSOA11 ->
LSOA21 and LSOA21 -> ward (2024) -> local authority (2024) lookups and the local authority ->
CSP -> police force area (2024) lookup; the English Indices of Deprivation 2019 (IMD decile by
LSOA11). The csplib run never reads the shared collection: only the CSV this writes.

Each LSOA11 is placed in the 2024 local authority of its LSOA21 (a split LSOA's pieces share
one), so the 2023 reorganisations (Cumberland, Westmorland and Furness, North Yorkshire,
Somerset) are counted as the 2024 partnerships.
"""

import sys
from pathlib import Path

import pandas as pd

from csplib.ingest.geography.partnerships import list_partnerships
from csplib.ingest.geography.reference import read_boundaries
from csplib.ingest.national import lsoa_areas

shared = Path(sys.argv[1])
here = Path("data/reference")
out = here / "peers" / "csp_features.csv"

ages = pd.read_csv(shared / "population" / "population20_lsoa11.csv.gz")
single = [str(a) for a in range(90)] + ["90+"]
years = ages[single]
people = pd.DataFrame(
    {
        "lsoa11": ages["lsoa11_code"],
        "population": ages["total_population"],
        "aged_16_24": years[[str(a) for a in range(16, 25)]].sum(axis=1),
        "aged_65_plus": years[[str(a) for a in range(65, 90)] + ["90+"]].sum(axis=1),
    }
)
# each LSOA11 in its partnership, as csp national places rows (csplib.ingest.national)
partnerships = list_partnerships(here)
names, forces = partnerships["csp_name"].to_dict(), partnerships["force_name"].to_dict()
people["csp"] = people["lsoa11"].map(lsoa_areas(here))
people = people.dropna(subset=["csp"])

shapes = read_boundaries(here / "boundaries" / "lsoa11_england_wales.geojson.gz", "lsoa11")
area = pd.Series(shapes.geometry.area.to_numpy() / 1e6, index=shapes["code"])
people["area_km2"] = people["lsoa11"].map(area)

imd = pd.read_csv(here / "deprivation" / "imd2019_england_lsoa11.csv.gz")
decile = imd.set_index("lsoa11_code")["IMD_decile"]
people["most_deprived"] = people["lsoa11"].map(decile).eq(1) * people["population"]
people["england"] = people["lsoa11"].str.startswith("E")

groups = people.groupby("csp")
table = pd.DataFrame(
    {
        "population": groups["population"].sum(),
        "area_km2": groups["area_km2"].sum(),
        "aged_16_24": groups["aged_16_24"].sum(),
        "aged_65_plus": groups["aged_65_plus"].sum(),
        "most_deprived": groups["most_deprived"].sum(),
        "england": groups["england"].all(),
    }
)
table.insert(0, "csp_name", pd.Series(names).reindex(table.index))
table.insert(1, "force", pd.Series(forces).reindex(table.index))
table["density"] = table["population"] / table["area_km2"]
table["share_16_24"] = 100 * table["aged_16_24"] / table["population"]
table["share_65_plus"] = 100 * table["aged_65_plus"] / table["population"]
# England's IMD only: a Welsh partnership has no value (its peers are found without it)
table["share_most_deprived"] = (100 * table["most_deprived"] / table["population"]).where(
    table["england"]
)
table.index.name = "area"  # the CSP code, or the authority's for an authority-wide area
columns = [
    "csp_name", "force", "population", "area_km2", "density", "share_16_24",
    "share_65_plus", "share_most_deprived",
]  # fmt: skip
out.parent.mkdir(parents=True, exist_ok=True)
table[columns].round(4).sort_index().to_csv(out)
print(f"{out}: {len(table)} partnerships")
