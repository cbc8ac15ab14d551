"""Partnerships other than Nottingham, set up only with ``csp init``, as a new user would.

Two runs, each once per session:

* **real data**: Mansfield (a district of Nottinghamshire) on the real police.uk months that
  ship in ``data/police_uk`` (Oct 2018 - Feb 2019 and Jan - Mar 2024), with the chapters
  those months can support: Volume, Harm, Places and Performance;
* **synthetic data**: Bradford (a metropolitan borough of West Yorkshire) on synthetic data
  generated for its own LSOAs (``csp init --synthetic``), every chapter and theme pack.

Every page of both is checked for Nottingham's words, wards and targets.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from csplib.core.schema import ASB

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
ZIPS = [
    DATA / "police_uk" / "nottinghamshire_2018-10_2019-02.zip",
    DATA / "police_uk" / "nottinghamshire_2024-01_2024-03.zip",
]
REAL_CHAPTERS = "01_volume,03_harm,05_places,06_performance"
NAN = re.compile(r"\bnan\b|\bNaN\b")


def _csp(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "csplib.run.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


def _project(tmp_path_factory, name) -> Path:
    """A folder laid out as a fresh clone is, holding the shipped data."""
    root = tmp_path_factory.mktemp(name)
    (root / "data").symlink_to(DATA)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    return root


def _assess(root: Path, params: Path, *extra) -> Path:
    done = _csp("assess", "--params", str(params), "--jobs", "2", *extra, cwd=root)
    if done.returncode != 0:
        pytest.fail(f"csp assess failed for {params.name}:\n{done.stderr[-4000:]}")
    return root / "outputs"


@pytest.fixture(scope="session")
def mansfield_real(tmp_path_factory):
    """Mansfield on the real Nottinghamshire months: (project folder, output folder)."""
    root = _project(tmp_path_factory, "mansfield-real")
    zips = [str(Path("data") / "police_uk" / z.name) for z in ZIPS]
    done = _csp("init", "Mansfield", "--police-uk", *zips, cwd=root)
    assert done.returncode == 0, done.stderr
    assert "Assessed period Jan 24 - Mar 24" in done.stdout
    outputs = _assess(
        root, root / "parameters" / "mansfield.yaml", "--chapters", REAL_CHAPTERS, "--packs", "asb"
    )
    return root, outputs / "2024"


def _result(out: Path, chapter: str) -> dict:
    return json.loads((out / "results" / f"{chapter}.json").read_text())


def _mansfield_rows_jan_mar_2024() -> pd.DataFrame:
    """The real rows in Mansfield's LSOAs, read straight from the zip (independently): a
    crime whose Crime ID repeats an earlier row of the download (anywhere in the force) is
    counted once, where it first appears."""
    lookup = pd.read_csv(DATA / "reference" / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz")
    lsoas = set(lookup.loc[lookup["ltla24_code"] == "E07000174", "lsoa21_code"])
    frames = []
    with zipfile.ZipFile(ZIPS[1]) as zf:
        for name in sorted(n for n in zf.namelist() if n.endswith("-street.csv")):
            columns = ["Crime ID", "LSOA code", "Crime type"]
            frames.append(pd.read_csv(zf.open(name), usecols=columns))
    rows = pd.concat(frames, ignore_index=True)
    repeat = rows["Crime ID"].notna() & rows.duplicated("Crime ID")
    rows = rows[~repeat]
    return rows[rows["LSOA code"].isin(lsoas)]


def test_real_months_volume_counts_every_mansfield_row(mansfield_real):
    _, out = mansfield_real
    rows = _mansfield_rows_jan_mar_2024()
    crimes = int((rows["Crime type"] != ASB).sum())
    asb = int((rows["Crime type"] == ASB).sum())
    finding = _result(out, "01_volume")["findings"][0]["text"]
    assert finding.startswith(f"Mansfield recorded {crimes:,} crimes in Jan 24 - Mar 24")
    assert f"and {asb:,} anti-social behaviour incidents" in finding


def test_real_months_places_maps_mansfields_own_wards(mansfield_real):
    _, out = mansfield_real
    lookup = pd.read_csv(DATA / "reference" / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz")
    wards = lookup.loc[lookup["ltla24_code"] == "E07000174", "ward24_name"].nunique()
    places = _result(out, "05_places")
    assert f"of the {wards} wards" in places["findings"][0]["text"]
    assert (out / "html" / "05_places.html").stat().st_size > 50_000  # its maps are embedded


def test_real_months_harm_uses_nottinghamshires_offence_mix(mansfield_real):
    _, out = mansfield_real
    html = (out / "html" / "03_harm.html").read_text()
    assert "Nottinghamshire, 2017/18" in html


def test_real_months_performance_reports_the_generic_framework(mansfield_real):
    _, out = mansfield_real
    perf = _result(out, "06_performance")
    html = (out / "html" / "06_performance.html").read_text()
    assert "No targets are set" in html
    assert perf["headline"]["targets_assessed"] == 0
    # the download has no Jan - Mar 2023, so nothing is compared, and the page says why
    assert "no police.uk data for the comparison period Jan 23 - Mar 23" in html


def _nottingham_words(la_codes) -> list[str]:
    """Nottingham's name, plan and ward names (bar those within the area's own ward names:
    Mansfield also has a Sherwood ward, Gedling a Bestwood St Albans)."""
    lookup = pd.read_csv(DATA / "reference" / "lookups" / "lookup_lsoa21_ward24_ltla24.csv.gz")
    wards = set(lookup.loc[lookup["ltla24_code"] == "E06000018", "ward24_name"])
    own = set(lookup.loc[lookup["ltla24_code"].isin(la_codes), "ward24_name"])
    wards = {w for w in wards if not any(w in name for name in own)}  # e.g. Bestwood St Albans
    return ["Nottingham ", "Nottingham's", "Reduce ASB by 25%", "MARAC", "Respect for", *wards]


def _pages(out: Path) -> dict[str, str]:
    pages = {}
    for sub in ("html", "html/packs", "packs", "results"):
        folder = out / sub
        if folder.is_dir():
            for path in folder.iterdir():
                if path.suffix in (".html", ".json"):
                    pages[f"{sub}/{path.name}"] = path.read_text()
    pages["index.html"] = (out / "index.html").read_text()
    return pages


def _foreign_words(out: Path, la_codes) -> dict[str, list[str]]:
    words = _nottingham_words(la_codes)
    return {
        name: [w for w in words if w in text]
        for name, text in _pages(out).items()
        if any(w in text for w in words)
    }


def _stated(out: Path) -> list[str]:
    """Every sentence the chapters state: findings and notes of each saved result."""
    texts = []
    for path in (out / "results").glob("*.json"):
        if path.name.endswith(".disclosure.json"):
            continue
        result = json.loads(path.read_text())
        texts += [f["text"] for f in result.get("findings", [])]
        texts += [line for lines in (result.get("notes") or {}).values() for line in lines]
    return texts


def test_real_months_pages_carry_no_nottingham_words(mansfield_real):
    _, out = mansfield_real
    assert _foreign_words(out, ["E07000174"]) == {}


def test_real_months_say_what_they_need_and_never_print_nan(mansfield_real):
    _, out = mansfield_real
    stated = _stated(out)
    assert [t for t in stated if NAN.search(t)] == []
    pack = json.loads((out / "results" / "pack_asb.json").read_text())
    (trend,) = pack["notes"]["trend"]
    assert trend.startswith("No trend over the last")


# ----------------------------------------------------------------------------- synthetic
def test_synthetic_run_writes_every_chapter_and_pack(south_notts_synthetic):
    _, out, _ = south_notts_synthetic
    manifest = json.loads((out / "manifest.json").read_text())
    statuses = {c["name"]: c["status"] for c in manifest["chapters"] + manifest["packs"]}
    assert len(statuses) == 8 + 6 and set(statuses.values()) == {"ok"}
    assert "South Nottinghamshire recorded" in _result(out, "01_volume")["findings"][0]["text"]


def test_synthetic_run_finds_the_planted_asb_hotspot(south_notts_synthetic):
    _, out, truth = south_notts_synthetic
    effect = truth["effects"]["asb_hotspot"]
    places = _result(out, "05_places")
    assert places["headline"]["new_asb_hotspots"][0] == effect["lsoa11_name"]
    assert effect["ward"] in " ".join(f["text"] for f in places["findings"])


def test_synthetic_run_pages_carry_no_nottingham_words_and_no_nan(south_notts_synthetic):
    _, out, truth = south_notts_synthetic
    assert _foreign_words(out, truth["area"]["la_codes"]) == {}
    assert [t for t in _stated(out) if NAN.search(t)] == []


@pytest.fixture(scope="session")
def south_notts_synthetic(tmp_path_factory):
    """South Nottinghamshire (three authorities) on synthetic data for its own LSOAs, every
    chapter and theme pack: (project folder, output folder, truth.json)."""
    root = _project(tmp_path_factory, "south-notts-synthetic")
    done = _csp("init", "South Nottinghamshire", "--synthetic", "11", cwd=root)
    assert done.returncode == 0, done.stderr
    outputs = _assess(root, root / "parameters" / "south-nottinghamshire.yaml")
    truth = json.loads(
        (root / ".cache" / "synthetic" / "south-nottinghamshire-seed-11" / "truth.json").read_text()
    )
    return root, outputs / "2025", truth
