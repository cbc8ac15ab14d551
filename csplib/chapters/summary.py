"""The summary chapter: each chapter's key findings, read from the chapters' saved results.

The summary computes nothing. Every chapter saves its result (findings, headline figures)
to ``results/<chapter>.json`` in the run folder (:mod:`csplib.chapters.result`); the
summary runs last and reads those files, so every figure in it is the figure its chapter
stated, computed once. Each finding names the chapter holding its evidence.

Examples
--------
>>> from csplib.chapters.findings import Finding
>>> from csplib.chapters.result import ChapterResult
>>> saved = {"01_volume": ChapterResult("01_volume", findings=[Finding("A fell.", "01_volume")],
...                                     notes={"quality": ["May 2020 is missing."]})}
>>> for section, items in key_findings(saved).items():
...     print(section, [f.text for f in items])
Volume ['A fell.']
What the data can and cannot tell us ['May 2020 is missing.']
Not available ['The Priorities chapter has no saved result: its findings are missing (did it
run?).', ...]
"""

from __future__ import annotations

from pathlib import Path

from csplib.chapters.findings import Finding
from csplib.chapters.registry import chapter
from csplib.chapters.result import ChapterResult, ResultVersionError, load_result

__all__ = ["CHAPTER", "SECTIONS", "SOURCES", "assess", "by_section", "key_findings", "read_results"]

CHAPTER = "00_summary"

#: Sections of the summary, in reading order, and the most findings each may contribute.
SECTIONS: dict[str, int] = {
    "Recommended priorities": 4,
    "Volume": 2,
    "Threat: what is changing": 4,
    "Harm": 3,
    "Risk": 4,
    "Places": 3,
    "Performance against the plan": 5,
    "What the data can and cannot tell us": 6,
}

#: The chapter whose saved result each section reads.
SOURCES: dict[str, str] = {
    "Recommended priorities": "07_priorities",
    "Volume": "01_volume",
    "Threat: what is changing": "02_threat",
    "Harm": "03_harm",
    "Risk": "04_risk",
    "Places": "05_places",
    "Performance against the plan": "06_performance",
    "What the data can and cannot tell us": "01_volume",
}

MISSING = "Not available"


def read_results(run_dir: str | Path | None) -> tuple[dict[str, ChapterResult], list[str]]:
    """The chapters' saved results in ``run_dir``, and a sentence for each that is missing
    or unreadable (of another format or version)."""
    results: dict[str, ChapterResult] = {}
    problems: list[str] = []
    for name in dict.fromkeys(SOURCES.values()):
        title = chapter(name).title.split(":")[0]
        try:
            saved = load_result(run_dir, name) if run_dir is not None else None
        except ResultVersionError as exc:
            problems.append(f"The {title} chapter's saved result cannot be read: {exc}.")
            continue
        if saved is None:
            problems.append(
                f"The {title} chapter has no saved result: its findings are missing (did it run?)."
            )
        else:
            results[name] = saved
    return results, problems


def key_findings(
    results: dict[str, ChapterResult], problems: list[str] | None = None
) -> dict[str, list[Finding]]:
    """The summary's findings by section (at most :data:`SECTIONS` of each).

    Parameters
    ----------
    results : dict of str to ChapterResult
        Saved chapter results by chapter name.
    problems : list of str, optional
        Sentences on chapters whose results are missing (:func:`read_results`); when None,
        every chapter of :data:`SOURCES` absent from ``results`` is reported missing.

    Returns
    -------
    dict
        Section title -> findings, in :data:`SECTIONS` order; a section with nothing to say
        is left out; a last section, "Not available", says which results were missing.
    """
    if problems is None:
        problems = [
            f"The {chapter(n).title.split(':')[0]} chapter has no saved result: its findings "
            "are missing (did it run?)."
            for n in dict.fromkeys(SOURCES.values())
            if n not in results
        ]
    out: dict[str, list[Finding]] = {}
    for section, most in SECTIONS.items():
        saved = results.get(SOURCES[section])
        if saved is None:
            continue
        if section == "What the data can and cannot tell us":
            found = [Finding(text, saved.chapter) for text in saved.notes.get("quality", [])]
        else:
            found = list(saved.findings)
        if found[:most]:
            out[section] = found[:most]
    if problems:
        out[MISSING] = [Finding(text, CHAPTER) for text in problems]
    return out


def assess(ctx) -> ChapterResult:
    """The summary's result: the chapters' findings read from this run's folder, in section
    order (``headline["sections"]`` holds how many each section has; :func:`by_section`).

    In interactive use (no output folder) it reads the last run of the same assessment,
    ``<output_dir>/<year>``, when there is one.
    """
    params = ctx.params
    run_dir = ctx.output_dir
    if run_dir is None:
        last = Path(params.year_dir)
        run_dir = last if last.is_dir() else None
    sections = key_findings(*read_results(run_dir))
    return ChapterResult(
        CHAPTER,
        findings=[f for items in sections.values() for f in items],
        headline={"sections": {s: len(items) for s, items in sections.items()}},
    )


def by_section(result: ChapterResult) -> dict[str, list[Finding]]:
    """The summary result's findings grouped by section again (see :func:`assess`)."""
    out, start = {}, 0
    for section, n in result.headline["sections"].items():
        out[section] = result.findings[start : start + n]
        start += n
    return out
