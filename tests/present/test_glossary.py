"""The glossary page and the links to it from a term's first use."""

import re

from csplib.present.glossary import TERMS, glossary_html, link_terms, write_glossary


def links(page):
    return re.findall(r'<a class="csp-term" href="g\.html#([^"]+)">([^<]+)</a>', page)


def test_the_first_use_in_a_sentence_is_linked_once():
    page = (
        "<h2>LSOA hot spots</h2>"
        "<table><caption>LSOA</caption><tr><td>LSOA</td></tr></table>"
        "<p>A <a href='x.html'>ward</a> is made of LSOAs. Each LSOA has a q-value.</p>"
        "<ul><li>The ward rose significantly; the LSOA too.</li></ul>"
        '<p class="csp-data-used"><small>Data used: 2024 wards and a baseline.</small></p>'
    )
    out = link_terms(page, "g.html")
    assert links(out) == [
        ("lsoa", "LSOAs"),
        ("q-value", "q-value"),
        ("ward", "ward"),
        ("significant", "significantly"),
    ]
    # headings, tables and existing links are left as they were
    assert "<h2>LSOA hot spots</h2>" in out and "<td>LSOA</td>" in out
    assert '<a href="x.html">ward</a>' in out
    assert "Data used: 2024 wards and a baseline." in out  # the small print is left alone


def test_two_terms_in_one_sentence_are_both_linked_in_reading_order():
    out = link_terms("<p>The Crime Severity Score of each LSOA (95% CI 1 to 2).</p>", "g.html")
    assert [key for key, _ in links(out)] == ["css", "lsoa", "confidence-interval"]
    assert re.sub(r"<[^>]+>", "", out) == "The Crime Severity Score of each LSOA (95% CI 1 to 2)."


def test_the_glossary_page_holds_every_term_in_order(tmp_path):
    path = write_glossary(tmp_path)
    assert path == tmp_path / "html" / "glossary.html"
    page = path.read_text()
    ids = re.findall(r'<dt id="([^"]+)">([^<]+)</dt>', page)
    assert {key for key, _ in ids} == set(TERMS)
    shown = [term for _, term in ids]
    assert shown == sorted(shown, key=str.lower)
    assert "[c] (suppressed)" in glossary_html() and '<html lang="en">' in page
    # every definition is a sentence a board member can read: no code names
    assert all(re.fullmatch(r"[A-Z\[].*\.", text) for _, _, text in TERMS.values())
