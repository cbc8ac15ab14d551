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
from csplib.synth.area import AREA_MODEL_VERSION, area_inputs, is_nottingham
from csplib.synth.calibration import (
    CATEGORIES,
    CITY_LA,
    FIRST_MONTH,
    LAST_MONTH,
    fy_label,
)
from csplib.synth.effects import planted_multipliers
from csplib.synth.indicators import INDICATORS_FILE, indicators_table
from csplib.synth.levels import expected_counts, timeline
from csplib.synth.police import build_rows, draw_counts, publish_months, street_file_path
from csplib.synth.realdata import load_real_data
from csplib.synth.truth import build_truth
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
        ``out_dir/police_uk``: ``YYYY-MM/YYYY-MM-<force>-street.csv`` files.
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
    area=None,
) -> SynthResult:
    """Write the synthetic dataset: police.uk street files, partner extract, indicators.

    Without ``area`` (or for Nottingham's authority, E06000018) the data are calibrated to
    Nottingham's real police.uk data and to the partnership's published figures. For any
    other partnership the volumes come from a model of incidents per resident by
    deprivation fitted to the real Nottinghamshire force file, with Nottingham's trends,
    seasonality and Covid-19 shock (:mod:`csplib.synth.area`). Either way the data hold
    the planted effects described in ``truth.json`` (see ``docs/synthetic_data.md``). The
    same seed (and area) gives byte-identical files.

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
    area : csplib.ingest.geography.Geography, optional
        The partnership to generate for (built by the caller: ``csplib.synth`` may not
        import ``csplib.ingest``), e.g. ``Geography("data/reference", csp_code="E22000345")``
        for Leeds. Default: Nottingham.

    Returns
    -------
    SynthResult

    Raises
    ------
    csplib.core.errors.ParamsError
        A bad seed or month, ``out_dir`` already holds generated data, or the area's
        authorities span several police forces.
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
    if is_nottingham(area):
        real = load_real_data(data_dir)
    else:
        real = area_inputs(area, data_dir, seed)
    profile = real.profile
    tl = timeline()
    effects = planted_multipliers(tl.months, real.lsoa, profile.places)
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
        frames, stats = publish_months(year_rows, tl, seed, profile.force_name)
        for t in months[(months >= first) & (months <= last)]:
            label = tl.labels[t]
            month_stats[label] = stats[label]
            if label in frames:
                path = street_file_path(police_dir, label, profile.force_slug)
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

    table, indicator_info = indicators_table(seed, start, end, profile)
    indicators_file = out_dir / INDICATORS_FILE
    table.write_csv(indicators_file, null_value="", line_terminator="\n")

    truth = build_truth(
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
        GENERATOR_VERSION,
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
    readme.write_text(_readme(seed, start, end, profile), encoding="utf-8")
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


def _readme(seed: int, start: str, end: str, profile) -> str:
    if profile.calibrated:
        places = (
            "reuse real place names and snapped points of Nottingham and its neighbours, but "
            "no row describes a real incident"
        )
    else:
        places = (
            f"are drawn for {profile.name} ({', '.join(profile.la_codes)}) from a model of "
            "crime per resident by deprivation, with invented places inside the real LSOA "
            "boundaries; no row describes a real incident"
        )
    return (
        "# SYNTHETIC DATA - not real crime records\n\n"
        f"Generated by csplib.synth {GENERATOR_VERSION} with seed {seed}, months {start} to "
        f"{end}. Every row is simulated. The street files copy the format of police.uk "
        f"downloads and {places}; the partner extract's victims are "
        "invented pseudonyms. `truth.json` lists the calibration targets, the effects planted "
        "for the methods to find and the defects planted in the files. See "
        "docs/synthetic_data.md in the csplib repository.\n\n"
        f"- `police_uk/YYYY-MM/YYYY-MM-{profile.force_slug}-street.csv`: monthly street files\n"
        "- `partner/synthetic_crimes_YYYY-YY.csv`: partner crime extract, one file a year\n"
        f"- `{INDICATORS_FILE}`: survey, treatment, MARAC, fires, hospital admissions\n"
        "- `truth.json`: what was planted, and the values achieved\n"
    )


def ensure_generated(seed: int, out_dir, *, data_dir="data", area=None) -> Path:
    """Generate the full dataset into ``out_dir`` unless it is already there.

    The folder counts as generated when its ``truth.json`` (written last) records the same
    seed, generator version, full span and area (its local authorities, and for an area
    other than Nottingham the model version); otherwise the generator's outputs are
    rewritten. This is how parameters files name a synthetic source: by seed and folder
    (and their own area).

    Parameters
    ----------
    seed : int
    out_dir : str or path-like
    data_dir : str or path-like, default "data"
    area : csplib.ingest.geography.Geography, optional
        As for :func:`generate`; default Nottingham.

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
            and _same_area(truth.get("area", {}), area)
        ):
            return out_dir
    generate(seed, out_dir, data_dir=data_dir, overwrite=True, area=area)
    return out_dir


def _same_area(recorded: dict, area) -> bool:
    """Whether a truth file's ``area`` is the one asked for (None: Nottingham)."""
    codes = recorded.get("la_codes") or [recorded.get("la_code")]
    if is_nottingham(area):
        return codes == [CITY_LA]
    return (
        sorted(codes) == sorted(area.la_codes)
        and recorded.get("model_version") == AREA_MODEL_VERSION
    )
