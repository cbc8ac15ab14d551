"""Notebook pages in the house style: an executed notebook as HTML to share or to review.

The templates are in ``csplib/present/templates/`` (``csp_html``: the page; the contents
page is ``index.html.j2``). A chapter page links to the chapters before and after it in
reading order (:data:`csplib.chapters.registry.CHAPTERS`) and opens with a list of its
sections, made from its ``h2`` headings.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from IPython.display import HTML

from csplib.chapters.registry import CHAPTERS
from csplib.present.glossary import link_terms

__all__ = [
    "TEMPLATES",
    "DATA_USED_CLASS",
    "TOC_MARKER",
    "data_used_html",
    "neighbours",
    "add_contents",
    "retitle",
    "METHOD_TAG",
    "fold_method_notes",
    "export_html",
]

#: The folder of the page templates.
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: The cell tag of a chapter's method notes: in place in the review copy, folded under
#: "How this was calculated" at the end of the shared page (:func:`fold_method_notes`).
METHOD_TAG = "method"
_METHOD_HEADING = re.compile(r"^\s*##\s+How this was calculated\s*\n", re.IGNORECASE)

#: Where the page template leaves room for the on-page contents list.
TOC_MARKER = "<!--csp-toc-->"

_H1 = re.compile(r"<h1(?P<attrs>\s[^>]*)?>(?P<inner>.*?)</h1>", re.DOTALL | re.IGNORECASE)
_H2 = re.compile(r"<h2(?P<attrs>\s[^>]*)?>(?P<inner>.*?)</h2>", re.DOTALL | re.IGNORECASE)
_ID = re.compile(r"""\bid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_ANCHOR = re.compile(r"<a\b[^>]*class=\"anchor-link\"[^>]*>.*?</a>", re.DOTALL)
_TAG = re.compile(r"<[^>]+>")

#: The CSS class of a page's **Data used** line (styled small in ``templates/csp_html``).
DATA_USED_CLASS = "csp-data-used"


def data_used_html(text: str) -> HTML:
    """A page's **Data used** line (:func:`csplib.run.context.data_used`) as a small
    paragraph at the end of the page, out of the way of board readers; text escaped.

    Examples
    --------
    >>> data_used_html("Data used: 2021 LSOAs & more.").data
    '<p class="csp-data-used"><small><strong>Data used:</strong> 2021 LSOAs &amp; more.</small></p>'
    """
    text = str(text)
    lead = "Data used:"
    body = text[len(lead) :].strip() if text.startswith(lead) else text
    return HTML(
        f'<p class="{DATA_USED_CLASS}"><small><strong>{lead}</strong> '
        f"{html.escape(body, quote=False)}</small></p>"
    )


def neighbours(name: str) -> tuple[dict | None, dict | None]:
    """The chapters before and after ``name`` in reading order, as ``{"href", "title"}``
    (the page's file name beside it and the short title), or None at either end and for a
    page that is not a chapter (a theme pack).

    Examples
    --------
    >>> neighbours("01_volume")
    ({'href': '00_summary.html', 'title': 'Summary'}, {'href': '02_threat.html', 'title': 'Threat'})
    >>> neighbours("asb")
    (None, None)
    """
    names = [c.name for c in CHAPTERS]
    if name not in names:
        return None, None
    k = names.index(name)

    def link(i):
        if not 0 <= i < len(CHAPTERS):
            return None
        return {"href": f"{CHAPTERS[i].name}.html", "title": CHAPTERS[i].title.split(":")[0]}

    return link(k - 1), link(k + 1)


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "section"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def add_contents(page: str, *, minimum: int = 2) -> str:
    """A list of links to the page's ``h2`` headings, after the page's ``h1`` (or at the
    template's marker when there is none), giving each heading an ``id`` when it has none;
    a page with fewer than ``minimum`` headings gets no list.

    Examples
    --------
    >>> page = "<main><!--csp-toc--><h2>Key findings</h2><h2 id='m'>Method &amp; data</h2>"
    >>> out = add_contents(page)
    >>> '<h2 id="Key-findings">' in out, '<a href="#m">Method &amp; data</a>' in out
    (True, True)
    """
    taken = {m.group(1) or m.group(2) for m in _ID.finditer(page)}
    entries = []

    def visit(m: re.Match) -> str:
        attrs = m.group("attrs") or ""
        text = html.unescape(_TAG.sub("", _ANCHOR.sub("", m.group("inner")))).strip()
        found = _ID.search(attrs)
        if found:
            anchor = found.group(1) or found.group(2)
        else:
            anchor = _slug(text, taken)
            attrs = f' id="{anchor}"' + attrs
        if text:
            entries.append((anchor, text))
        return f"<h2{attrs}>{m.group('inner')}</h2>"

    page = _H2.sub(visit, page)
    if len(entries) < minimum:
        return page.replace(TOC_MARKER, "")
    items = "".join(
        f'<li><a href="#{html.escape(a)}">{html.escape(t, quote=False)}</a></li>'
        for a, t in entries
    )
    nav = (
        f'<nav class="csp-toc" aria-label="On this page"><p>On this page</p><ol>{items}</ol></nav>'
    )
    h1 = page.find("</h1>", max(page.find(TOC_MARKER), 0))
    if h1 < 0:
        return page.replace(TOC_MARKER, nav, 1)
    end = h1 + len("</h1>")
    return (page[:end] + nav + page[end:]).replace(TOC_MARKER, "", 1)


def retitle(page: str, heading: str) -> str:
    """The page with its first ``h1`` reading ``heading`` (escaped): a notebook run once
    per theme has one heading in its source, and each page names its own theme.

    Examples
    --------
    >>> retitle('<h1 id="Theme-pack">Theme pack<a class="anchor-link">¶</a></h1>', "ASB & you")
    '<h1 id="Theme-pack">ASB &amp; you</h1>'
    """
    return _H1.sub(
        lambda m: f"<h1{m.group('attrs') or ''}>{html.escape(heading, quote=False)}</h1>",
        page,
        count=1,
    )


def fold_method_notes(nb):
    r"""The notebook for sharing: its method-note cells (markdown tagged :data:`METHOD_TAG`)
    taken out of their place and put, as one collapsed block headed "How this was
    calculated", before the last cell (the page's **Data used** line). A notebook without
    them is returned as it is.

    Examples
    --------
    >>> import nbformat.v4 as v4
    >>> nb = v4.new_notebook(cells=[v4.new_markdown_cell("# T"),
    ...     v4.new_markdown_cell("## How this was calculated\n\nRates use ONS estimates.",
    ...                          metadata={"tags": ["method"]}),
    ...     v4.new_markdown_cell("## Caveats"), v4.new_code_cell("ctx.finish(result)")])
    >>> [c.source[:28] for c in fold_method_notes(nb).cells]
    ['# T', '## Caveats', '<details class="csp-method">', 'ctx.finish(result)']
    """
    import copy

    import nbformat.v4 as v4
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    def is_method(cell) -> bool:
        return cell.cell_type == "markdown" and METHOD_TAG in cell.get("metadata", {}).get(
            "tags", []
        )

    notes = [_METHOD_HEADING.sub("", c.source, count=1).strip() for c in nb.cells if is_method(c)]
    if not notes:
        return nb
    folded = copy.deepcopy(nb)
    cells = [c for c in folded.cells if not is_method(c)]
    # one HTML block, with no blank line in it, so the page's markdown renderer keeps the
    # notes inside the details element
    body = re.sub(r"\n\s*\n", "\n", markdown2html_mistune("\n\n".join(notes)))
    block = v4.new_markdown_cell(
        '<details class="csp-method">\n<summary>How this was calculated</summary>\n'
        + body
        + "</details>"
    )
    folded.cells = [*cells[:-1], block, *cells[-1:]]
    return folded


def export_html(
    notebook: Path,
    target: Path,
    *,
    with_code: bool,
    title: str,
    banner: str | None,
    home: str = "../index.html",
    heading: str | None = None,
    glossary: str | None = None,
):
    """Write a notebook as house-style HTML (see ``templates/csp_html``): links to the
    contents page and to the previous and next chapters (:func:`neighbours`, from the
    target's file name) and a list of the page's sections (:func:`add_contents`); the
    shared copy folds the method notes away (:func:`fold_method_notes`); terms link to the
    glossary.

    Parameters
    ----------
    notebook : Path
        Executed notebook.
    target : Path
        HTML file to write.
    with_code : bool
        Keep code cells (review copy) or drop them (copy for sharing).
    title : str
        Shown in the navigation bar.
    banner : str or None
        Warning banner shown at the top (e.g. synthetic data).
    home : str
        Link back to the contents page, relative to ``target``.
    heading : str, optional
        The page's main heading, in place of the notebook's own (:func:`retitle`).
    glossary : str, optional
        The glossary page, relative to ``target``: the first use of each of its terms is
        linked to it (:func:`csplib.present.glossary.link_terms`).
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="csp_html",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=not with_code,
        exclude_input_prompt=not with_code,
        exclude_output_prompt=not with_code,
        embed_images=True,
    )
    nb = nbformat.read(notebook, as_version=4)
    if not with_code:
        nb = fold_method_notes(nb)
    nb.metadata["title"] = title
    previous, following = neighbours(Path(target).stem)
    resources = {
        "csp_title": title,
        "csp_banner": banner,
        "csp_home": home,
        "csp_previous": previous,
        "csp_next": following,
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    if heading:
        body = retitle(body, heading)
    body = add_contents(body)
    if glossary:
        body = link_terms(body, glossary)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
