"""The browser check on a small constructed page set (csplib/present/browser.py).

Runs headless Chromium through selenium; skipped, with the reason, only where Chromium,
chromedriver or selenium is missing (.ci/run installs them, so CI runs it).
"""

import struct

import pytest

from csplib.present.browser import (
    browser_missing,
    check_pages,
    main,
    screenshots,
    shared_pages,
    text_problems,
)

from .pagekit import bad_page, good_page

needs_browser = pytest.mark.skipif(
    browser_missing() is not None, reason=f"no browser check: {browser_missing()}"
)


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages")
    pages = [good_page(folder), bad_page(folder)]
    return check_pages(pages, root=folder)


@needs_browser
def test_a_house_page_has_no_problems_at_either_width(checked):
    assert checked["html/02_threat.html"] == []


@needs_browser
def test_the_check_finds_what_a_raw_page_gets_wrong(checked):
    found = {(p.width, p.kind) for p in checked["bad.html"]}
    for width in (1280, 390):
        for kind in (
            "overflow",
            "wide table",
            "code name",
            "scientific notation",
            "NaN",
            "None",
            "image without alt text",
            "axe image-alt",
            "axe target-size",  # WCAG 2.2: the shipped axe-core 4.12 knows it
        ):
            assert (width, kind) in found, (width, kind)
    wide = [p.detail for p in checked["bad.html"] if p.kind == "wide table"]
    assert all(d.startswith("table 1") and "px too wide" in d for d in wide)
    codes = next(p.detail for p in checked["bad.html"] if p.kind == "code name")
    assert "rate_ratio" in codes and "months_with_data" in codes


def test_text_problems_ignore_file_names_and_plain_words():
    assert text_problems("tables/02_threat__ward_trends.csv; None of the wards; 2e") == []
    assert text_problems("rate_ratio") == ["code name: rate_ratio"]
    assert text_problems("(csplib.methods.models.CountTrend)") == [
        "code name: csplib.methods.models.CountTrend"
    ]
    assert text_problems("data from police.uk and www.ons.gov.uk") == []


@needs_browser
def test_screenshots_write_pngs_at_both_widths_and_a_pdf(tmp_path):
    good_page(tmp_path, "02_threat")
    good_page(tmp_path, "05_places")
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><title>C</title></head><body><h1>C</h1></body></html>'
    )
    written = screenshots(tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "index-1280.png",
            "index-390.png",
            "threat-1280.png",
            "threat-390.png",
            "places-1280.png",
            "places-390.png",
            "threat.pdf",
        ]
    )
    for p in written:
        assert p.parent == tmp_path / "screenshots"
        if p.suffix == ".png":
            width = struct.unpack(">I", p.read_bytes()[16:20])[0]
            assert width == int(p.stem.rsplit("-", 1)[1])
    assert (tmp_path / "screenshots" / "threat.pdf").read_bytes().startswith(b"%PDF")


def test_the_command_line_names_a_folder_without_an_assessment(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 2
    assert f"{tmp_path}: no index.html" in capsys.readouterr().err


@needs_browser
def test_the_default_assessment_reads_cleanly_in_a_browser(synthetic_run):
    """Every shared page of the default assessment (contents, chapters, theme packs) at 1280
    and 390 px: no problem the check knows (a real assessment of another partnership is
    checked in tests/run/test_stated_windows.py)."""
    pages = shared_pages(synthetic_run)
    assert len(pages) == 1 + 8 + 1 + 7  # contents, chapters, glossary, the seven themes
    found = check_pages(pages, root=synthetic_run)
    assert {page: [str(p) for p in problems] for page, problems in found.items() if problems} == {}
