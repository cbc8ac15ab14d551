"""Generate the whole synthetic dataset and its truth file."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from csplib.core.errors import ParamsError
from csplib.core.schema import ASB
from csplib.synth.calibration import (
    ASB_PATH,
    CATEGORIES,
    CITY_LA,
    COVID_ELASTICITY,
    FIRST_MONTH,
    FORCE_NAME,
    LAST_MONTH,
    LOCKDOWN_STRINGENCY,
    LSOA21_FROM,
    SEASONALITY,
    TARGETS,
    VB_INDEX,
    VICTIM_BASED_PATH,
    fy_label,
)
from csplib.synth.effects import (
    ASB_HOTSPOT,
    BURGLARY_SCHEME,
    LOW_MONTH,
    MISSING_MONTH,
    STABLE_CATEGORY,
    WEAPONS_RISE,
    describe_effects,
    planted_multipliers,
)
from csplib.synth.indicators import INDICATORS_FILE, indicators_table
from csplib.synth.levels import expected_counts, timeline
from csplib.synth.police import build_rows, draw_counts, publish_months, street_file_path
from csplib.synth.realdata import BASE_MONTHS, load_real_data
from csplib.synth.victims import partner_file_name, partner_year, victim_pools

__all__ = ["GENERATOR_VERSION", "OUTPUTS", "SynthResult", "generate"]

#: Version of the generator: part of ``truth.json``; changes whenever its output changes.
GENERATOR_VERSION = "1.0.0"
#: What :func:`generate` writes in ``out_dir`` (and removes first with ``overwrite=True``).
OUTPUTS: tuple[str, ...] = ("police_uk", "partner", INDICATORS_FILE, "truth.json", "README.md")


@dataclass(frozen=True)
class SynthResult:
    """What :func:`generate` wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
    seed : int
    generator_version : str
    police_uk_dir : pathlib.Path
        ``out_dir/police_uk``: ``YYYY-MM/YYYY-MM-nottinghamshire-street.csv`` files.
    partner_files : tuple of pathlib.Path
        One partner extract per financial year.
    indicators_file, truth_file, readme_file : pathlib.Path
    rows : dict
        Rows written: ``police_uk``, ``partner``, ``indicators``.
    truth : dict
        The content of ``truth.json``.
    seconds : float
        Time taken (not written anywhere, so the files stay identical between runs).
    """

    out_dir: Path
    seed: int
    generator_version: str
    police_uk_dir: Path
    partner_files: tuple[Path, ...]
    indicators_file: Path
    truth_file: Path
    readme_file: Path
    rows: dict
    truth: dict = field(repr=False)
    seconds: float = 0.0


def _check_args(seed, start, end, out_dir, overwrite) -> tuple[int, str, str, Path]:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamsError(f"seed must be a whole number >= 0, got {seed!r}")
    months = {}
    for name, value in (("start", start), ("end", end)):
        try:
            months[name] = np.datetime64(str(value), "M")
        except ValueError:
            raise ParamsError(f"{name} must be a month 'YYYY-MM', got {value!r}") from None
        if len(str(value)) != 7:
            raise ParamsError(f"{name} must be a month 'YYYY-MM', got {value!r}")
        if not np.datetime64(FIRST_MONTH) <= months[name] <= np.datetime64(LAST_MONTH):
            raise ParamsError(
                f"{name} {value} is outside the months the generator covers "
                f"({FIRST_MONTH} to {LAST_MONTH})"
            )
    if months["start"] > months["end"]:
        raise ParamsError(f"start {start} is after end {end}")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ParamsError(f"out_dir {out_dir} exists and is not a folder")
    present = [name for name in OUTPUTS if (out_dir / name).exists()]
    if present and not overwrite:
        raise ParamsError(
            f"{out_dir} already holds generated data ({', '.join(present)}); "
            "choose an empty folder or pass overwrite=True"
        )
    return int(seed), str(start), str(end), out_dir


def _clear(out_dir: Path) -> None:
    for name in OUTPUTS:
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def generate(
    seed: int,
    out_dir,
    *,
    data_dir="data",
    start: str = FIRST_MONTH,
    end: str = LAST_MONTH,
    overwrite: bool = False,
) -> SynthResult:
    """Write the synthetic dataset: police.uk street files, partner extract, indicators.

    The data are calibrated to Nottingham's real police.uk data and to the partnership's
    published figures, and hold the planted effects described in ``truth.json`` (see
    ``docs/synthetic_data.md``). The same seed gives byte-identical files.

    Parameters
    ----------
    seed : int
        Seed of every random draw (>= 0).
    out_dir : str or path-like
        Folder to write into (created if needed). It receives ``police_uk/``,
        ``partner/``, ``synthetic_indicators.csv``, ``truth.json`` and ``README.md``.
    data_dir : str or path-like, default "data"
        The project's data folder, holding the real files the generator is calibrated on
        (``police_uk/`` zips and ``reference/``).
    start, end : str, default "2014-04" and "2025-03"
        First and last month written (``YYYY-MM``). Whole financial years are drawn and
        cut, so a month's data do not depend on the span asked for.
    overwrite : bool, default False
        Replace the generator's outputs already in ``out_dir`` (other files are left alone).

    Returns
    -------
    SynthResult

    Raises
    ------
    csplib.core.errors.ParamsError
        A bad seed or month, or ``out_dir`` already holds generated data.
    csplib.core.errors.DataError
        A real input file is missing or unreadable.

    Examples
    --------
    >>> import tempfile
    >>> res = generate(7, tempfile.mkdtemp(), start="2019-04", end="2019-05")
    >>> [p.parent.name for p in sorted(res.police_uk_dir.glob("*/*.csv"))]
    ['2019-04', '2019-05']
    >>> res.truth["synthetic"], res.truth["seed"]
    (True, 7)
    """
    clock = time.perf_counter()
    seed, start, end, out_dir = _check_args(seed, start, end, out_dir, overwrite)
    real = load_real_data(data_dir)
    tl = timeline()
    effects = planted_multipliers(tl.months, real.lsoa)
    levels = expected_counts(real, effects, tl)
    pools = victim_pools(real, levels.base, seed)
    first, last = tl.index(start), tl.index(end)
    years = sorted(set(tl.fy[first : last + 1].tolist()))

    if out_dir.exists():
        _clear(out_dir)
    police_dir = out_dir / "police_uk"
    partner_dir = out_dir / "partner"
    police_dir.mkdir(parents=True)
    partner_dir.mkdir()

    true_counts = np.zeros(levels.mu.shape, dtype=np.int64)
    month_stats, partner_info, partner_files = {}, {}, []
    street_rows = partner_rows = 0
    for year in years:
        counts = draw_counts(levels, real, tl, seed, year)
        months = np.flatnonzero(tl.fy == year)
        true_counts[months] = counts
        year_rows = build_rows(counts, real, tl, seed, year)
        frames, stats = publish_months(year_rows, tl, seed)
        for t in months[(months >= first) & (months <= last)]:
            label = tl.labels[t]
            month_stats[label] = stats[label]
            if label in frames:
                path = street_file_path(police_dir, label)
                path.parent.mkdir()
                frames[label].write_csv(path, null_value="", line_terminator="\n")
                street_rows += frames[label].height
        city = year_rows.rows.filter(pl.col("city") & (pl.col("c") != CATEGORIES.index(ASB)))
        frame, info = partner_year(city, real, pools, tl, seed, year)
        keep = (frame["date"] >= f"{tl.labels[max(first, months[0])]}-01") & (
            frame["date"].str.slice(0, 7) <= tl.labels[min(last, months[-1])]
        )
        frame = frame.filter(keep)
        path = partner_dir / partner_file_name(year)
        frame.write_csv(path, null_value="", line_terminator="\n")
        partner_files.append(path)
        partner_rows += frame.height
        info["complete_year"] = bool(months[0] >= first and months[-1] <= last)
        info["rows_written"] = frame.height
        partner_info[fy_label(year)] = info

    table, indicator_info = indicators_table(seed, start, end)
    indicators_file = out_dir / INDICATORS_FILE
    table.write_csv(indicators_file, null_value="", line_terminator="\n")

    truth = _truth(
        seed,
        start,
        end,
        real,
        tl,
        levels,
        true_counts,
        years,
        month_stats,
        partner_info,
        indicator_info,
        first,
        last,
    )
    truth["files"] = {
        "police_uk": {
            "folder": "police_uk",
            "files": sum(1 for s in month_stats.values() if s["rows_written"]),
            "rows": street_rows,
        },
        "partner": [p.relative_to(out_dir).as_posix() for p in partner_files],
        "partner_rows": partner_rows,
        "indicators": INDICATORS_FILE,
        "indicator_rows": table.height,
    }
    truth_file = out_dir / "truth.json"
    truth_file.write_text(json.dumps(truth, indent=1, default=_plain) + "\n", encoding="utf-8")
    readme = out_dir / "README.md"
    readme.write_text(_readme(seed, start, end), encoding="utf-8")
    return SynthResult(
        out_dir=out_dir,
        seed=seed,
        generator_version=GENERATOR_VERSION,
        police_uk_dir=police_dir,
        partner_files=tuple(partner_files),
        indicators_file=indicators_file,
        truth_file=truth_file,
        readme_file=readme,
        rows={"police_uk": street_rows, "partner": partner_rows, "indicators": table.height},
        truth=json.loads(json.dumps(truth, default=_plain)),
        seconds=time.perf_counter() - clock,
    )


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to truth.json")


def _readme(seed: int, start: str, end: str) -> str:
    return (
        "# SYNTHETIC DATA - not real crime records\n\n"
        f"Generated by csplib.synth {GENERATOR_VERSION} with seed {seed}, months {start} to "
        f"{end}. Every row is simulated. The street files copy the format of police.uk "
        "downloads and reuse real place names and snapped points of Nottingham and its "
        "neighbours, but no row describes a real incident; the partner extract's victims are "
        "invented pseudonyms. `truth.json` lists the calibration targets, the effects planted "
        "for the methods to find and the defects planted in the files. See "
        "docs/synthetic_data.md in the csplib repository.\n\n"
        "- `police_uk/YYYY-MM/YYYY-MM-nottinghamshire-street.csv`: monthly street files\n"
        "- `partner/synthetic_crimes_YYYY-YY.csv`: partner crime extract, one file a year\n"
        f"- `{INDICATORS_FILE}`: survey, treatment, MARAC, fires, hospital admissions\n"
        "- `truth.json`: what was planted, and the values achieved\n"
    )


# ------------------------------------------------------------------------------ truth
def _truth(
    seed,
    start,
    end,
    real,
    tl,
    levels,
    counts,
    years,
    month_stats,
    partner_info,
    indicator_info,
    first,
    last,
) -> dict:
    city = real.lsoa["city"].to_numpy()
    vb = list(VB_INDEX)
    asb = CATEGORIES.index(ASB)
    complete = [
        y for y in years if (tl.fy == y).sum() == ((tl.fy == y) & _span(tl, first, last)).sum()
    ]
    written = [label for label, s in month_stats.items() if s["rows_written"]]

    def fy_total(cats, year, published=False) -> int:
        if not published:
            return int(counts[tl.fy == year][:, city][:, :, cats].sum())
        return int(
            sum(
                sum(month_stats[tl.labels[t]]["city_counts"][c] for c in cats)
                for t in np.flatnonzero(tl.fy == year)
                if tl.labels[t] in written
            )
        )

    def series(name, path, cats, target_key):
        out = {}
        for year in complete:
            target = TARGETS[target_key].get(year)
            out[fy_label(year)] = {
                "value": path[year],
                "source": "published target" if target is not None else "assumed path",
                "achieved": fy_total(cats, year),
                "in_published_files": fy_total(cats, year, published=True),
            }
        return out

    hate = {
        label: {
            "value": info["hate_repeat_victim_pct_target"],
            "source": "published target"
            if int(label[:4]) in TARGETS["hate_repeat_victim_pct"]
            else "assumed path",
            "achieved": info["hate_repeat_victim_pct"],
            "hate_crimes": info["hate_crimes"],
            "hate_victims": info["hate_victims"],
        }
        for label, info in partner_info.items()
        if info["complete_year"]
    }
    calibration = {
        "note": "city = the 182 Nottingham LSOA11s (179 LSOA21s from "
        f"{LSOA21_FROM}); counts per financial year. 'achieved' counts every generated "
        "incident with a city LSOA; 'in_published_files' leaves out the missing and low "
        "months (and never counts duplicate copies or rows without an LSOA).",
        "victim_based_crime": series("vb", VICTIM_BASED_PATH, vb, "victim_based_crime"),
        "asb_incidents": series("asb", ASB_PATH, [asb], "asb_incidents"),
        "hate_repeat_victim_pct": hate,
        "treatment_successful_completions_pct": indicator_info[
            "treatment_successful_completions_pct"
        ],
        "asb_experience_pct": indicator_info["asb_experience_pct"],
        "category_totals_city": {
            CATEGORIES[c]: {fy_label(y): fy_total([c], y) for y in complete}
            for c in range(len(CATEGORIES))
        },
        "group_level_anchors": {
            k: {fy_label(y): round(v, 6) for y, v in d.items()} for k, d in levels.anchors.items()
        },
        "seasonality": {
            c: dict(zip(("amplitude", "peak_month", "december_bump"), v, strict=True))
            for c, v in SEASONALITY.items()
        },
        "covid": {
            "elasticity": COVID_ELASTICITY,
            "stringency": [list(x) for x in LOCKDOWN_STRINGENCY],
            **_covid_check(tl, counts, city, first, last),
        },
        "real_mix": _mix_check(real, tl, counts, first, last),
        "deprivation_gradient": _deprivation(real, tl, counts, complete),
    }
    effects = describe_effects(real.lsoa)
    _effects_achieved(effects, real, tl, counts, complete, first, last)
    publication = _publication(month_stats, tl, first, last)
    return {
        "synthetic": True,
        "generator": "csplib.synth",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "span": {
            "first_month": start,
            "last_month": end,
            "complete_financial_years": [fy_label(y) for y in complete],
        },
        "area": {
            "name": "Nottingham",
            "la_code": CITY_LA,
            "force": FORCE_NAME,
            "lsoa11": int(city.sum()),
            "lsoa21": int(real.conversion.loc[city[real.conversion["l"]], "code21"].nunique()),
            "outside_lsoa11": int((~city).sum()),
            "lsoa_vintage": {
                "2011": f"{FIRST_MONTH} to {_before(LSOA21_FROM)}",
                "2021": f"{LSOA21_FROM} to {LAST_MONTH}",
            },
        },
        "real_inputs_sha256": real.hashes,
        "calibration": calibration,
        "effects": effects,
        "publication": publication,
        "partner": partner_info,
        "indicators": indicator_info["annual_counts"],
    }


def _before(label: str) -> str:
    return str(np.datetime64(label, "M") - 1)


def _span(tl, first, last) -> np.ndarray:
    t = np.arange(len(tl.months))
    return (t >= first) & (t <= last)


def _covid_check(tl, counts, city, first, last) -> dict:
    a19, a20 = tl.index("2019-04"), tl.index("2020-04")
    if not (first <= a19 and a20 <= last):
        return {}
    vb = list(VB_INDEX)
    asb = CATEGORIES.index(ASB)

    def ratio(cats):
        return round(counts[a20][city][:, cats].sum() / counts[a19][city][:, cats].sum(), 4)

    return {"april_2020_vs_april_2019": {"victim_based": ratio(vb), "asb": ratio([asb])}}


def _mix_check(real, tl, counts, first, last) -> dict:
    idx = [tl.index(m) for m in BASE_MONTHS]
    if not (first <= idx[0] and idx[-1] <= last):
        return {}
    city = real.lsoa["city"].to_numpy()
    generated = counts[idx].sum(axis=0)[city].ravel().astype(float)
    observed = real.counts[city].ravel().astype(float)
    shares_g = generated / generated.sum()
    shares_o = observed / observed.sum()
    return {
        "months": list(BASE_MONTHS),
        "real_rows_city": int(observed.sum()),
        "generated_rows_city": int(generated.sum()),
        "pearson_lsoa_x_category": round(float(np.corrcoef(generated, observed)[0, 1]), 4),
        "max_abs_share_difference": round(float(np.abs(shares_g - shares_o).max()), 5),
    }


def _deprivation(real, tl, counts, complete) -> dict:
    if 2018 not in complete:
        return {}
    city = real.lsoa["city"].to_numpy()
    lsoa = real.lsoa[city]
    generated = counts[tl.fy == 2018][:, city].sum(axis=(0, 2))
    observed = real.counts[city].sum(axis=1) * 12 / len(BASE_MONTHS)
    out = {}
    for decile in sorted(lsoa["imd_decile"].unique()):
        rows = (lsoa["imd_decile"] == decile).to_numpy()
        pop = lsoa["population"].to_numpy()[rows].sum()
        out[str(decile)] = {
            "lsoas": int(rows.sum()),
            "generated_per_1000_2018_19": round(1000 * generated[rows].sum() / pop, 1),
            "real_per_1000_annualised": round(1000 * observed[rows].sum() / pop, 1),
        }
    return {
        "note": "incidents (crime and ASB) per 1,000 residents (mid-2019) by IMD 2019 "
        "decile (1 = most deprived)",
        "by_decile": out,
    }


def _effects_achieved(effects, real, tl, counts, complete, first, last) -> None:
    city = real.lsoa["city"].to_numpy()
    ward = real.lsoa["ward"].to_numpy()

    def by_year(cats_idx, rows):
        return {
            fy_label(y): int(counts[tl.fy == y][:, rows][:, :, cats_idx].sum()) for y in complete
        }

    for key, spec in (("weapons_rise", WEAPONS_RISE), ("burglary_scheme", BURGLARY_SCHEME)):
        c = CATEGORIES.index(spec["category"])
        inside = np.isin(ward, spec["wards"])
        effects[key]["achieved"] = {
            "in_wards": by_year([c], inside),
            "rest_of_city": by_year([c], city & ~inside),
        }
    c = CATEGORIES.index(ASB_HOTSPOT["category"])
    spot = (real.lsoa["code"] == ASB_HOTSPOT["lsoa11"]).to_numpy()
    s = tl.index(ASB_HOTSPOT["from_month"])
    if first <= s - 12 and s + 11 <= last:
        before = counts[s - 12 : s][:, spot, c].sum() / 12
        after = counts[s : s + 12][:, spot, c].sum() / 12
        effects["asb_hotspot"]["achieved"] = {
            "mean_per_month_12_months_before": round(float(before), 2),
            "mean_per_month_12_months_after": round(float(after), 2),
        }
    c = CATEGORIES.index(STABLE_CATEGORY)
    effects["stable_category"]["achieved"] = {"city_totals": by_year([c], city)}
    effects["missing_month"]["in_span"] = first <= tl.index(MISSING_MONTH) <= last
    effects["low_month"]["in_span"] = first <= tl.index(LOW_MONTH["month"]) <= last


def _publication(month_stats, tl, first, last) -> dict:
    totals = {
        key: int(sum(s.get(key, 0) for s in month_stats.values()))
        for key in (
            "rows_written",
            "rows_city",
            "rows_outside",
            "no_lsoa_rows",
            "duplicate_rows",
            "duplicate_rows_city",
            "low_month_rows_removed",
            "missing_month_rows",
        )
    }
    missing = [m for m, s in month_stats.items() if s["rows_written"] == 0]
    return {
        "missing_months": missing,
        "low_months": [
            {
                "month": m,
                "category": LOW_MONTH["category"],
                "rows_removed": s["low_month_rows_removed"],
                "rows_kept": s["low_month_rows_kept"],
            }
            for m, s in month_stats.items()
            if "low_month_rows_removed" in s
        ],
        "rows_written": totals["rows_written"],
        "rows_with_city_lsoa": totals["rows_city"],
        "rows_outside_city": totals["rows_outside"],
        "share_outside_city": round(totals["rows_outside"] / max(totals["rows_written"], 1), 4),
        "rows_without_lsoa": totals["no_lsoa_rows"],
        "duplicate_crime_ids": {
            "extra_rows": totals["duplicate_rows"],
            "extra_rows_city": totals["duplicate_rows_city"],
            "note": "each is a second row with the Crime ID of an earlier row of the same "
            "file (same place and category, another outcome)",
        },
        "expected_rejections": {
            "no_lsoa": totals["no_lsoa_rows"],
            "duplicate_crime_id": totals["duplicate_rows"],
        },
        "by_month": month_stats,
    }


def ensure_generated(seed: int, out_dir, *, data_dir="data") -> Path:
    """Generate the full dataset into ``out_dir`` unless it is already there.

    The folder counts as generated when its ``truth.json`` (written last) records the same
    seed, generator version and the full span; otherwise the generator's outputs are
    rewritten. This is how parameters files name a synthetic source: by seed and folder.

    Returns
    -------
    Path
        ``out_dir``.
    """
    out_dir = Path(out_dir)
    truth_file = out_dir / "truth.json"
    if truth_file.is_file():
        try:
            truth = json.loads(truth_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            truth = {}
        span = truth.get("span", {})
        if (
            truth.get("seed") == seed
            and truth.get("generator_version") == GENERATOR_VERSION
            and span.get("first_month") == FIRST_MONTH
            and span.get("last_month") == LAST_MONTH
        ):
            return out_dir
    generate(seed, out_dir, data_dir=data_dir, overwrite=True)
    return out_dir
