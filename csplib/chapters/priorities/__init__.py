"""The priorities chapter: which themes to prioritise, scored on threat, risk, harm and volume.

The notebook (``notebooks/07_priorities.ipynb``) calls :func:`assess` once and lays out the
:class:`PrioritiesResult` it returns. The scoring itself is :mod:`csplib.methods.scoring`.

Modules, by concept:

* :mod:`~csplib.chapters.priorities.trends`: the threat inputs, each theme's monthly counts
  (missing and implausible months kept missing), trend and forecast, with the Covid-19
  restrictions' months left out or the trend not used (:func:`theme_monthly_counts`,
  :func:`theme_threat`, :func:`covid_note`, :func:`covid_findings`).
* :mod:`~csplib.chapters.priorities.ranking`: every input of every theme, the analyst's
  judgements, the scores, ranks and their sensitivity (:func:`prioritise`,
  :func:`prioritise_store`, a :class:`PrioritisationResult`).
* :mod:`~csplib.chapters.priorities.chapter`: the chapter's result: the scheme tables
  (:func:`scheme_table`, :func:`scheme_settings`) and every table with its disclosure
  declarations, findings (:func:`priorities_findings`), headline figures, chart titles and
  paragraphs (:func:`assess`, :func:`chapter_result`).
* :mod:`~csplib.chapters.priorities.text`: lists and chart titles in words
  (:func:`volume_harm_title`, :func:`rank_range_title`), and the scales no theme was scored
  on (:func:`unscored_text`), said before anything is called robust.
"""

from csplib.chapters.priorities.chapter import (
    CHAPTER,
    PrioritiesResult,
    assess,
    chapter_result,
    priorities_findings,
    scheme_settings,
    scheme_table,
)
from csplib.chapters.priorities.ranking import (
    COMPUTED_INDICATORS,
    PrioritisationResult,
    harm_weights,
    prioritise,
    prioritise_store,
)
from csplib.chapters.priorities.text import rank_range_title, unscored_text, volume_harm_title
from csplib.chapters.priorities.trends import (
    covid_findings,
    covid_note,
    theme_monthly_counts,
    theme_threat,
)

__all__ = [
    "COMPUTED_INDICATORS",
    "CHAPTER",
    "theme_monthly_counts",
    "theme_threat",
    "covid_note",
    "covid_findings",
    "harm_weights",
    "scheme_table",
    "scheme_settings",
    "PrioritisationResult",
    "prioritise",
    "prioritise_store",
    "volume_harm_title",
    "rank_range_title",
    "unscored_text",
    "priorities_findings",
    "PrioritiesResult",
    "assess",
    "chapter_result",
]
