"""The summary chapter: it reads the chapters' saved results (missing or other-version results
are reported, never misread) and, on the default assessment, every section is present, every
finding links to a chapter that exists, and figures match the chapters' own annex tables."""

import json
import re

import pandas as pd

from csplib.chapters import summary
from csplib.chapters.findings import Finding
from csplib.chapters.result import ChapterResult
from csplib.chapters.summary import SECTIONS, key_findings, read_results


def test_sections_and_evidence_links(synthetic_run):
    page = (synthetic_run / "html" / "00_summary.html").read_text()
    for section in SECTIONS:
        heading = rf"<h2[^>]*>{re.escape(section)}</h2>"  # the page gives each heading an id
        assert re.search(heading, page.replace("&amp;", "&")) or section.startswith("What the data")
    # the findings' evidence links (not the previous/next links of the page)
    links = set(re.findall(r'href="(\d\d_[a-z]+)\.html(?:#[^"]*)?">\[evidence', page))
    assert {
        "01_volume",
        "02_threat",
        "03_harm",
        "04_risk",
        "05_places",
        "06_performance",
        "07_priorities",
    } <= links
    for name in links:
        assert (synthetic_run / "html" / f"{name}.html").is_file()
    # and those that name a table land on it
    for name, anchor in re.findall(r'href="(\d\d_[a-z]+)\.html#([^"]+)">\[evidence', page):
        assert f'id="{anchor}"' in (synthetic_run / "html" / f"{name}.html").read_text(), anchor


def test_priorities_match_the_priorities_chapter(synthetic_run):
    page = (synthetic_run / "html" / "00_summary.html").read_text()
    scores = pd.read_csv(synthetic_run / "tables" / "07_priorities__scores.csv")
    top = scores.sort_values("rank").iloc[0]
    theme_column = next(c for c in ("theme_name", "name", "theme") if c in scores.columns)
    assert "Recommended priorities" in page
    assert str(top[theme_column]) in page


def test_volume_figure_matches_the_volume_chapter(synthetic_run):
    page = (synthetic_run / "html" / "00_summary.html").read_text()
    table = pd.read_csv(synthetic_run / "tables" / "01_volume__assessed_period.csv", index_col=0)
    crimes = int(table.drop(index=["Anti-social behaviour", "All"])["count"].sum())
    assert f"recorded {crimes:,} crimes" in page


def test_summary_reads_saved_results_and_reports_missing_ones(tmp_path):
    volume = ChapterResult(
        "01_volume",
        findings=[Finding("Crime fell by 3%.", "01_volume"), Finding("ASB rose.", "01_volume")],
        notes={"quality": ["Data are missing for May 2020."]},
    )
    volume.save(tmp_path)
    results, problems = read_results(tmp_path)
    assert set(results) == {"01_volume"}
    assert len(problems) == 6 and all("no saved result" in p for p in problems)
    sections = key_findings(results, problems)
    assert [f.text for f in sections["Volume"]] == ["Crime fell by 3%.", "ASB rose."]
    assert [f.text for f in sections["What the data can and cannot tell us"]] == [
        "Data are missing for May 2020."
    ]
    assert "Harm" not in sections
    assert any("Harm chapter has no saved result" in f.text for f in sections["Not available"])


def test_summary_caps_each_section():
    many = [Finding(f"finding {i}", "03_harm") for i in range(10)]
    sections = key_findings({"03_harm": ChapterResult("03_harm", findings=many)}, [])
    assert len(sections["Harm"]) == SECTIONS["Harm"]


def test_summary_reports_a_result_of_another_version(tmp_path):
    path = ChapterResult("04_risk").save(tmp_path)
    body = json.loads(path.read_text())
    body["version"] = 99
    path.write_text(json.dumps(body))
    results, problems = read_results(tmp_path)
    assert "04_risk" not in results
    assert any(
        "Risk chapter's saved result cannot be read" in p and "version 99" in p for p in problems
    )


def test_summary_by_section_round_trip(tmp_path):
    ChapterResult("02_threat", findings=[Finding("Robbery rose.", "02_threat")]).save(tmp_path)

    class Ctx:
        params = None
        output_dir = tmp_path

    result = summary.assess(Ctx())
    sections = summary.by_section(result)
    assert [f.text for f in sections["Threat: what is changing"]] == ["Robbery rose."]
    saved = ChapterResult.from_json(result.to_json())
    assert summary.by_section(saved).keys() == sections.keys()
