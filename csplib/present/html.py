"""Showing results safely in chapters: escaped text, formatted tables, the data annex.

Everything a chapter shows goes through here, so that text from data is always escaped
(a location called ``<script>`` shows as text) and numbers are formatted one way:
thousands separators, one decimal place for rates and shares, p and q values as "< 0.001",
never scientific notation, and columns under their reader labels (:mod:`csplib.present.labels`).

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

import datetime
import html
import math
import numbers
import re
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from IPython.display import HTML

from csplib.chapters.findings import Finding, table_anchor
from csplib.chapters.registry import chapter
from csplib.present.labels import is_p_or_q, label, value_label

__all__ = [
    "paragraph",
    "table",
    "cell_text",
    "number_text",
    "p_text",
    "plain_text",
    "bullets",
    "findings_html",
    "table_anchor",
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


#: Pixels per CSS pixel of a chart's PNG: drawn at twice the size it is shown, so it stays
#: sharp when a reader zooms or on a high-density screen.
PNG_SCALE = 2


def png_display(fig) -> tuple[bytes, dict] | None:
    """A figure as a PNG drawn at :data:`PNG_SCALE` times its shown size, with the size to
    show it at (``width``, ``height`` in CSS pixels) and :func:`alt_text`; None for an
    empty figure.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 2))
    >>> _ = ax.plot([1, 2], [3, 4]); _ = ax.set_title("Up")
    >>> data, meta = png_display(fig)
    >>> int.from_bytes(data[16:20], "big") == 2 * meta["width"], meta["alt"]
    (True, 'Chart: Up.')
    """
    import io

    if not fig.axes and not fig.lines:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", dpi=100 * PNG_SCALE)
    data = buf.getvalue()
    width, height = (int.from_bytes(data[i : i + 4], "big") for i in (16, 20))  # PNG IHDR
    return data, {
        "alt": alt_text(fig),
        "width": width // PNG_SCALE,
        "height": height // PNG_SCALE,
    }


def install_display_hooks() -> None:
    """In a notebook, show matplotlib figures as sharp PNGs (:func:`png_display`) with
    :func:`alt_text` as alt text.

    Does nothing outside IPython. Called by :func:`csplib.load_context`.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return
    shell = get_ipython()
    if shell is None:
        return
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    # The inline backend is loaded lazily with the first figure and then registers its own
    # PNG formatter; load it now so that ours, registered after, is the one used.
    plt.close(plt.figure())

    plt.rcParams["figure.dpi"] = 100
    shell.display_formatter.formatters["image/png"].for_type(Figure, png_display)


def paragraph(text: str) -> HTML:
    """One paragraph of text, HTML-escaped."""
    return HTML(f"<p>{html.escape(plain_text(text), quote=False)}</p>")


def bullets(items) -> HTML:
    """A bulleted list of escaped text items."""
    inner = "".join(f"<li>{html.escape(plain_text(i), quote=False)}</li>" for i in items)
    return HTML(f"<ul>{inner}</ul>")


_SCI = r"[-+]?\d+(?:\.\d+)?[eE][-+]?\d+"
_SCI_IN_TEXT = re.compile(
    rf"(?P<pre>\b[pq]\s*=\s*)?(?P<eq>=\s*)?(?<![\w.])(?P<num>{_SCI})(?![\w.])"
)
_MISSING_TEXT = {"nan", "none", "nat", "<na>", "null"}

#: A cell with no value: an en dash, with a reason read out by screen readers.
MISSING_HTML = '<span aria-hidden="true">–</span><span class="csp-vh">no value</span>'


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in _MISSING_TEXT
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number_text(value) -> str:
    """A number in the house style, never in scientific notation.

    Whole numbers get thousands separators; other numbers of 1 or more one decimal place;
    smaller ones two significant figures, down to "< 0.001".

    Examples
    --------
    >>> [number_text(v) for v in (12345, 12345.0, 2.345, 0.456, 0.0123, 5e-29, -3e-9, 1.2e7)]
    ['12,345', '12,345', '2.3', '0.46', '0.012', '< 0.001', '> -0.001', '12,000,000']
    """
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    v = float(value)
    if math.isinf(v):
        return "infinite" if v > 0 else "minus infinite"
    if v.is_integer():
        return f"{int(v):,}"
    if abs(v) >= 1:
        return f"{v:,.1f}"
    if abs(v) < 0.001:
        return "< 0.001" if v > 0 else "> -0.001"
    decimals = min(3, 1 - math.floor(math.log10(abs(v))))
    return f"{v:.{decimals}f}"


def p_text(value) -> str:
    """A p or q value as a reader sees it: "< 0.001", else three decimals below 0.01 and
    two from there (three when two would round a value under 0.05 up to "0.05"), halves
    rounded up.

    Examples
    --------
    >>> [p_text(v) for v in (5.39e-29, 0.0004, 0.0042, 0.015, 0.0234, 0.0496, 0.35, 1.0)]
    ['< 0.001', '< 0.001', '0.004', '0.02', '0.02', '0.050', '0.35', '1.00']
    """
    v = float(value)
    if v < 0.001:
        return "< 0.001"
    places = 3 if v < 0.01 else 2
    text = _round_half_up(v, places)
    if v < 0.05 <= float(text):
        text = _round_half_up(v, 3)
    return text


def _round_half_up(value: float, places: int) -> str:
    step = Decimal(1).scaleb(-places)
    return str(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def plain_text(text: str) -> str:
    """Text with any number in scientific notation written out ("p = 8.3e-236" becomes
    "p < 0.001").

    Examples
    --------
    >>> plain_text("overdispersion test p = 8.32e-236; rate 1.2e+04")
    'overdispersion test p < 0.001; rate 12,000'
    >>> plain_text("NB2, alpha = 1.2e-05; rate = 1.5e+03")
    'NB2, alpha < 0.001; rate = 1,500'
    >>> plain_text("q = 0.0123 in E01013836")
    'q = 0.0123 in E01013836'
    """

    def swap(m: re.Match) -> str:
        value = float(m.group("num"))
        pre = m.group("pre")
        if pre:
            return pre.rstrip("= \t") + (" < 0.001" if value < 0.001 else f" = {p_text(value)}")
        text = number_text(value)
        eq = m.group("eq") or ""
        return text if eq and text[0] in "<>" else eq + text  # "alpha < 0.001", not "= <"

    return _SCI_IN_TEXT.sub(swap, str(text))


def _formatter(value):
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        return number_text(value)
    if isinstance(value, (pd.Timestamp, datetime.date)):
        return value.strftime("%b %Y")
    return plain_text(value_label(str(value)))


def cell_text(value, fmt=None, *, column=None) -> str:
    """One table cell as text: p and q columns as :func:`p_text`, else the column's
    format (a format string or a callable), else the house format; scientific notation
    from a format is written out, code names become words (:func:`value_label`) and a
    missing value gives ``""``.

    Examples
    --------
    >>> cell_text(5e-29, "{:.2g}"), cell_text(0.0001, "{:.3f}", column="p_value")
    ('< 0.001', '< 0.001')
    >>> cell_text(0.25, "{:.1%}"), cell_text("[c]", "{:.1%}"), cell_text(float("nan"))
    ('25.0%', '[c]', '')
    >>> cell_text("higher_is_worse"), cell_text(True), cell_text(3.0, "{:g}")
    ('Higher is worse', 'yes', '3')
    """
    if _is_missing(value):
        return ""
    if isinstance(value, str):
        return plain_text(value_label(value))
    if column is not None and is_p_or_q(column) and isinstance(value, numbers.Real):
        return p_text(value)
    if fmt is not None and not isinstance(value, (bool, np.bool_)):
        text = fmt(value) if callable(fmt) else str(fmt).format(value)
        if isinstance(value, numbers.Real) and re.search(_SCI, str(text)):
            suffix = "%" if str(text).rstrip().endswith("%") else ""
            return number_text(value) + suffix
        return plain_text(str(text))
    return _formatter(value)


_NUM_CLASS = ' class="csp-num"'


def _cell(tag: str, content: str, head: str, *, scope: str | None = None, num=False) -> str:
    attrs = f' scope="{scope}"' if scope else ""
    attrs += f' data-label="{html.escape(head)}"' if head else ""
    classes = " ".join(c for c, on in (("csp-num", num), ("csp-missing", content == "")) if on)
    attrs += f' class="{classes}"' if classes else ""
    body = MISSING_HTML if content == "" else html.escape(content, quote=False)
    return f"<{tag}{attrs}>{body}</{tag}>"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _numeric(column: pd.Series) -> bool:
    """Numbers, with at most short markers (a suppressed ``[c]``) and gaps among them."""
    values = [v for v in column if not _is_missing(v)]
    return any(_is_number(v) for v in values) and all(
        _is_number(v) or (isinstance(v, str) and len(v) <= 4) for v in values
    )


#: A table whose narrowest layout (its longest word in each column, numbers kept whole) is
#: wider than this many characters cannot fit the page's text column (58rem) as a grid (measured
#: on the 2025 pages); it is shown as one card per row at every width (class ``csp-cards``).
CARDS_FROM = 126


def _min_chars(text: str, number: bool) -> int:
    if number:
        return len(text)
    return max((len(w) for w in str(text).split()), default=0)


def _default_caption(heads: list[str]) -> str:
    named = [h for h in heads if h]
    shown = ", ".join(named[:4]) + (" and more" if len(named) > 4 else "")
    return f"Table: {shown}" if shown else "Table"


def table(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: dict | None = None,
    index: bool | None = None,
    anchor: str | None = None,
) -> HTML:
    """A table as escaped, accessible HTML in the house number formats.

    Columns are headed by their reader labels (:func:`csplib.present.labels.label`), with
    ``scope`` on every header cell and a caption on every table; each cell carries its
    column label (``data-label``), so the page can stack the table at phone width. p and q
    values show as "< 0.001"/"0.02", no number shows in scientific notation whatever the
    format, and a missing value shows as an en dash with a hidden reason. A table too wide
    for the page even with its cells wrapped (:data:`CARDS_FROM`) is marked to show one
    card per row (classes ``csp-wide`` and ``csp-cards`` on the wrapping ``div``).

    Parameters
    ----------
    frame : DataFrame
        The table (numbers kept numeric; column names as in the data annex).
    caption : str, optional
        Shown above the table; escaped. Default: the first column labels.
    formats : dict, optional
        Per-column format strings or callables, e.g. ``{"share": "{:.1%}"}``; other numbers get
        thousands separators (integers), one decimal place or two significant figures.
    index : bool, optional
        Show the index; default: unless it is a plain range.
    anchor : str, optional
        The ``id`` of the table's wrapper, so a finding can link to the table itself
        (:func:`table_anchor`).

    Examples
    --------
    >>> frame = pd.DataFrame({"ward": ["A"], "rate_ratio": [1.543], "q_value": [8e-12]})
    >>> out = table(frame, caption="Wards", formats={"q_value": "{:.2g}"}).data
    >>> '<th scope="col" class="csp-num">Rate ratio</th>' in out
    True
    >>> ">< 0.001<" in out.replace("&lt;", "<")
    True
    >>> '<th scope="row" data-label="Ward">A</th>' in out
    True
    """
    show_index = (not isinstance(frame.index, pd.RangeIndex)) if index is None else index
    formats = formats or {}
    index_names = list(frame.index.names) if show_index else []
    index_heads = [label(n) if n is not None else "" for n in index_names]
    column_heads = [label(c) for c in frame.columns]
    heads = index_heads + column_heads
    first_is_label = (
        not show_index
        and len(frame.columns) > 0
        and not pd.api.types.is_numeric_dtype(frame.dtypes.iloc[0])
        and not pd.api.types.is_bool_dtype(frame.dtypes.iloc[0])
    )
    numeric = [False] * len(index_heads) + [
        _numeric(frame.iloc[:, i]) for i in range(frame.shape[1])
    ]
    if first_is_label:
        numeric[len(index_heads)] = False
    head_cells = "".join(
        f'<th scope="col"{_NUM_CLASS if num else ""}>{html.escape(h, quote=False)}</th>'
        if h
        else '<th scope="col"><span class="csp-vh">Row</span></th>'
        for h, num in zip(heads, numeric, strict=True)
    )
    rows, texts = [], []
    for key, values in zip(frame.index, frame.itertuples(index=False, name=None), strict=True):
        keys = (key if isinstance(key, tuple) else (key,)) if show_index else ()
        cells = [
            _cell("th", cell_text(k), h, scope="row")
            for k, h in zip(keys, index_heads, strict=True)
        ]
        row_texts = []
        for k, (column, value) in enumerate(zip(frame.columns, values, strict=True)):
            text = cell_text(value, formats.get(column), column=column)
            row_texts.append(text)
            as_head = first_is_label and k == 0
            tag, scope = ("th", "row") if as_head else ("td", None)
            num = numeric[len(index_heads) + k]
            cells.append(_cell(tag, text, column_heads[k], scope=scope, num=num))
        rows.append("<tr>" + "".join(cells) + "</tr>")
        texts.append([cell_text(k) for k in keys] + row_texts)
    text = caption if caption else _default_caption(heads)
    widths = [_min_chars(h, False) for h in heads]
    for row in texts:
        widths = [
            max(w, _min_chars(t, num)) for w, t, num in zip(widths, row, numeric, strict=True)
        ]
    wide = " csp-wide" if len(heads) > 6 else ""
    if sum(w + 2 for w in widths) > CARDS_FROM:
        wide += " csp-cards"
    ident = f' id="{html.escape(anchor)}"' if anchor else ""
    return HTML(
        f'<div class="csp-table-wrap{wide}"{ident}><table class="csp-table">'
        f"<caption>{html.escape(plain_text(text), quote=False)}</caption>"
        f"<thead><tr>{head_cells}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def findings_html(findings: list[Finding], heading: str | None = None) -> HTML:
    """The findings as a list, each linked to its evidence: the chapter, at the table or
    section that shows it when the finding names one (``anchor``); text escaped.

    Examples
    --------
    >>> from csplib.chapters.findings import Finding, table_anchor
    >>> print(findings_html([Finding("ASB <fell>.", "01_volume")], heading="Volume").data)
    <h2>Volume</h2><ul><li>ASB &lt;fell&gt;. <a href="01_volume.html">[evidence:
    Volume]</a></li></ul>
    """
    items = []
    for f in findings:
        title = chapter(f.evidence).title.split(":")[0]
        target = f"{f.evidence}.html" + (f"#{html.escape(f.anchor)}" if f.anchor else "")
        items.append(
            f"<li>{html.escape(plain_text(f.text), quote=False)} "
            f'<a href="{target}">[evidence: {html.escape(title)}]</a></li>'
        )
    head = f"<h2>{html.escape(heading, quote=False)}</h2>" if heading else ""
    return HTML(head + "<ul>" + "".join(items) + "</ul>")
