"""Benchmark the police.uk ingest at national scale.

Generates (deterministically, with a fixed seed) a police.uk download of about six million
rows: twelve months of ``YYYY-MM/YYYY-MM-<force>-street.csv`` files for several forces, with
realistic values (64-hex Crime IDs, blank for anti-social behaviour; real LSOA21 codes and
names from the ONS lookup; coordinates; ``On or near ...`` locations taken from the real
Nottinghamshire files, a few with commas and so quoted; outcomes; about 1% of rows with no
location and no LSOA; a few repeated Crime IDs). Then it measures, each contender in its own
subprocess so that the peak memory (RSS high-water mark, ``resource.getrusage``) of one does
not colour another:

``csplib cold``
    :func:`csplib.ingest.read_policeuk` with an empty cache: CSV -> validated, typed parquet
    cache, plus the monthly LSOA x category counts.
``csplib warm``
    the same call again: served from the cache (inputs hashed, no CSV parsed), plus counts.
``csplib + 1 month``
    the download's last month added to a cache holding the other eleven (the monthly
    update): only the new month's files are parsed, the rest come from the file cache.
``polars floor``
    a bare parse-and-write: every street file parsed by polars (all columns as text, the
    same strict parse csplib does) and written to uncompressed parquet, two files at a
    time, with no checks, typing, counts or hashing. It shows what the validation costs
    above what this machine needs just to move the CSVs into parquet.
``pandas``
    plain ``pandas.read_csv`` of every file and ``pandas.concat``.

The cold csplib run and the floor are repeated (``--repeat``, default 3) and the median and
best are shown: on a shared 2-core machine a single run varies by 20% or more.

Targets (2-core machine): at least 2 million rows/s end to end and under 1 GB peak memory for
the cold csplib run on six million rows.

Usage::

    python benchmarks/ingest.py                      # 6 million rows in a temporary folder
    python benchmarks/ingest.py --rows 200000        # a quick run
    python benchmarks/ingest.py --dir /tmp/policeuk  # keep (and reuse) the generated files
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.schema import STREET_COLUMNS

REPO = Path(__file__).resolve().parent.parent
LOOKUP = REPO / "data" / "reference" / "lookups" / "lookup_lsoa11_lsoa21_ltla22.csv.gz"
LOCATIONS_ZIP = REPO / "data" / "police_uk" / "nottinghamshire_2024-01_2024-03.zip"

#: Forces (file-name slug, display name, share of rows).
FORCES: tuple[tuple[str, str, float], ...] = (
    ("metropolitan", "Metropolitan Police Service", 0.30),
    ("west-midlands", "West Midlands Police", 0.14),
    ("greater-manchester", "Greater Manchester Police", 0.13),
    ("west-yorkshire", "West Yorkshire Police", 0.11),
    ("thames-valley", "Thames Valley Police", 0.08),
    ("kent", "Kent Police", 0.07),
    ("nottinghamshire", "Nottinghamshire Police", 0.05),
    ("avon-and-somerset", "Avon and Somerset Constabulary", 0.06),
    ("cumbria", "Cumbria Constabulary", 0.02),
    ("dyfed-powys", "Dyfed-Powys Police", 0.04),
)

#: Category shares of the real Nottinghamshire files, January to March 2024.
CATEGORY_SHARES: dict[str, float] = {
    "Violence and sexual offences": 0.3227,
    "Anti-social behaviour": 0.1557,
    "Shoplifting": 0.1340,
    "Criminal damage and arson": 0.0866,
    "Other theft": 0.0654,
    "Public order": 0.0606,
    "Vehicle crime": 0.0420,
    "Burglary": 0.0347,
    "Drugs": 0.0341,
    "Other crime": 0.0242,
    "Possession of weapons": 0.0128,
    "Bicycle theft": 0.0098,
    "Robbery": 0.0092,
    "Theft from the person": 0.0082,
}

#: Outcome shares of crimes (not ASB) in the same files.
OUTCOME_SHARES: dict[str, float] = {
    "Investigation complete; no suspect identified": 0.3575,
    "Under investigation": 0.2804,
    "Unable to prosecute suspect": 0.2457,
    "Awaiting court outcome": 0.0614,
    "Local resolution": 0.0167,
    "Action to be taken by another organisation": 0.0123,
    "Formal action is not in the public interest": 0.0070,
    "Offender given a caution": 0.0066,
    "Further investigation is not in the public interest": 0.0051,
    "Further action is not in the public interest": 0.0048,
    "Offender given a drugs possession warning": 0.0017,
    "Offender given penalty notice": 0.0008,
}

COLUMNS = STREET_COLUMNS


def _normalised(shares: dict[str, float]) -> tuple[list[str], np.ndarray]:
    p = np.array(list(shares.values()), dtype=float)
    return list(shares), p / p.sum()


def _real_locations() -> list[str]:
    """Distinct ``On or near ...`` locations of the real Nottinghamshire files."""
    with zipfile.ZipFile(LOCATIONS_ZIP) as z:
        frames = [
            pl.read_csv(z.read(n), columns=["Location"], infer_schema=False)
            for n in z.namelist()
            if n.endswith(".csv")
        ]
    loc = pl.concat(frames)["Location"].drop_nulls().unique().sort()
    return [s for s in loc.to_list() if s != "No Location"]


def generate(folder: Path, rows: int, *, months: int = 12, seed: int = 20240101) -> tuple[int, int]:
    """Write the synthetic download into ``folder``; return (files, rows written)."""
    rng = np.random.default_rng(seed)
    lookup = pl.read_csv(LOOKUP, columns=["lsoa21_code", "lsoa21_name"], infer_schema=False)
    lookup = lookup.unique("lsoa21_code").sort("lsoa21_code")
    codes = lookup["lsoa21_code"].to_numpy()
    names = lookup["lsoa21_name"].to_numpy()
    n_lsoa = len(codes)
    centre_lon = rng.uniform(-4.5, 1.5, n_lsoa)
    centre_lat = rng.uniform(50.5, 55.0, n_lsoa)
    locations = np.array(_real_locations() + ["On or near The Drive, Park Lane"], dtype=object)
    loc_p = np.full(len(locations), 1.0)
    loc_p[-1] = len(locations) * 0.0003  # about 3 rows in 10,000 carry a quoted comma
    loc_p /= loc_p.sum()
    cats, cat_p = _normalised(CATEGORY_SHARES)
    cats = np.array(cats, dtype=object)
    outs, out_p = _normalised(OUTCOME_SHARES)
    outs = np.array(outs, dtype=object)
    shares = np.array([f[2] for f in FORCES])
    shares /= shares.sum()
    # Each force holds a contiguous block of LSOAs, as its area would.
    bounds = np.concatenate([[0], np.cumsum(np.round(shares * n_lsoa)).astype(int)])
    bounds[-1] = n_lsoa
    per_file = np.floor(rows * np.outer(np.ones(months), shares) / months).astype(int)
    per_file[0, 0] += rows - per_file.sum()  # months x forces files, `rows` rows in total
    written = 0
    n_files = 0
    for m in range(months):
        month = f"{2024 + m // 12}-{m % 12 + 1:02d}"
        (folder / month).mkdir(parents=True, exist_ok=True)
        for f, (slug, display, _) in enumerate(FORCES):
            n = int(per_file[m, f])
            lo, hi = bounds[f], bounds[f + 1]
            cat = cats[rng.choice(len(cats), n, p=cat_p)]
            asb = cat == "Anti-social behaviour"
            hexes = rng.bytes(32 * n).hex()
            ids = np.array([hexes[i : i + 64] for i in range(0, 64 * n, 64)], dtype=object)
            # about 0.15% of crimes repeat the Crime ID of an earlier row of the same file
            rep = np.flatnonzero(rng.random(n) < 0.0015)
            rep = rep[rep > 0]
            ids[rep] = ids[rng.integers(0, rep)]
            ids[asb] = None
            outcome = outs[rng.choice(len(outs), n, p=out_p)]
            outcome[asb] = None
            lsoa = rng.integers(lo, hi, n)
            away = rng.random(n) < 0.02  # rows in LSOAs outside the force area
            lsoa[away] = rng.integers(0, n_lsoa, away.sum())
            lon = centre_lon[lsoa] + rng.normal(0, 0.004, n)
            lat = centre_lat[lsoa] + rng.normal(0, 0.003, n)
            loc = locations[rng.choice(len(locations), n, p=loc_p)]
            none = rng.random(n) < 0.01
            code = codes[lsoa].astype(object)
            name = names[lsoa].astype(object)
            code[none] = None
            name[none] = None
            loc[none] = "No Location"
            lon_s = np.char.mod("%.6f", lon).astype(object)
            lat_s = np.char.mod("%.6f", lat).astype(object)
            lon_s[none] = None
            lat_s[none] = None
            columns = {
                "Crime ID": ids,
                "Month": np.full(n, month, dtype=object),
                "Reported by": np.full(n, display, dtype=object),
                "Falls within": np.full(n, display, dtype=object),
                "Longitude": lon_s,
                "Latitude": lat_s,
                "Location": loc,
                "LSOA code": code,
                "LSOA name": name,
                "Crime type": cat,
                "Last outcome category": outcome,
                "Context": np.full(n, None, dtype=object),
            }
            frame = pl.DataFrame(
                [pl.Series(k, v.tolist(), dtype=pl.String) for k, v in columns.items()]
            )
            frame.write_csv(folder / month / f"{month}-{slug}-street.csv", line_terminator="\r\n")
            written += n
            n_files += 1
    (folder / "generated.json").write_text(json.dumps({"rows": written, "seed": seed}))
    return n_files, written


# ---------------------------------------------------------------- contenders (subprocesses)


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def _machine_busy(seconds: float = 2.0) -> float | None:
    """Share of the machine's CPU time used (by anyone) over a short window, from /proc/stat."""
    try:
        with open("/proc/stat") as fh:
            a = [int(x) for x in fh.readline().split()[1:9]]
        time.sleep(seconds)
        with open("/proc/stat") as fh:
            b = [int(x) for x in fh.readline().split()[1:9]]
    except OSError:  # not Linux
        return None
    total = sum(b) - sum(a)
    idle = (b[3] + b[4]) - (a[3] + a[4])
    return (total - idle) / total if total else None


def _contender_csplib(folder: Path, cache: Path) -> dict:
    from csplib.ingest import read_policeuk

    t0, c0 = time.perf_counter(), _cpu_seconds()
    read = read_policeuk(folder, cache_dir=cache)
    counts = read.monthly_counts(by="lsoa")
    elapsed = time.perf_counter() - t0
    return {
        "cpu": _cpu_seconds() - c0,
        "rows": read.rows_read,
        "kept": read.rows_kept,
        "counts_rows": len(counts),
        "counted": int(counts["count"].sum()),
        "from_cache": read.from_cache,
        "seconds": elapsed,
    }


def _contender_incremental(folder: Path, cache: Path) -> dict:
    from csplib.ingest import read_policeuk

    months = sorted(p for p in folder.iterdir() if p.is_dir())
    read_policeuk(months[:-1], cache_dir=cache)  # not timed: the earlier months, cached
    t0, c0 = time.perf_counter(), _cpu_seconds()
    read = read_policeuk(months, cache_dir=cache)
    counts = read.monthly_counts(by="lsoa")
    elapsed = time.perf_counter() - t0
    new = read.files.loc[read.files["month"] == read.files["month"].max(), "rows_read"].sum()
    return {
        "rows": read.rows_read,
        "new_rows": int(new),
        "counted": int(counts["count"].sum()),
        "seconds": elapsed,
        "cpu": _cpu_seconds() - c0,
    }


def _contender_floor(folder: Path, out: Path) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    schema = {c: pl.String for c in COLUMNS}
    files = sorted(folder.glob("*/*-street.csv"))
    out.mkdir(parents=True)

    def one(item: tuple[int, Path]) -> int:
        i, path = item
        frame = pl.read_csv(
            path, has_header=False, skip_lines=1, schema=schema, truncate_ragged_lines=False
        )
        frame.write_parquet(out / f"part-{i:05d}.parquet", compression="uncompressed")
        return frame.height

    t0, c0 = time.perf_counter(), _cpu_seconds()
    with ThreadPoolExecutor(max_workers=2) as pool:
        rows = sum(pool.map(one, enumerate(files)))
    elapsed = time.perf_counter() - t0
    shutil.rmtree(out)
    return {"rows": rows, "seconds": elapsed, "cpu": _cpu_seconds() - c0}


def _contender_pandas(folder: Path) -> dict:
    import pandas as pd

    t0, c0 = time.perf_counter(), _cpu_seconds()
    files = sorted(folder.glob("*/*-street.csv"))
    frame = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    elapsed = time.perf_counter() - t0
    return {"rows": len(frame), "seconds": elapsed, "cpu": _cpu_seconds() - c0}


def _run_child(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    if args.child == "pandas":
        result = _contender_pandas(folder)
    elif args.child == "floor":
        result = _contender_floor(folder, Path(args.cache))
    elif args.child == "incremental":
        result = _contender_incremental(folder, Path(args.cache))
    else:
        result = _contender_csplib(folder, Path(args.cache))
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result))


def _spawn(kind: str, folder: Path, cache: Path) -> dict:
    if kind != "csplib":  # only a warm csplib run reuses its cache
        shutil.rmtree(cache, ignore_errors=True)
    busy = _machine_busy()
    cmd = [sys.executable, __file__, "--child", kind, "--dir", str(folder), "--cache", str(cache)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["busy_before"] = busy
    return result


COLD = "csplib cold (CSV -> parquet + counts)"
WARM = "csplib warm (from cache + counts)"
PLUS = "csplib + 1 month (11 cached; all rows)"
FLOOR = "polars floor (parse + parquet only)"
PANDAS = "pandas read_csv + concat"


def _report(runs: dict[str, list[dict]], load: tuple, load_after: tuple) -> None:
    print(
        f"\nload average {load[0]:.2f} before, {load_after[0]:.2f} after; 2 cores shared with "
        "other users: 'busy' is the machine's CPU use in the 2 s before a run"
    )
    print(
        f"{'contender':<38} {'runs':>4} {'rows':>10} {'median s':>8} {'M rows/s':>8} "
        f"{'best':>5} {'CPU s':>6} {'peak RSS':>9} {'busy':>5}"
    )
    summary = {}
    for name, rs in runs.items():
        seconds = sorted(r["seconds"] for r in rs)
        median = float(np.median(seconds))
        rows = rs[0]["rows"]
        known = [r["busy_before"] for r in rs if r["busy_before"] is not None]
        busy = f"{max(known):.0%}" if known else ""
        summary[name] = (rows / median / 1e6, rows / seconds[0] / 1e6)
        print(
            f"{name:<38} {len(rs):>4} {rows:>10,} {median:>8.2f} {rows / median / 1e6:>8.2f} "
            f"{rows / seconds[0] / 1e6:>5.2f} {np.median([r['cpu'] for r in rs]):>6.1f} "
            f"{max(r['peak_rss_mb'] for r in rs):>6,.0f} MB {busy:>5}"
        )
    cold = runs[COLD][0]
    peak = max(r["peak_rss_mb"] for r in runs[COLD])
    rate, best = summary[COLD]
    floor, _ = summary[FLOOR]
    print(
        f"\ncsplib cold: {rate:.2f} M rows/s median, {best:.2f} best (target >= 2); the floor "
        f"(parse + write, nothing checked) runs at {floor:.2f}, so the checks, typing, counts "
        f"and hashing cost {1 - rate / floor:.0%} of it; peak {peak:,.0f} MB (target < 1,000); "
        f"kept {cold['kept']:,}, counted {cold['counted']:,} in {cold['counts_rows']:,} "
        "month x category x LSOA cells"
    )
    plus = runs[PLUS][0]
    print(
        f"a month added to eleven cached: {plus['seconds']:.2f} s for {plus['rows']:,} rows, "
        f"of which {plus['new_rows']:,} new ({plus['new_rows'] / plus['seconds'] / 1e6:.2f} M "
        "new rows/s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=6_000_000, help="rows to generate")
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--dir", help="folder for the generated files (kept); default: temp")
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of the cold csplib read and of the floor"
    )
    parser.add_argument(
        "--child", choices=["csplib", "incremental", "floor", "pandas"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        _run_child(args)
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="csplib-bench-ingest-"))
    try:
        folder = Path(args.dir) if args.dir else tmp / "download"
        marker = folder / "generated.json"
        wanted = {"rows": args.rows, "seed": args.seed}
        if marker.exists() and json.loads(marker.read_text()) == wanted:
            print(f"reusing {args.rows:,} generated rows in {folder}")
        else:
            if folder.exists():
                shutil.rmtree(folder)
            t0 = time.perf_counter()
            n_files, n_rows = generate(folder, args.rows, months=args.months, seed=args.seed)
            size = sum(p.stat().st_size for p in folder.rglob("*.csv")) / 1e6
            print(
                f"generated {n_rows:,} rows in {n_files} files ({size:,.0f} MB) "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        cache = tmp / "cache"
        load = os.getloadavg()
        runs: dict[str, list[dict]] = {COLD: [], WARM: [], PLUS: [], FLOOR: [], PANDAS: []}
        for i in range(args.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            runs[COLD].append(_spawn("csplib", folder, cache))
            if i == 0:
                runs[WARM].append(_spawn("csplib", folder, cache))
                runs[PLUS].append(_spawn("incremental", folder, tmp / "incremental"))
                runs[PANDAS].append(_spawn("pandas", folder, tmp / "pandas"))
            runs[FLOOR].append(_spawn("floor", folder, tmp / "floor"))
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _report(runs, load, load_after)
    return 0


if __name__ == "__main__":
    sys.exit(main())
