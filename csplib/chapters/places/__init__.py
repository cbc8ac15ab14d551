"""The places chapter: wards, neighbourhoods (LSOAs) and hotspots.

The notebook (``notebooks/05_places.ipynb``) calls :func:`assess` once and lays out the
:class:`PlacesResult` it returns. The methods are in :mod:`csplib.methods.places`.

Modules, by concept:

* :mod:`~csplib.chapters.places.assessment`: what the chapter computes from the parameters
  and the store: rates by ward and LSOA, Gi* hotspots of three groups of incidents, ASB
  emerging hotspots against up to three earlier years, and ward profiles
  (:func:`assess_places`, a :class:`PlacesAssessment`).
* :mod:`~csplib.chapters.places.tables`: the tables it shows (:func:`hotspot_table`,
  :func:`emerging_table`, :func:`profile_table`).
* :mod:`~csplib.chapters.places.chapter`: the chapter's result: its tables with their
  disclosure declarations, findings (:func:`places_findings`), headline figures, map titles
  (:func:`chart_titles`) and paragraphs (:func:`assess`, :func:`chapter_result`).
"""

from csplib.chapters.places.assessment import (
    ALL_CRIME,
    GI_SETTINGS,
    GROUPS,
    VIOLENCE,
    PlacesAssessment,
    assess_places,
    comparison_window,
    profile_measures,
    ward_outlines,
)
from csplib.chapters.places.chapter import (
    CHAPTER,
    PlacesResult,
    assess,
    chapter_result,
    chart_titles,
    places_findings,
)
from csplib.chapters.places.tables import emerging_table, hotspot_table, profile_table

__all__ = [
    "CHAPTER",
    "ALL_CRIME",
    "VIOLENCE",
    "GROUPS",
    "GI_SETTINGS",
    "ward_outlines",
    "comparison_window",
    "profile_measures",
    "hotspot_table",
    "emerging_table",
    "profile_table",
    "PlacesAssessment",
    "assess_places",
    "PlacesResult",
    "assess",
    "chapter_result",
    "chart_titles",
    "places_findings",
]
