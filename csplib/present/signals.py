"""NHS *Making Data Count* icons with a one-line reading, for the pages.

Boards that read NHS reports know two icons: the **variation** of the latest month of an
SPC chart (common cause in grey; special cause of concern in orange or of improvement in
blue, marked H or L for higher or lower; neither in purple) and the **assurance** against a
target (P consistently passing, F consistently failing, ? hit and miss). :func:`signals`
draws them as small inline SVG images from the classification an SPC result carries
(:meth:`csplib.methods.models.SPCResults.classification`): the pages add no rule of their
own, so an icon can never disagree with the chart or the table beside it. Each icon has
its reading as its accessible name, and the line beside it says the same in words, so
colour is never the only signal. Text from data is escaped.

Examples
--------
>>> reading = {"month": "2024-12", "variation": "special_cause_concern_high",
...     "variation_label": "Special cause of concern: significantly higher",
...     "assurance": None, "assurance_label": None, "target": None}
>>> page = signals([("Shoplifting in <Castle>", reading)]).data
>>> "Shoplifting in &lt;Castle&gt;" in page and 'aria-label="Special cause of concern' in page
True
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping

import pandas as pd
from IPython.display import HTML

__all__ = ["ICON_COLOURS", "icon_svg", "signal_line", "signals"]

#: Icon colours (white letters on them have a contrast of 4.5:1 or more): grey for common
#: cause and hit and miss, orange for concern and failing, blue for improvement and
#: passing, purple for special cause that is neither.
ICON_COLOURS = {
    "common": "#5F6368",
    "concern": "#B45309",
    "improvement": "#005EB8",
    "neither": "#5C2D91",
}

#: One line of the list: icons, then the words, wrapping beside them at any width.
_ROW = "display:flex;gap:0.4em;align-items:flex-start;margin:0.3em 0;list-style:none"

_ASSURANCE = {
    "consistent_pass": ("improvement", "P"),
    "consistent_fail": ("concern", "F"),
    "inconsistent": ("common", "?"),
}


def _variation_style(variation: str) -> tuple[str, str]:
    """(colour key, letter) of a variation key such as ``special_cause_concern_high``."""
    if not variation or variation in ("none", "common_cause"):
        return "common", "~" if variation == "common_cause" else "–"
    kind = next((k for k in ("concern", "improvement", "neither") if k in variation), "neither")
    return kind, "H" if variation.endswith("high") else "L"


def icon_svg(kind: str, letter: str, label: str, size: int = 28) -> str:
    """One round icon: ``letter`` in white on the colour of ``kind``, named ``label``.

    Examples
    --------
    >>> svg = icon_svg("concern", "H", "Special cause of concern: significantly higher")
    >>> svg.startswith('<svg role="img"') and ">H</text>" in svg and "#B45309" in svg
    True
    """
    name = html.escape(label)
    colour = ICON_COLOURS[kind]
    return (
        f'<svg role="img" aria-label="{name}" width="{size}" height="{size}" '
        f'viewBox="0 0 28 28" style="vertical-align:middle;flex:none">'
        f"<title>{name}</title>"
        f'<circle cx="14" cy="14" r="13" fill="{colour}"/>'
        f'<text x="14" y="19" text-anchor="middle" font-family="Arial, sans-serif" '
        f'font-size="14" font-weight="bold" fill="#FFFFFF">{html.escape(letter)}</text></svg>'
    )


def signal_line(name: str, reading: Mapping) -> str:
    """One ``<li>``: the variation icon (and the assurance icon when there is a target),
    then ``name`` and the reading in words.

    ``reading`` is an SPC classification: ``variation``, ``variation_label``, ``month``
    (``YYYY-MM``) and, with a target, ``assurance`` and ``assurance_label``. One without a
    ``variation`` (no chart) shows its ``note``.
    """
    name = html.escape(name)
    variation = reading.get("variation")
    if not variation:
        note = reading.get("note") or "too few months with data"
        icon = icon_svg("common", "–", f"No chart: {note}")
        words = f"no chart ({html.escape(note)})"
        return f'<li style="{_ROW}">{icon}<span><strong>{name}</strong>: {words}.</span></li>'
    kind, letter = _variation_style(variation)
    label = reading.get("variation_label") or variation
    icons = icon_svg(kind, letter, label)
    month = reading.get("month")
    when = f" in {pd.Timestamp(month + '-01'):%b %Y}" if month else ""
    words = f"{html.escape(label)}{when}"
    assurance = reading.get("assurance")
    if assurance:
        a_kind, a_letter = _ASSURANCE[assurance]
        a_label = reading.get("assurance_label") or assurance
        icons += icon_svg(a_kind, a_letter, a_label)
        words += f". {html.escape(a_label)}"
    return f'<li style="{_ROW}">{icons}<span><strong>{name}</strong>: {words}.</span></li>'


def signals(items: Iterable[tuple[str, Mapping]], heading: str | None = None) -> HTML:
    """A list of signals, one line each: ``(name, classification)`` pairs.

    Parameters
    ----------
    items : iterable of (str, mapping)
        What each line is about, and its SPC classification
        (:meth:`csplib.methods.models.SPCResults.classification`).
    heading : str, optional
        A line above the list (escaped).
    """
    rows = "".join(signal_line(name, reading) for name, reading in items)
    head = f"<p>{html.escape(heading)}</p>" if heading else ""
    return HTML(f'{head}<ul class="csp-signals" style="padding-left:0">{rows}</ul>')
