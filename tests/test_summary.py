"""The summary chapter on the default assessment: every section present, every finding linked
to a chapter that exists, and figures that match the chapters' own annex tables."""

import re

import pandas as pd

from csplib.summary import SECTIONS


def test_sections_and_evidence_links(synthetic_run):
    page = (synthetic_run / "html" / "00_summary.html").read_text()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page.replace("&amp;", "&") or section.startswith(
            "What the data"
        )
    links = set(re.findall(r'href="(\d\d_[a-z]+)\.html"', page))
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
