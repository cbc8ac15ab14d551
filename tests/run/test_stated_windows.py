"""Every page states what it used, not what was meant (issue 15).

One run per session: Mansfield, set up with ``csp init`` on the real Nottinghamshire months
that ship in ``data/police_uk`` (Oct 2018 - Feb 2019 and Jan - Mar 2024: 8 months, far
shorter than the chapters' nominal windows of 36 months), every chapter and every theme pack.
Then, on every shared page and in every saved result:

* no window is stated longer than the months the data hold ("over the last N months",
  "the N months before", "N months to");
* the volume chapter states the implausible-month thresholds the code used (the defaults of
  :func:`csplib.ingest.quality.implausible_months`), not others;
* the priorities chapter and the packs state the months their trends had;
* the page ends with a **Data used** line naming the population estimate year used.

The expected values are worked out here from the zips and the reference files, not from the
library's own answers.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import zipfile
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from csplib.ingest.quality import QualityReport, implausible_months
from csplib.present.browser import browser_missing, check_pages, shared_pages
from csplib.run.init import init_parameters

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"
ZIPS = [
    DATA / "police_uk" / "nottinghamshire_2018-10_2019-02.zip",
    DATA / "police_uk" / "nottinghamshire_2024-01_2024-03.zip",
]
#: Statements of a window's length: the number must not exceed the months the data hold.
WINDOW_STATEMENTS = (
    re.compile(r"over the last (\d+) months", re.I),
    re.compile(r"the (\d+) months before", re.I),
    re.compile(r"(\d+) months to\b", re.I),
    re.compile(r"(?:over )?the last (\d+) years", re.I),
)


def _months_in_zips() -> list[str]:
    """The months of street files in the shipped zips (``YYYY-MM``), read from the zips."""
    months = set()
    for path in ZIPS:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                found = re.search(r"(\d{4}-\d{2})-nottinghamshire-street\.csv$", name)
                if found:
                    months.add(found.group(1))
    return sorted(months)


def _population_year(wanted: int) -> int:
    """The shipped ONS estimate nearest ``wanted`` (ties to the later year), from the file
    names in data/reference/population."""
    years = {
        2000 + int(m.group(1))
        for p in (DATA / "reference" / "population").iterdir()
        if (m := re.match(r"population(\d{2})_lsoa\d\d\.csv", p.name))
    }
    return min(years, key=lambda y: (abs(y - wanted), -y))


def _text(html: str) -> str:
    """A page's visible text, chart alt text included (their titles state findings)."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    alts = " ".join(re.findall(r'alt="([^"]*)"', html))
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html) + " " + alts))


@pytest.fixture(scope="session")
def mansfield(tmp_path_factory):
    """(output folder, the months the data hold) of Mansfield's whole assessment."""
    root = tmp_path_factory.mktemp("stated-windows")
    (root / "data").symlink_to(DATA)
    (root / "notebooks").symlink_to(REPO / "notebooks")
    zips = [root / "data" / "police_uk" / z.name for z in ZIPS]
    params, _, period = init_parameters("Mansfield", root=root, police_uk=zips)
    assert (period.start, period.end) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"))
    done = subprocess.run(
        [sys.executable, "-m", "csplib.run.cli", "assess", "--params", str(params)]
        + ["--jobs", "2"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"csp assess failed:\n{done.stderr[-4000:]}")
    return root / "outputs" / "2024", _months_in_zips()


def _pages(out: Path) -> dict[str, str]:
    """The chapter and pack pages (not the glossary, which states no result)."""
    pages = sorted((out / "html").glob("0*.html")) + sorted((out / "packs").glob("*.html"))
    return {f"{p.parent.name}/{p.name}": p.read_text(encoding="utf-8") for p in pages}


def _results(out: Path) -> dict[str, dict]:
    """Each page's saved result (``results/<page>.json``; not its disclosure ledger)."""
    paths = sorted((out / "results").glob("*.json"))
    return {p.stem: json.loads(p.read_text()) for p in paths if "." not in p.stem}


def _stated(result: dict) -> list[str]:
    """Everything a saved result states: findings, notes, chart titles, table captions."""
    texts = [f["text"] for f in result["findings"]]
    texts += [t for note in result["notes"].values() for t in note]
    texts += list(result["figures"].values())
    texts += [t["caption"] for t in result["tables"]]
    return texts


def test_every_chapter_and_pack_ran(mansfield):
    out, months = mansfield
    assert months == [*(f"2018-{m}" for m in ("10", "11", "12")), "2019-01", "2019-02"] + [
        "2024-01",
        "2024-02",
        "2024-03",
    ]
    chapters = {p.stem for p in (REPO / "notebooks").glob("0*.ipynb")}
    themes = {"asb", "violence", "acquisitive", "drugs", "weapons", "damage_disorder"}
    assert set(_results(out)) == chapters | {f"pack_{t}" for t in themes}
    assert set(_pages(out)) == {f"html/{c}.html" for c in chapters} | {
        f"packs/{t}.html" for t in themes
    }
    assert (out / "html" / "glossary.html").is_file()


def test_no_window_is_stated_longer_than_the_data(mansfield):
    out, months = mansfield
    held = len(months)  # 8: every month of the download is before the period's end
    sources = {name: _text(html) for name, html in _pages(out).items()}
    for chapter, result in _results(out).items():
        sources[f"results/{chapter}.json"] = " ".join(_stated(result))
    too_long = []
    for name, text in sources.items():
        for pattern in WINDOW_STATEMENTS:
            for m in pattern.finditer(text):
                n = int(m.group(1)) * (12 if "year" in pattern.pattern else 1)
                if n > held:
                    too_long.append(f"{name}: ...{text[max(m.start() - 60, 0) : m.end() + 30]}")
    assert not too_long, "\n".join(too_long)


def test_trends_state_the_months_they_had(mansfield):
    out, _ = mansfield
    results = _results(out)
    # priorities: the window ends with the last month with data and says how many
    settings = pd.read_csv(out / "tables" / "07_priorities__scheme_settings.csv", index_col=0)
    assert settings.loc["trend_window", "value"] == "Jan 2024 to Mar 2024"
    assert settings.loc["trend_months_with_data", "value"] == "3"
    scored = results["07_priorities"]["notes"]["scored"][0]
    assert "Trend window: Jan 2024 to Mar 2024, 3 months with data" in scored
    # the packs: the 3 months with data of the last three years, not "the last 36 months"
    trend = results["pack_drugs"]["notes"]["trend"][0]
    assert trend.startswith("No trend over the last 3 months with data (Jan 2024 to Mar 2024).")
    assert results["pack_drugs"]["headline"]["trend_months"] == 3
    # the threat chapter: 8 months, and says that no model could use them
    threat = results["02_threat"]
    assert threat["notes"]["coverage"][0].startswith(
        "The analysis uses 8 months of police.uk data, Oct 2018 to Mar 2024"
    )
    assert threat["notes"]["windows"] == [
        "No model could be fitted to these data, so no window was used; each section says why."
    ]


def test_volume_states_the_implausible_thresholds_the_code_used(mansfield):
    out, _ = mansfield
    defaults = {
        k: v.default
        for k, v in inspect.signature(implausible_months).parameters.items()
        if k in ("ratio", "alpha", "window", "min_neighbours")
    }
    from_read = inspect.signature(QualityReport.from_read).parameters
    assert {k: from_read[k].default for k in defaults} == defaults  # one set of thresholds
    volume = _results(out)["01_volume"]
    assert volume["headline"]["implausible_settings"] == defaults
    (rule,) = volume["notes"]["implausible_rule"]
    stated = re.search(
        r"at least ([\d.]+) times, or at most 1/([\d.]+) of, the median of the months with data "
        r"within (\d+) months? either side \(at least (\d+) of them\).* below ([\d.e-]+)\.",
        rule,
    )
    assert stated, rule
    ratio, inverse, window, least, alpha = stated.groups()
    assert float(ratio) == float(inverse) == defaults["ratio"]
    assert int(window) == defaults["window"] and int(least) == defaults["min_neighbours"]
    assert float(alpha) == defaults["alpha"]
    page = _text(_pages(out)["html/01_volume.html"])
    assert rule in page
    # the method note keeps no numbers of its own (the old ones were 2 and 0.001)
    assert "ratio ≥" not in page and "below 0.001)" not in page


def test_every_page_ends_with_the_data_used_line(mansfield):
    out, _ = mansfield
    year = _population_year(2024)  # Jan - Mar 2024: its population year is 2024
    assert year == 2020
    expected = (
        "counts by 2021 LSOA; 2024 wards, each the union of its LSOAs, by the ONS best-fit "
        "lookup LSOA (2021) to Electoral Ward (2024) to LAD (2024); the partnership "
        "(Mansfield, E22000255) and its police force (Nottinghamshire) from the ONS lookup "
        "LAD (2024) to Community Safety Partnership (2024) to Police Force Area (2024); "
        "population: ONS "
        f"mid-year estimate for {year} (the nearest available to 2024)"
    )
    for name, html in _pages(out).items():
        lines = re.findall(r'<p class="csp-data-used">(.*?)</p>', html, flags=re.S)
        assert len(lines) == 1, name
        line = _text(lines[0])
        assert line.strip().startswith(f"Data used: {expected}"), (name, line)
        assert line.strip().endswith("deprivation: IoD2025."), (name, line)
        # at the end of the page, after its caveats
        assert html.index('csp-data-used"') > html.rindex("Caveats"), name
    for chapter, result in _results(out).items():
        (line,) = result["notes"]["data_used"]
        assert line.startswith(f"Data used: {expected}"), chapter


def test_the_contents_page_leads_with_the_answers(mansfield):
    """The contents page opens with the recommended priorities and the chapters' headline
    findings, each linked to its chapter, before the list of chapters; no run times."""
    out, _ = mansfield
    page = (out / "index.html").read_text(encoding="utf-8")
    results = _results(out)
    brief, rest = page.split("<h2>Chapters</h2>")
    themes = [r["theme"] for r in results["07_priorities"]["headline"]["recommended"]]
    listed = re.findall(r"<li>(.*?) \(score [\d.]+ of 5\)</li>", brief)
    assert [unescape(t) for t in listed] == themes and len(themes) == 3
    for name in ("01_volume", "02_threat", "03_harm", "05_places", "06_performance"):
        first = results[name]["findings"][0]["text"]
        assert unescape(brief).count(first) == 1, name
        assert f'href="html/{name}.html' in brief
    assert "Not scored for any theme: trend" in unescape(brief)
    assert not re.search(r"ok \(\d+ s\)", page) and "Status" not in rest
    assert 'href="annex.xlsx"' in page and (out / "annex.xlsx").is_file()
    # the packs name their theme, as does each pack's own heading
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", (out / "packs" / "drugs.html").read_text())
    assert heading and heading[1] == "Theme pack: Drugs"


def test_evidence_and_csv_links_land_on_what_they_name(mansfield):
    """Every link of the contents page and the shared pages to a table (``#table-...``)
    finds that table on the linked page, and every CSV link finds its file."""
    out, _ = mansfield
    anchors, csvs = 0, 0
    for page in shared_pages(out):
        text = page.read_text(encoding="utf-8")
        for href in re.findall(r'href="([^"#]+\.html)#([^"]+)"', text):
            target = (page.parent / unescape(href[0])).resolve()
            assert f'id="{href[1]}"' in target.read_text(encoding="utf-8"), (page.name, href)
            anchors += 1
        for href in re.findall(r'href="([^"]+\.csv)"', text):
            assert (page.parent / unescape(href)).is_file(), (page.name, href)
            csvs += 1
    assert anchors >= 10 and csvs >= 1, (anchors, csvs)


@pytest.mark.skipif(browser_missing() is not None, reason=f"no browser: {browser_missing()}")
def test_every_shared_page_reads_cleanly_in_a_browser(mansfield):
    """Every shared page of a real assessment, in Chromium at 1280 and 390 px: no overflow, no
    table wider than its container, no code names, scientific notation, NaN or None, every
    image with alt text, and no serious or critical axe-core violation."""
    out, _ = mansfield
    pages = shared_pages(out)
    assert len(pages) == 1 + 8 + 1 + 6  # contents, chapters, glossary and the packs
    found = check_pages(pages, root=out)
    assert {page: [str(p) for p in problems] for page, problems in found.items() if problems} == {}
