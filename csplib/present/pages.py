"""Notebook pages in the house style: an executed notebook as HTML to share or to review.

The templates are in ``csplib/present/templates/`` (``csp_html``: the page; the contents
page is ``index.html.j2``).
"""

from __future__ import annotations

import html
from pathlib import Path

from IPython.display import HTML

__all__ = ["TEMPLATES", "DATA_USED_CLASS", "data_used_html", "export_html"]

#: The folder of the page templates.
TEMPLATES = Path(__file__).resolve().parent / "templates"

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


def export_html(
    notebook: Path,
    target: Path,
    *,
    with_code: bool,
    title: str,
    banner: str | None,
    home: str = "../index.html",
):
    """Write a notebook as house-style HTML (see ``templates/csp_html``).

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
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(
        nb, resources={"csp_title": title, "csp_banner": banner, "csp_home": home}
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
