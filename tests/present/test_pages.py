"""Chapter pages: navigation, on-page contents and the page template (csplib/present/pages.py)."""

from bs4 import BeautifulSoup

from csplib.chapters.registry import CHAPTERS
from csplib.present.pages import TOC_MARKER, add_contents, neighbours

from .pagekit import good_page


def test_neighbours_follow_the_registry_order():
    names = [c.name for c in CHAPTERS]
    assert neighbours(names[0])[0] is None
    assert neighbours(names[-1])[1] is None
    for before, this, after in zip(names, names[1:], names[2:], strict=False):
        prev, nxt = neighbours(this)
        assert prev["href"] == f"{before}.html" and nxt["href"] == f"{after}.html"
    assert neighbours("hate") == (None, None)


def test_add_contents_keeps_existing_ids_and_makes_unique_new_ones():
    page = (
        f'<main>{TOC_MARKER}<h2 id=\'a\'>A<a class="anchor-link" href="#a">¶</a></h2>'
        "<h2>Key findings</h2><h2>Key findings</h2></main>"
    )
    soup = BeautifulSoup(add_contents(page), "html.parser")
    links = [(a["href"], a.get_text()) for a in soup.select("nav.csp-toc a")]
    assert links == [
        ("#a", "A"),
        ("#Key-findings", "Key findings"),
        ("#Key-findings-2", "Key findings"),
    ]
    assert [h.get("id") for h in soup.select("h2")] == ["a", "Key-findings", "Key-findings-2"]


def test_a_page_with_one_heading_gets_no_contents_list():
    out = add_contents(f"<main>{TOC_MARKER}<h2>Only</h2></main>")
    assert TOC_MARKER not in out and "csp-toc" not in out


def test_exported_chapter_has_navigation_contents_and_alt_text(tmp_path):
    soup = BeautifulSoup(good_page(tmp_path).read_text(), "html.parser")
    nav = soup.select_one("nav.csp-nav")
    assert [(a["href"], a.get_text()) for a in nav.select("a")] == [
        ("../index.html", "← Contents"),
        ("01_volume.html", "Previous: Volume"),
        ("03_harm.html", "Next: Harm"),
    ]
    assert [a.get_text() for a in soup.select("nav.csp-pager a")] == ["← Volume", "Harm →"]
    toc = [a.get_text() for a in soup.select("nav.csp-toc a")]
    assert toc == ["The series that stand out", "Key findings", "Forecast for the next 12 months"]
    for a in soup.select("nav.csp-toc a"):
        assert soup.find(id=a["href"][1:]).name == "h2"
    assert [img["alt"] for img in soup.select("img")] == ["Chart: weapons rose in St. Ann's."]
    assert soup.select_one(".csp-banner").get_text() == "Synthetic data."
    css = " ".join(s.get_text() for s in soup.select("style"))
    assert "@media (max-width: 600px)" in css and "attr(data-label)" in css
    assert "break-after: avoid" in css and "break-inside: avoid" in css


def test_too_wide_tables_become_cards_and_others_stay_grids(tmp_path):
    soup = BeautifulSoup(good_page(tmp_path).read_text(), "html.parser")
    classes = {t.caption.get_text(): t.parent["class"] for t in soup.select("table")}
    assert classes == {
        "Series that changed": ["csp-table-wrap", "csp-wide", "csp-cards"],
        "Numbers only: a wide grid": ["csp-table-wrap", "csp-wide"],
        "A narrow table": ["csp-table-wrap"],
    }
