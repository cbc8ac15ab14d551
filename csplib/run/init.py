"""``csp init``: a ready parameters file for any partnership of England and Wales.

An analyst names their partnership (a CSP or local authority name, or code) and gets a
parameters file with everything the national reference data know about it: its local
authorities, its police force (whose offence mix weighs harm), partnership-neutral themes
and the generic performance framework (no targets). With ``--police-uk`` the file points at
their download and the assessed period is chosen from the months it holds; with
``--synthetic SEED`` it runs on synthetic data generated for the area's own LSOAs.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "data").symlink_to(pathlib.Path("data").resolve())
>>> text = parameters_text(find_partnership("data/reference", "Mansfield"), root=root,
...                        out=root / "parameters" / "mansfield.yaml", synthetic_seed=7)
>>> print(text.split("area:")[1].split("data:")[0].strip())
name: Mansfield
  csp_code: E22000255
  la_codes: [E07000174]  # Mansfield
  lsoa_vintage: "2021"
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd

from csplib.core.errors import ParamsError
from csplib.core.forces import force_label
from csplib.core.periods import Period
from csplib.ingest.geography import Partnership, find_partnership, list_partnerships
from csplib.ingest.policeuk_sources import discover

__all__ = [
    "choose_period",
    "init_parameters",
    "parameters_text",
    "partnerships_text",
    "project_reference",
]

#: The baseline written for synthetic data: the last financial year before the Covid-19
#: shock the synthetic series carry.
SYNTHETIC_BASELINE = "2018/19"

#: Themes every partnership can report from police.uk alone (themes that need the partner
#: extract's flags, such as domestic abuse and hate crime, are written as a comment).
GENERIC_THEMES: dict[str, tuple[str, list[str]]] = {
    "asb": ("Anti-social behaviour", ["Anti-social behaviour"]),
    "violence": ("Violence and sexual offences", ["Violence and sexual offences"]),
    "acquisitive": (
        "Acquisitive crime",
        [
            "Burglary",
            "Robbery",
            "Vehicle crime",
            "Theft from the person",
            "Bicycle theft",
            "Shoplifting",
            "Other theft",
        ],
    ),
    "drugs": ("Drugs", ["Drugs"]),
    "weapons": ("Possession of weapons", ["Possession of weapons"]),
    "damage_disorder": (
        "Criminal damage and public order",
        ["Criminal damage and arson", "Public order"],
    ),
}


def choose_period(months) -> Period:
    """The period to assess from the months a download holds.

    The latest financial year whose twelve months are all present; else the latest run of
    consecutive months present, ending at the last month and at most twelve long (so a
    download of a few months is assessed as those months, compared with the same months a
    year earlier where the download has them).

    Examples
    --------
    >>> months = pd.date_range("2022-01-01", "2024-06-01", freq="MS")
    >>> choose_period(months).label
    '2023/24'
    >>> choose_period(pd.to_datetime(["2016-07-01", "2017-07-01", "2018-07-01"])).label
    'Jul 18'
    >>> choose_period(pd.date_range("2024-01-01", "2024-03-01", freq="MS")).label
    'Jan 24 - Mar 24'
    """
    present = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(months).to_period("M").to_timestamp())))
    if present.empty:
        raise ParamsError("the police.uk download holds no months")
    have = set(present)
    last = present[-1]
    fy_start = last.year if last.month >= 4 else last.year - 1
    for year in range(fy_start, present[0].year - 2, -1):
        fy = Period.financial_year(year)
        if all(m in have for m in fy.months):
            return fy
    start = last
    while (
        len(pd.date_range(start, last, freq="MS")) < 12 and start - pd.DateOffset(months=1) in have
    ):
        start = start - pd.DateOffset(months=1)
    return Period.window(start, last)


def _window_yaml(period: Period) -> str:
    if period.label.count("/") == 1 and period.n_months == 12:
        return f'"{period.label}"'
    return f'{{start: "{period.start:%Y-%m}", end: "{period.end:%Y-%m}"}}'


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(start))).as_posix()


def parameters_text(
    area: Partnership,
    *,
    root: Path,
    out: Path,
    police_uk: list[Path] | None = None,
    period: Period | None = None,
    synthetic_seed: int | None = None,
    today: dt.date | None = None,
) -> str:
    """The parameters file for ``area`` as YAML text, with comments for the analyst.

    Parameters
    ----------
    area : Partnership
        From :func:`csplib.ingest.geography.find_partnership`.
    root : path
        The project folder (holding ``data/reference``); paths in the file are relative
        to it.
    out : path
        Where the file will be written (its ``root:`` is the way back to ``root``).
    police_uk : list of path, optional
        The analyst's police.uk download(s). Unset, the file names
        ``data/police_uk/<force>`` to fill in (or the synthetic data).
    period : Period, optional
        The assessed period; default the last complete financial year before ``today``.
    synthetic_seed : int, optional
        Run on synthetic data generated for the area with this seed instead.
    """
    today = today or dt.date.today()
    baseline = None
    if synthetic_seed is not None:
        from csplib.synth.calibration import FIRST_MONTH, LAST_MONTH

        months = pd.date_range(f"{FIRST_MONTH}-01", f"{LAST_MONTH}-01", freq="MS")
        period = period or choose_period(months)
        baseline = SYNTHETIC_BASELINE
    if period is None:
        last_march = today.year - 1 if today.month < 4 else today.year
        period = Period.financial_year(last_march - 1)
    year = period.end.year
    out_dir = out.parent
    force_slug = force_label(area.force_name)[1]
    lines = [
        f"# Parameters for the {area.name} Community Safety Partnership's strategic assessment,",
        f"# written by `csp init` on {today:%d %B %Y}. Check them with `csp params check "
        f"{_relative(out, root)}`",
        f"# and run the assessment with `csp assess --params {_relative(out, root)}`.",
        '# Every key is described in README.md ("Parameters").',
        f"root: {_relative(root, out_dir)}",
        "assessment:",
        f"  year: {year}",
        "  title: Community Safety Strategic Assessment",
        f"  period: {_window_yaml(period)}",
        (
            f'  baseline: "{baseline}"  # the year the synthetic series are compared with'
            if baseline
            else '  # baseline: "2019/20"   # a year to compare with (targets are set against it)'
        ),
        "area:",
        f"  name: {area.name}",
    ]
    if area.csp_code:
        lines.append(f"  csp_code: {area.csp_code}")
    lines.append(f"  la_codes: [{', '.join(area.la_codes)}]  # {', '.join(area.la_names)}")
    lines += ['  lsoa_vintage: "2021"', "data:"]
    if synthetic_seed is not None:
        lines += [
            "  # Synthetic data generated on first use for this area's own LSOAs (csp synth).",
            f"  synthetic: {{seed: {synthetic_seed}, dir: .cache/synthetic/{area.slug}"
            f"-seed-{synthetic_seed}}}",
        ]
    elif police_uk:
        listed = ", ".join(_relative(p, root) for p in police_uk)
        lines += [
            "  # Your police.uk download(s): zips or folders of YYYY-MM/YYYY-MM-<force>-street.csv",
            f"  police_uk: [{listed}]",
        ]
    else:
        lines += [
            f"  # Download {area.force_name}'s street-level crime for the months you need from",
            "  # https://data.police.uk/data/ and put the zip (or its folder) here:",
            f"  police_uk: [data/police_uk/{force_slug}]",
        ]
    lines += [
        "  # partner_extract: [data/partner/]   # crimes with victim ids and hate/domestic flags",
        "  # indicators: data/indicators.csv    # survey, treatment and partner indicators",
        f"  reference_dir: {_relative(root / 'data' / 'reference', root)}",
        f"  cache_dir: .cache/csplib/{area.slug}",
        "# The performance framework: unset, the generic police.uk measures with no targets.",
        "# Name your plan's measures and targets in a file (docs/framework.md):",
        "# framework: parameters/<your-partnership>/framework.yaml",
        "harm:",
        f"  force: {area.force_name}  # whose offence mix weighs police.uk categories",
        "themes:",
    ]
    for key, (name, categories) in GENERIC_THEMES.items():
        lines += [f"  {key}:", f"    name: {name}", f"    categories: [{', '.join(categories)}]"]
    lines += [
        "  # With a partner extract, themes can select flagged crimes, e.g.:",
        "  # domestic_abuse: {name: Domestic abuse, flags: {domestic: true}}",
        "  # hate: {name: Hate crime, flags: {hate: true}}",
        "thresholds:",
        "  suppress_below: 5  # counts under this are hidden in shared outputs",
        "",
    ]
    return "\n".join(lines)


def init_parameters(
    query: str,
    *,
    root: str | os.PathLike = ".",
    out: str | os.PathLike | None = None,
    police_uk=None,
    synthetic_seed: int | None = None,
    overwrite: bool = False,
    today: dt.date | None = None,
) -> tuple[Path, Partnership, Period]:
    """Write a parameters file for the partnership ``query`` names.

    Parameters
    ----------
    query : str
        A CSP or local authority name or code (:func:`find_partnership`).
    root : path
        The project folder (default the current one); must hold ``data/reference``.
    out : path, optional
        The file to write; default ``parameters/<name>.yaml`` under ``root``.
    police_uk : path or list of paths, optional
        The download(s) to read; the assessed period is chosen from their months
        (:func:`choose_period`).
    synthetic_seed : int, optional
        Use synthetic data for the area instead of a download.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    (path written, the partnership, the assessed period)

    Raises
    ------
    ParamsError
        Unknown partnership (with close matches), an existing file, a download with no
        police.uk files or none for the area's force.
    """
    root = Path(root)
    area = find_partnership(project_reference(root), query)
    out = Path(out) if out is not None else root / "parameters" / f"{area.slug}.yaml"
    if out.exists() and not overwrite:
        raise ParamsError(f"{out} already exists; choose another --out or pass --force")
    if police_uk is not None and synthetic_seed is not None:
        raise ParamsError("give either --police-uk or --synthetic, not both")
    period = None
    paths = None
    if police_uk is not None:
        paths = [Path(p) for p in ([police_uk] if isinstance(police_uk, str | Path) else police_uk)]
        sources = discover(paths)
        street = [e for e in sources.entries if e.kind == "street"]
        if not street:
            raise ParamsError(f"no police.uk street files in {', '.join(map(str, paths))}")
        slug = force_label(area.force_name)[1]
        street = [e for e in street if e.force == slug]
        if not street:
            found = ", ".join(sorted({e.force for e in sources.entries})) or "none"
            raise ParamsError(
                f"the download holds no street files of {area.name}'s force, "
                f"{area.force_name} (file names YYYY-MM-{slug}-street.csv); its forces: "
                f"{found}. Download {area.force_name}'s months from https://data.police.uk/data/"
            )
        period = choose_period([pd.Timestamp(e.month) for e in street])
    text = parameters_text(
        area,
        root=root,
        out=out,
        police_uk=paths,
        period=period,
        synthetic_seed=synthetic_seed,
        today=today,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out, area, period


def project_reference(root=".") -> Path:
    """The national reference data of the project folder ``root`` (``data/reference``).

    Raises
    ------
    ParamsError
        When ``root`` is not a project folder.
    """
    reference = Path(root) / "data" / "reference"
    if not reference.is_dir():
        raise ParamsError(
            f"{Path(root).resolve()} has no data/reference: run csp init in the project folder"
        )
    return reference


def partnerships_text(reference_dir) -> str:
    """Every partnership, one line each: code, name, authorities, force (``csp init --list``).

    Examples
    --------
    >>> [line for line in partnerships_text("data/reference").splitlines()
    ...  if "Rushcliffe" in line]
    ['E22000366  South Nottinghamshire  (Broxtowe; Gedling; Rushcliffe)  Nottinghamshire']
    """
    table = list_partnerships(reference_dir)
    out = []
    for code, row in table.iterrows():
        authorities = "" if row["la_names"] == row["csp_name"] else f"  ({row['la_names']})"
        out.append(f"{code}  {row['csp_name']}{authorities}  {row['force_name']}")
    return "\n".join(out)
