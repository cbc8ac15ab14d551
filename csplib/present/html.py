"""Showing results safely in chapters: escaped text, formatted tables, the data annex.

Everything a chapter shows goes through here, so that text from data is always escaped
(a location called ``<script>`` shows as text) and numbers are formatted one way:
thousands separators, one decimal place for rates and shares.

Examples
--------
>>> str(paragraph("Burglary <fell> by 5%").data)
'<p>Burglary &lt;fell&gt; by 5%</p>'
>>> frame = pd.DataFrame({"category": ["<b>x</b>"], "count": [12345]})
>>> html = table(frame, caption="Counts & rates").data
>>> "&lt;b&gt;x&lt;/b&gt;" in html and "12,345" in html and "Counts &amp; rates" in html
True
"""

from __future__ import annotations

import html

import pandas as pd
from IPython.display import HTML

from csplib.chapters.findings import Finding
from csplib.chapters.registry import chapter

__all__ = [
    "paragraph",
    "table",
    "bullets",
    "findings_html",
    "alt_text",
    "install_display_hooks",
]


def alt_text(figure) -> str:
    """A text description of a chart for screen readers: its titles and axis labels.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_title("ASB rose in summer", loc="left"); _ = ax.set_ylabel("Incidents")
    >>> alt_text(fig)
    'Chart: ASB rose in summer (y axis: Incidents).'
    """
    parts = []
    if figure._suptitle is not None and figure._suptitle.get_text():
        parts.append(figure._suptitle.get_text())
    for ax in figure.get_axes():
        if not ax.get_visible():
            continue
        title = " ".join(t for t in (ax.get_title(loc=k) for k in ("left", "center")) if t)
        labels = [
            f"{k} axis: {v}" for k, v in (("x", ax.get_xlabel()), ("y", ax.get_ylabel())) if v
        ]
        if title or labels:
            parts.append(title + (f" ({'; '.join(labels)})" if labels else ""))
    return (
        ("Chart: " + "; ".join(p.strip() for p in parts if p.strip()) + ".")
        if parts
        else ("Chart without a title.")
    )


def install_display_hooks() -> None:
    """In a notebook, show matplotlib figures as PNG with :func:`alt_text` as alt text.

    Does nothing outside IPython. Called by :func:`csplib.load_context`.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return
    shell = get_ipython()
    if shell is None:
        return
    import io

    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # The inline backend is loaded lazily with the first figure and then registers its own
    # PNG formatter; load it now so that ours, registered after, is the one used.
    plt.close(plt.figure())

    def png_with_alt(fig):
        if not fig.axes and not fig.lines:
            return None
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", dpi=100)
        return buf.getvalue(), {"alt": alt_text(fig)}

    plt.rcParams["figure.dpi"] = 100
    shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_alt)


def paragraph(text: str) -> HTML:
    """One paragraph of text, HTML-escaped."""
    return HTML(f"<p>{html.escape(str(text), quote=False)}</p>")


def bullets(items) -> HTML:
    """A bulleted list of escaped text items."""
    inner = "".join(f"<li>{html.escape(str(i), quote=False)}</li>" for i in items)
    return HTML(f"<ul>{inner}</ul>")


def _formatter(value):
    if isinstance(value, bool) or value is None:
        return "" if value is None else ("yes" if value else "no")
    if isinstance(value, int) or (isinstance(value, float) and float(value).is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.1f}"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%b %Y")
    return str(value)


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: dict | None = None,
    index: bool | None = None,
) -> HTML:
    """A table as escaped HTML with the house number formats.

    Parameters
    ----------
    frame : DataFrame
        The table (numbers kept numeric).
    caption : str, optional
        Shown above the table; escaped.
    formats : dict, optional
        Per-column format strings or callables, e.g. ``{"share": "{:.1%}"}``; other numbers get
        thousands separators (integers) or one decimal place.
    index : bool, optional
        Show the index; default: unless it is a plain range.
    """
    show_index = (not isinstance(frame.index, pd.RangeIndex)) if index is None else index
    formats = formats or {}
    styler = frame.style.format(_formatter, na_rep="", escape="html")
    for column, fmt in formats.items():
        styler = styler.format(fmt, subset=[column], na_rep="", escape="html")
    styler = styler.format_index(_formatter, escape="html", axis=0)
    styler = styler.format_index(escape="html", axis=1)
    if not show_index:
        styler = styler.hide(axis="index")
    if caption:
        styler = styler.set_caption(html.escape(caption, quote=False))
    styler = styler.set_table_attributes('class="csp-table"')
    return HTML(styler.to_html())


def findings_html(findings: list[Finding], heading: str | None = None) -> HTML:
    """The findings as a list, each linked to its evidence chapter (text escaped).

    Examples
    --------
    >>> from csplib.chapters.findings import Finding
    >>> print(findings_html([Finding("ASB <fell>.", "01_volume")], heading="Volume").data)
    <h2>Volume</h2><ul><li>ASB &lt;fell&gt;. <a href="01_volume.html">[evidence:
    Volume]</a></li></ul>
    """
    items = []
    for f in findings:
        title = chapter(f.evidence).title.split(":")[0]
        items.append(
            f"<li>{html.escape(f.text, quote=False)} "
            f'<a href="{f.evidence}.html">[evidence: {html.escape(title)}]</a></li>'
        )
    head = f"<h2>{html.escape(heading, quote=False)}</h2>" if heading else ""
    return HTML(head + "<ul>" + "".join(items) + "</ul>")
