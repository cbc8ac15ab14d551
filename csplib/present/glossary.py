"""The glossary: the terms of the pages in plain words, linked from their first use.

:data:`TERMS` holds each term a board member may meet (LSOA, Gi*, q-value, Crime Severity
Score, SPC, ...) with a short definition. :func:`write_glossary` writes the glossary page of
a run (``html/glossary.html``, a shared page like the chapters); :func:`link_terms` links
the first use of each term in a page's sentences (paragraphs and list items, not headings,
tables or links) to its entry, so a reader can look a word up where it first stops them.

Examples
--------
>>> page = "<main><p>Each LSOA has about 1,500 residents. Another LSOA.</p></main>"
>>> linked = link_terms(page, "glossary.html")
>>> linked.count('href="glossary.html#lsoa"')
1
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString

__all__ = ["TERMS", "glossary_html", "link_terms", "write_glossary"]

#: Anchor -> (term as headed, the pattern of its uses in text, definition). In the order of
#: the glossary page (alphabetical by term).
TERMS: dict[str, tuple[str, str, str]] = {
    "suppressed": (
        "[c] (suppressed)",
        r"\[c\]",
        "A small number left out of a shared table so that no person can be identified from "
        "it, with enough other cells hidden that it cannot be worked out from the rest.",
    ),
    "baseline": (
        "Baseline",
        r"\bbaseline\b",
        "The earlier period a figure is compared with, such as the year a target starts from "
        "or the months before the recent ones.",
    ),
    "confidence-interval": (
        "Confidence interval (95% CI)",
        r"\b95% CI\b|\bconfidence intervals?\b",
        "The range within which the true value most likely lies, given chance variation: a "
        "wide interval means the figure is uncertain.",
    ),
    "css": (
        "Crime Severity Score",
        r"\bCrime Severity Score\b",
        "An ONS measure of the harm of crime: each offence is weighted by how severely courts "
        "sentence it, so a robbery counts for more than a shoplifting.",
    ),
    "expected": (
        "Expected level",
        r"\bexpected level\b|\bexpected range\b",
        "The number of crimes the earlier months lead us to expect, allowing for the season; "
        "the expected range is where a month's count falls by chance alone.",
    ),
    "fdr": (
        "False discovery rate",
        r"\bfalse discovery rate\b|\bFDR\b",
        "When many places or crime types are tested at once, some look unusual by chance. "
        "Controlling the false discovery rate at 5% means about 1 in 20 of the flagged "
        "results may be a false alarm.",
    ),
    "gi": (
        "Getis-Ord Gi* (hot spot)",
        r"Getis-Ord Gi\*|\bGi\*|\bhot spots?\b",
        "A test of whether a neighbourhood and those around it together have more (a hot "
        "spot) or fewer (a cold spot) crimes than chance would give.",
    ),
    "lsoa": (
        "LSOA",
        r"\bLSOAs?\b",
        "Lower Layer Super Output Area: a small neighbourhood of about 1,500 residents used "
        "by ONS for statistics. Wards are made up of LSOAs.",
    ),
    "mdc": (
        "Making Data Count",
        r"\bMaking Data Count\b",
        "The NHS way of reading a chart over time: icons say whether the latest month shows a "
        "real change (special cause) or only normal variation, and whether a target will be "
        "met reliably.",
    ),
    "p-value": (
        "p-value",
        r"\bp-values?\b",
        "How likely a difference at least this large would be by chance alone if nothing had "
        "changed. Below 0.05 is usually called statistically significant.",
    ),
    "q-value": (
        "q-value",
        r"\bq-values?\b",
        "A p-value adjusted for testing many things at once (see false discovery rate); "
        "below 0.05 means a flagged result.",
    ),
    "rate": (
        "Rate per 1,000 residents",
        r"\bper 1,000 residents\b",
        "Crimes or incidents for every 1,000 people who live in the area, so that areas of "
        "different sizes can be compared. Places with many visitors, such as a city centre, "
        "have high rates.",
    ),
    "rate-ratio": (
        "Rate ratio",
        r"\brate ratio\b|\btimes (?:its|the) expected\b|\btimes the [\d,.]+ expected\b",
        "The number recorded divided by the number expected: 1.5 means half as many again as "
        "expected.",
    ),
    "repeat": (
        "Repeat victim",
        r"\brepeat victims?\b",
        "A person (or address) who was the victim of two or more crimes in the same year.",
    ),
    "significant": (
        "Statistically significant",
        r"\bstatistically significant\b|\bsignificantly\b",
        "Larger than chance variation would plausibly give. It does not mean large or "
        "important: read the size of the change too.",
    ),
    "spc": (
        "SPC chart (process limits, special cause)",
        r"\bSPC\b|\bprocess limits\b|\bspecial[- ]cause\b|\bcommon[- ]cause\b",
        "Statistical process control: a chart of monthly counts with limits showing the range "
        "normal variation gives. A point beyond the limits, or a long run on one side of the "
        "average, is a special cause: something has changed. Otherwise the variation is common "
        "cause.",
    ),
    "trend": (
        "Trend (% a year)",
        r"[-+]?\d+(?:\.\d+)?% a year\b",
        "The average change per year over several years, allowing for the season, with the "
        "months of the Covid-19 restrictions left out.",
    ),
    "ward": (
        "Ward",
        r"\bwards?\b",
        "An electoral ward of the local authority, the area councillors represent; made up of "
        "LSOAs.",
    ),
}

#: Elements whose text is never linked: headings, links, tables, code and drawings.
_SKIP = {
    "a", "h1", "h2", "h3", "h4", "h5", "h6", "table", "caption", "th", "td", "code",
    "pre", "svg", "script", "style", "summary", "title", "nav", "button",
}  # fmt: skip
_COMPILED = {key: re.compile(pattern) for key, (_, pattern, _) in TERMS.items()}


#: Classes of blocks left as they are: the page's small print.
_SKIP_CLASSES = {"csp-data-used", "csp-csv"}


def _linkable(node) -> bool:
    return not any(
        parent.name in _SKIP or _SKIP_CLASSES & set(parent.get("class") or ())
        for parent in node.parents
    )


def link_terms(page: str, href: str) -> str:
    """``page`` with the first use of each :data:`TERMS` term in its paragraphs and list
    items linked to the glossary at ``href`` (``href#<anchor>``, class ``csp-term``).

    Examples
    --------
    >>> out = link_terms("<p>A hot spot and a <a href='x'>ward</a>, then a ward.</p>", "g.html")
    >>> 'href="g.html#gi"' in out, out.count('href="g.html#ward"')
    (True, 1)
    """
    soup = BeautifulSoup(page, "html.parser")
    todo = dict(_COMPILED)
    for block in soup.find_all(["p", "li"]):
        if not todo:
            break
        if not _linkable(block):
            continue
        for node in list(block.find_all(string=True)):
            if not todo or not isinstance(node, NavigableString) or not _linkable(node):
                continue
            _link_node(soup, node, todo, href)
    return str(soup)


def _link_node(soup, node: NavigableString, todo: dict, href: str) -> None:
    """Link the earliest term still to do in the text ``node`` (then in what follows it)."""
    text = str(node)
    hits = [(m.start(), m.end(), key) for key, rx in todo.items() if (m := rx.search(text))]
    if not hits:
        return
    start, end, key = min(hits)
    del todo[key]
    link = soup.new_tag("a", href=f"{href}#{key}")
    link["class"] = "csp-term"
    link.string = text[start:end]
    after = NavigableString(text[end:])
    node.replace_with(NavigableString(text[:start]), link, after)
    _link_node(soup, after, todo, href)


def glossary_html(title: str = "Glossary", home: str = "../index.html") -> str:
    """The glossary page: every term with its anchor and definition (escaped)."""
    entries = "".join(
        f'<dt id="{key}">{html.escape(term)}</dt><dd>{html.escape(text)}</dd>'
        for key, (term, _, text) in sorted(TERMS.items(), key=lambda kv: kv[1][0].lower())
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n"
        "  body { font: 1rem/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;"
        " padding: 0 1rem; color: #1a1a1a; }\n"
        "  dt { font-weight: bold; margin-top: 1rem; }\n  dd { margin: 0.2rem 0 0 0; }\n"
        "  a { color: #1d4f91; }\n  dt:target { background: #fff3cd; }\n</style>\n</head>\n"
        f'<body>\n<nav><a href="{html.escape(home)}">Contents</a></nav>\n<main>\n'
        f"<h1>{html.escape(title)}</h1>\n<p>The words of the assessment's pages, in plain "
        "terms. Each page links a word here where it first uses it.</p>\n"
        f"<dl>{entries}</dl>\n</main>\n</body>\n</html>\n"
    )


def write_glossary(out: Path) -> Path:
    """Write the glossary page of the run at ``out`` (``html/glossary.html``, which every
    page of the run links to)."""
    path = Path(out) / "html" / "glossary.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(glossary_html(), encoding="utf-8")
    return path
