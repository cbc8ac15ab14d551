"""Layer 5, the chapters: one module per notebook, each turning the context (parameters and
store) into its result: tables, figures and findings (see :mod:`csplib.chapters.registry` for
their order)."""

from csplib.chapters.registry import (
    CHAPTERS,
    EXPLORATION_NOTEBOOKS,
    PACK_NOTEBOOK,
    Chapter,
    chapter,
    select_chapters,
)

__all__ = [
    "Chapter",
    "CHAPTERS",
    "PACK_NOTEBOOK",
    "EXPLORATION_NOTEBOOKS",
    "chapter",
    "select_chapters",
]
