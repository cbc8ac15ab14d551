"""The contents page of a run (``index.html``): the answers first, then the chapters.

A board member opens the assessment here. The page leads with the recommended priorities
(from the priorities chapter's saved headline) and a handful of headline findings (the first
finding of the chapters in :data:`HEADLINE_CHAPTERS`, each linked to its chapter), then the
notes on the data, then the chapters and theme packs to read further. Run status shows only
for a chapter that did not finish; every status and its seconds are in ``manifest.json``.

Examples
--------
>>> items, note = priorities_text({"top_k": 3, "unscored_scales": ["public_concern"],
...     "recommended": [{"theme": "Drugs", "score": 4.0, "robust": True},
...                     {"theme": "ASB", "score": 3.5, "robust": False}]})
>>> items
['Drugs (score 4.0 of 5)', 'ASB (score 3.5 of 5)']
>>> print(note)  # doctest: +NORMALIZE_WHITESPACE
Not scored for any theme: public concern. ASB could leave the top 3 under other weights or
other values of the scales not scored; Drugs stays in it under all of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from csplib.chapters.priorities.text import join_names, scale_names
from csplib.chapters.registry import CHAPTERS
from csplib.chapters.result import ResultVersionError, load_result
from csplib.core.provenance import csplib_version, git_commit
from csplib.params import Params
from csplib.present.annex import ANNEX_NAME
from csplib.present.pages import TEMPLATES

if TYPE_CHECKING:  # pragma: no cover
    from csplib.run.runner import RunResult

__all__ = [
    "HEADLINE_CHAPTERS",
    "headline_findings",
    "priorities_text",
    "render_contents",
]

#: The chapters whose first finding the contents page leads with, in reading order: how
#: much, what is changing, how harmful, where, and against the plan.
HEADLINE_CHAPTERS: tuple[str, ...] = (
    "01_volume",
    "02_threat",
    "03_harm",
    "05_places",
    "06_performance",
)

_PRIORITIES = "07_priorities"
#: The glossary page of a run (:func:`csplib.present.glossary.write_glossary`).
GLOSSARY = "html/glossary.html"


def _saved(out: Path, name: str):
    try:
        return load_result(out, name)
    except ResultVersionError:
        return None


def headline_findings(
    out: Path, pages: dict[str, str], chapters: Sequence[str] = HEADLINE_CHAPTERS
) -> list[dict]:
    """The first finding each of ``chapters`` saved in the run at ``out``, as
    ``{"text", "href", "chapter"}`` (``href`` the shared page in ``pages``, at the
    finding's table or section when it names one; None when the page is not shared).

    A chapter that failed or saved no finding is left out.
    """
    titles = {c.name: c.title.split(":")[0] for c in CHAPTERS}
    found = []
    for name in chapters:
        saved = _saved(out, name)
        if saved is None or not saved.findings:
            continue
        first = saved.findings[0]
        href = pages.get(name)
        if href and first.anchor:
            href = f"{href}#{first.anchor}"
        found.append({"text": first.text, "href": href, "chapter": titles[name]})
    return found


def priorities_text(headline: dict) -> tuple[list[str], str]:
    """The recommended priorities as list items, and one sentence on how sure they are:
    the scales not scored, then which themes could leave the top (robust or not)."""
    recommended = headline.get("recommended") or []
    items = [f"{r['theme']} (score {float(r['score']):.1f} of 5)" for r in recommended]
    k = headline.get("top_k", len(items))
    unscored = scale_names(headline.get("unscored_scales") or [])
    parts = [f"Not scored for any theme: {join_names(unscored)}."] if unscored else []
    fragile = [r["theme"] for r in recommended if not r.get("robust")]
    steady = [r["theme"] for r in recommended if r.get("robust")]
    if fragile:
        text = (
            f"{join_names(fragile)} could leave the top {k} under other weights or other "
            "values of the scales not scored"
        )
        if steady:
            verb = "stays" if len(steady) == 1 else "stay"
            text += f"; {join_names(steady)} {verb} in it under all of them"
        parts.append(text + ".")
    elif steady:
        parts.append(
            f"{'It stays' if len(steady) == 1 else 'All stay'} in the top {k} under every "
            "plausible weighting and value of the scales not scored."
        )
    return items, " ".join(parts)


def _data_period(params: Params) -> str:
    from csplib.ingest.store import load_store

    try:
        months = load_store(params).months_present  # built once by the run's warm-up
    except Exception as exc:  # the contents page must still be written
        return f"unknown ({type(exc).__name__})"
    return f"{months.min():%B %Y} to {months.max():%B %Y}"


def render_contents(
    params: Params,
    result: RunResult,
    started: dt.datetime,
    data_notes: list[str],
    banner: str | None,
) -> str:
    """The contents page of the run in ``result.out_dir``, as HTML."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    out = result.out_dir
    by_name = {c.name: c for c in CHAPTERS}
    pages = {run.name: run.outputs["html"] for run in result.chapters if "html" in run.outputs}
    chapters = [
        {
            "title": run.title,
            "question": by_name[run.name].question,
            "html": run.outputs.get("html"),
            "review": run.outputs.get("review"),
            "status": run.status,
            "status_text": run.short_status,
        }
        for run in result.chapters
    ]
    packs = [
        {
            "title": params.themes[run.name.removeprefix("pack_")].name,
            "subgroup": params.themes[run.name.removeprefix("pack_")].subgroup,
            "html": run.outputs.get("html"),
            "status": run.status,
            "status_text": run.short_status,
        }
        for run in result.packs
    ]
    priorities = _saved(out, _PRIORITIES) if _PRIORITIES in pages else None
    items, sureness = priorities_text(priorities.headline) if priorities else ([], "")
    commit = git_commit(params.root)
    return env.get_template("index.html.j2").render(
        title=f"{params.area.name} {params.assessment.title} {params.assessment.year}",
        area=params.area.name,
        period=params.assessment.period.label,
        banner=banner,
        priorities=items,
        priorities_note=sureness,
        priorities_href=pages.get(_PRIORITIES),
        headlines=headline_findings(out, pages),
        glossary=GLOSSARY if (out / GLOSSARY).is_file() else None,
        chapters=chapters,
        show_status=any(c["status"] != "ok" for c in chapters + packs),
        packs=packs,
        summary=params.summary(),
        interrupted=result.interrupted,
        finished=[run.title for run in result.finished],
        data_period=_data_period(params),
        data_notes=data_notes,
        annex=ANNEX_NAME if (out / ANNEX_NAME).exists() else None,
        run_date=f"{started:%d %B %Y}",
        version=csplib_version(),
        commit=commit["commit"] if commit else None,
    )
