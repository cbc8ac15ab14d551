"""The assessment's chapters, in reading order, and the notebooks that are not chapters.

The runner executes chapters in dependency order (``after``); the summary runs last because
it reads what the other chapters found. Every notebook in ``notebooks/`` must be listed here
(a test checks it).

Examples
--------
>>> [c.name for c in CHAPTERS][:2]
['00_summary', '01_volume']
>>> chapter("01_volume").title
'Volume: how much crime and ASB, and where it is changing'
"""

from __future__ import annotations

from dataclasses import dataclass

from csplib.core.errors import CspError

__all__ = [
    "Chapter",
    "CHAPTERS",
    "PACK_NOTEBOOK",
    "EXPLORATION_NOTEBOOKS",
    "chapter",
    "select_chapters",
]


@dataclass(frozen=True)
class Chapter:
    """One chapter notebook: ``notebooks/<name>.ipynb``.

    Parameters
    ----------
    name : str
        Notebook file stem, also the name of its outputs.
    title : str
        Heading on the contents page.
    question : str
        What the chapter answers, in one sentence, for the contents page.
    after : tuple of str
        Chapters whose results this one reads; it runs after them.
    """

    name: str
    title: str
    question: str
    after: tuple[str, ...] = ()


_BODY: tuple[Chapter, ...] = (
    Chapter(
        "01_volume",
        "Volume: how much crime and ASB, and where it is changing",
        "How many crimes and ASB incidents were recorded, by category and year, and how "
        "complete are the data?",
    ),
    Chapter(
        "02_threat",
        "Threat: what is changing",
        "Which problems are rising or falling beyond what the season and chance explain, "
        "where, and what is expected next year?",
    ),
    Chapter(
        "03_harm",
        "Harm: where the most serious harm falls",
        "Which crimes cause the most harm when weighted by severity, and how does harm "
        "compare with volume?",
    ),
    Chapter(
        "04_risk",
        "Risk: who and where is most vulnerable",
        "Who is repeatedly victimised, how concentrated is crime in few places, and how "
        "closely does it follow deprivation?",
    ),
    Chapter(
        "05_places",
        "Places: wards, neighbourhoods and hotspots",
        "Which wards and neighbourhoods carry the most crime and ASB, and where are the "
        "statistically significant hotspots?",
    ),
    Chapter(
        "06_performance",
        "Performance: progress against the partnership plan",
        "How is the partnership doing against its targets and its performance framework?",
    ),
    Chapter(
        "07_priorities",
        "Priorities: threat, risk, harm and volume",
        "Which themes should the partnership prioritise, and how robust is that ranking?",
    ),
)

#: Chapters in reading order: the summary first (it is executed last).
CHAPTERS: tuple[Chapter, ...] = (
    Chapter(
        "00_summary",
        "Summary: key findings and recommended priorities",
        "What are the key findings, and which priorities does the evidence support?",
        after=tuple(c.name for c in _BODY),
    ),
    *_BODY,
)

#: The theme pack notebook, run once per theme by ``csp assess`` (``packs/<theme>.html``).
PACK_NOTEBOOK = "theme_profile"

#: Notebooks for analysts to explore with; not run by ``csp assess``.
EXPLORATION_NOTEBOOKS: tuple[str, ...] = ("explore/emerging_trends.ipynb",)


def chapter(name: str) -> Chapter:
    """Look up a chapter by name; raise :class:`CspError` listing the known names."""
    for c in CHAPTERS:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in CHAPTERS)
    raise CspError(f"unknown chapter {name!r}; expected one of: {known}")


def select_chapters(names: list[str] | None = None) -> list[Chapter]:
    """The chapters to run, in execution order (dependencies first).

    Parameters
    ----------
    names : list of str, optional
        Chapter names; all chapters when omitted.

    Examples
    --------
    >>> [c.name for c in select_chapters()][-2:]
    ['07_priorities', '00_summary']
    >>> [c.name for c in select_chapters(["01_volume", "01_volume"])]
    ['01_volume']
    """
    chosen = list(dict.fromkeys(chapter(n) for n in names)) if names else list(CHAPTERS)
    chosen_names = {c.name for c in chosen}
    ordered: list[Chapter] = []
    done: set[str] = set()
    while len(ordered) < len(chosen):
        for c in chosen:
            if c.name not in done and all(d in done or d not in chosen_names for d in c.after):
                ordered.append(c)
                done.add(c.name)
    return ordered
