"""A whole national police.uk download as monthly counts for every partnership.

:func:`national_counts` takes a national download read once
(:func:`csplib.ingest.policeuk.read_policeuk`: every force's files, with their real quirks:
Northern Ireland's rows have no LSOA and are rejected as such, British Transport Police
files hold rows across England and Wales, forces are absent from some months) and counts
its kept rows by partnership, month and police.uk category, each LSOA placed in the
partnership of its local authority (2011 codes through the ONS LSOA11 -> LSOA21 lookup).

A partnership's month is **present** only when its own force (the police force area of the
ONS lookup) has a street file with rows for it, and so has every other force holding at
least a tenth of its rows (:func:`csplib.ingest.store.area_force_months`, the rule of a single
assessment). A month its own force lacks is missing, never zero, even when another force's
file (British Transport Police's, a neighbour's) has a few rows there; a partnership whose
force is not in the download has no month at all. The result also gives each force's rows
read, kept and rejected (read = kept + rejected, exactly) and its months absent from the
download's span.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.core.forces import force_label
from csplib.ingest.geography.lookups import lsoa21_table, lsoa_lookup
from csplib.ingest.geography.partnerships import list_partnerships
from csplib.ingest.store import area_force_months

__all__ = ["NationalCounts", "lsoa_areas", "national_counts"]


@dataclass(frozen=True)
class NationalCounts:
    """Every partnership's monthly counts from one national download.

    Attributes
    ----------
    counts : DataFrame
        ``area`` (partnership code), ``month``, ``category``, ``count``: the present months
        only (a category with no row in a present month is zero, not listed).
    present : DataFrame
        ``area``, ``month``, ``present`` for every partnership with rows and every month of
        the download's span.
    areas : DataFrame
        Index ``area``: ``name``, ``force``, ``rows`` (kept rows placed in it), ``months``
        (present; 0 when its force is not in the download), ``missing`` (the span's months
        not present, in words, or why none is).
    forces : DataFrame
        Index ``force`` (from the file names): ``rows_read``, ``rows_kept``,
        ``rows_rejected``, ``months`` (with a street file with rows), ``absent``.
    absent : DataFrame
        ``force``, ``month``: each force-month of the span without a street file with rows.
    unplaced : int
        Kept rows whose LSOA lies in no partnership of England and Wales.
    """

    counts: pd.DataFrame
    present: pd.DataFrame
    areas: pd.DataFrame
    forces: pd.DataFrame
    absent: pd.DataFrame
    unplaced: int

    @property
    def rows_read(self) -> int:
        return int(self.forces["rows_read"].sum())

    @property
    def rows_kept(self) -> int:
        return int(self.forces["rows_kept"].sum())

    @property
    def rows_rejected(self) -> int:
        return int(self.forces["rows_rejected"].sum())


def lsoa_areas(reference_dir) -> pd.Series:
    """Every LSOA code, 2011 or 2021, mapped to its partnership (``list_partnerships``'s
    code): 2021 codes through their 2024 local authority, 2011 codes through the LSOA21s
    they became (a split LSOA's pieces share one authority).

    Examples
    --------
    >>> areas = lsoa_areas("data/reference")
    >>> areas["E01013810"], areas["E01028284"]  # an LSOA of Nottingham; one of Mansfield
    ('E22000257', 'E22000255')
    """
    partnerships = list_partnerships(reference_dir)
    area_of_la = {
        la: code for code, las in partnerships["la_codes"].items() for la in las.split("; ")
    }
    by21 = lsoa21_table(reference_dir)["la"].map(area_of_la).dropna()
    lookup = lsoa_lookup(reference_dir)
    by11 = (
        lookup.assign(area=lookup["lsoa21"].map(by21))
        .dropna(subset=["area"])
        .drop_duplicates("lsoa11")
        .set_index("lsoa11")["area"]
    )
    return pd.concat([by21, by11[~by11.index.isin(by21.index)]]).rename("area")


def _month_words(months) -> str:
    return ", ".join(f"{m:%b %Y}" for m in pd.DatetimeIndex(months)) or "none"


def national_counts(read, reference_dir) -> NationalCounts:
    """Count a national read (:class:`csplib.ingest.policeuk.PoliceUkRead`) by partnership,
    month and category (see the module notes)."""
    files = read.files
    street = files[files["kind"] == "street"]
    span = pd.date_range(street["month"].min(), street["month"].max(), freq="MS")
    with_rows = street[street["rows_read"] > 0]
    by_force = street.groupby("force", observed=True)
    forces = pd.DataFrame(
        {
            "rows_read": by_force["rows_read"].sum(),
            "rows_kept": by_force["rows_kept"].sum(),
            "rows_rejected": by_force["rows_rejected"].sum(),
        }
    ).astype("int64")
    absent_rows = []
    months_of = {}
    for force in forces.index:
        have = pd.DatetimeIndex(with_rows.loc[with_rows["force"] == force, "month"].unique())
        months_of[force] = have
        absent_rows += [{"force": force, "month": m} for m in span.difference(have)]
    absent = pd.DataFrame(absent_rows, columns=["force", "month"])
    forces["months"] = [len(months_of[f]) for f in forces.index]
    forces["absent"] = [_month_words(span.difference(months_of[f])) for f in forces.index]
    forces.index = forces.index.astype(str)

    raw = read.monthly_counts(by=["lsoa", "force"])
    raw["area"] = raw["lsoa"].astype(str).map(lsoa_areas(reference_dir))
    unplaced = int(raw.loc[raw["area"].isna(), "count"].sum())
    raw = raw.dropna(subset=["area"])
    raw["force"] = raw["force"].astype(str)
    partnerships = list_partnerships(reference_dir)

    counts, present, areas = [], [], []
    for area, rows in raw.groupby("area", sort=True):
        by = rows.groupby(["force", "month"], observed=True)["count"].sum()
        own = force_label(partnerships.loc[area, "force_name"])[1]
        months = area_force_months(files, by.rename("rows").reset_index())
        months = months[months.isin(months_of.get(own, pd.DatetimeIndex([])))]
        kept = rows[rows["month"].isin(months)]
        about = {
            "area": area,
            "name": partnerships.loc[area, "csp_name"],
            "force": partnerships.loc[area, "force_name"],
            "rows": int(rows["count"].sum()),
            "months": len(months),
        }
        if len(months) == 0:
            why = f"{about['force']}'s files are not in the download"
            areas.append({**about, "missing": why})
            continue
        counts.append(
            kept.groupby(["month", "category"], observed=True)["count"]
            .sum()
            .reset_index()
            .assign(area=area)
        )
        present.append(pd.DataFrame({"area": area, "month": span, "present": span.isin(months)}))
        areas.append({**about, "missing": _month_words(span.difference(months))})
    counts = pd.concat(counts, ignore_index=True)[["area", "month", "category", "count"]]
    counts["category"] = counts["category"].astype(str)
    counts = counts[counts["count"] > 0].reset_index(drop=True)
    return NationalCounts(
        counts=counts,
        present=pd.concat(present, ignore_index=True),
        areas=pd.DataFrame(areas).set_index("area"),
        forces=forces,
        absent=absent,
        unplaced=unplaced,
    )


def write_national(result: NationalCounts, out: Path) -> list[Path]:
    """Write the national store: ``counts.parquet``, ``present.parquet``, ``areas.csv``,
    ``forces.csv`` and ``absent_force_months.csv`` in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "counts.parquet", out / "present.parquet"]
    result.counts.to_parquet(written[0], index=False)
    result.present.to_parquet(written[1], index=False)
    for name, frame in (("areas", result.areas), ("forces", result.forces)):
        path = out / f"{name}.csv"
        frame.to_csv(path)
        written.append(path)
    path = out / "absent_force_months.csv"
    result.absent.assign(month=result.absent["month"].dt.strftime("%Y-%m")).to_csv(
        path, index=False
    )
    written.append(path)
    return written


def summary_lines(result: NationalCounts) -> list[str]:
    """What a national read gave, in a few lines for the terminal."""
    n_forces = len(result.forces)
    lines = [
        f"{result.rows_read:,} rows read = {result.rows_kept:,} kept + "
        f"{result.rows_rejected:,} rejected, across {n_forces} forces",
        f"{int((result.areas['months'] > 0).sum())} partnerships with data; "
        f"{int(((result.areas['missing'] != 'none') & (result.areas['months'] > 0)).sum())} "
        f"with a month missing; {int((result.areas['months'] == 0).sum())} whose force's files "
        "are not in the download",
    ]
    if result.unplaced:
        lines.append(f"{result.unplaced:,} kept rows lie in no partnership of England and Wales")
    for force, months in result.absent.groupby("force")["month"]:
        lines.append(f"absent: {force}, {_month_words(np.sort(months.to_numpy()))}")
    return lines
