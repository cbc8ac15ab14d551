"""The places chapter (``notebooks/05_places.ipynb``): its tables, findings and figures.

:func:`assess` runs :func:`~csplib.chapters.places.assessment.assess_places` on the
assessment's parameters and data, and :func:`chapter_result` turns it into what the chapter
states (a :class:`PlacesResult`):

- the tables it shows and puts in the data annex (``ward_profiles``; ``hotspots`` when any
  LSOA is a hot spot; ``emerging_hotspots_asb`` when any LSOA's ASB rose), each a
  :class:`~csplib.chapters.result.Table` declaring its count columns and the columns
  computed from them (none of them has totals);
- its key findings (:func:`places_findings`), headline figures and map titles
  (:func:`chart_titles`);
- the paragraphs the page states, by section, in ``notes``: ``"data"`` (what could not be
  computed, and what a reader must know), ``"rates"``, ``"hotspots"``, ``"hotspots_table"``,
  ``"emerging"`` and ``"emerging_table"`` (a section with nothing to say has an empty list).

The assessment itself stays on the result (``assessment``) for the maps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding, table_anchor
from csplib.chapters.places.assessment import (
    ALL_CRIME,
    GROUPS,
    PlacesAssessment,
    assess_places,
    group_noun,
)
from csplib.chapters.places.tables import emerging_table
from csplib.chapters.result import CellKeys, ChapterResult, Table, incidents_key
from csplib.core.schema import ASB, CRIME_CATEGORIES, POLICE_UK_CATEGORIES

__all__ = [
    "CHAPTER",
    "PlacesResult",
    "assess",
    "chapter_result",
    "chart_titles",
    "places_findings",
]

#: The chapter's name (its notebook, annex tables and saved result).
CHAPTER = "05_places"


# ---------------------------------------------------------------------------- the result
@dataclass
class PlacesResult(ChapterResult):
    """The places chapter's :class:`~csplib.chapters.result.ChapterResult`, with the
    assessment it states (``assessment``: rates, hotspots and outlines for the maps; not
    saved)."""

    assessment: PlacesAssessment | None = field(default=None, repr=False, compare=False)

    @property
    def source(self) -> str:
        """The source line of the chapter's maps."""
        year = self.assessment.population_year if self.assessment is not None else ""
        return f"police.uk; ONS mid-{year} population estimates; ONS boundaries"


def assess(ctx) -> PlacesResult:
    """Run the places chapter on a context's parameters and data.

    Parameters
    ----------
    ctx : object with ``params`` and ``store``
        The chapter's context (:class:`csplib.run.context.Context`): the period, area,
        themes and the small-number threshold from ``params``; incidents, partner extract,
        quality report and geography from ``store``.

    Returns
    -------
    PlacesResult
        See :func:`chapter_result`.
    """
    places = assess_places(ctx.params, ctx.store)
    return chapter_result(
        places, threshold=ctx.params.thresholds.suppress_below, themes=ctx.params.themes
    )


def chapter_result(places: PlacesAssessment, *, threshold: int = 5, themes=None) -> PlacesResult:
    """What the chapter states from ``places``: tables, findings, headline, figures, notes.

    Parameters
    ----------
    places : PlacesAssessment
    threshold : int, default 5
        Counts below it are not stated in the findings (small-number suppression).

    Returns
    -------
    PlacesResult
        Tables in the order saved: ``ward_profiles`` (in the data annex), ``ward_summary``
        (shown: one row a ward), ``hotspots`` (only when there are hot
        spots) and ``emerging_hotspots_asb`` (only when emerging hotspots were computed and
        some LSOA's ASB rose). Headline: ``period``, ``population_year``, ``lsoas``,
        ``wards``, ``highest_ward_rate`` and ``area_rate_per_1000`` (crime and ASB per
        1,000 residents), ``hot_spot_lsoas`` (by group), ``comparison`` (the emerging
        hotspots' comparison window, or None) and ``new_asb_hotspots`` (their names, new
        hotspots with the strongest evidence first; None when not computed).
    """
    result = PlacesResult(CHAPTER, assessment=places)
    for table in _tables(places, themes):
        result.add(table)
    result.findings = places_findings(places, threshold=threshold)
    result.headline = _headline(places)
    result.figures = chart_titles(places)
    result.notes = _notes(places, result)
    return result


def measure_key(measure: str, period, themes=None) -> str:
    """The key of a ward profile's measure over ``period``
    (:func:`csplib.chapters.result.incidents_key`), the same as the packs' and the volume
    chapter's for the same incidents.

    Examples
    --------
    >>> from csplib.core.periods import Period
    >>> measure_key(ASB, Period.financial_year(2024))
    'incidents|categories=Anti-social behaviour|period=2024-04..2025-03'
    >>> measure_key(ALL_CRIME, Period.financial_year(2024))
    'incidents|categories=crime|period=2024-04..2025-03'
    """
    start, end = period.start, period.end
    if measure in POLICE_UK_CATEGORIES:
        return incidents_key([measure], start=start, end=end)
    if measure == ALL_CRIME:
        return incidents_key(CRIME_CATEGORIES, start=start, end=end)
    for spec in (themes or {}).values():
        if getattr(spec, "name", None) == measure:
            return incidents_key(spec.categories, spec.flags, start, end)
    return incidents_key(start=start, end=end, what=f"incidents of {measure}")


def _compared_key(row, period, themes=None) -> str:
    """The key of a compared count: the period's own when every month was compared."""
    key = measure_key(row["measure"], period, themes)
    if row.get("months_compared") == period.n_months:
        return key
    return f"{key}|compared={row.get('comparison')}"


def _tables(places: PlacesAssessment, themes=None) -> list[Table]:
    period = places.period
    out = [
        Table(
            "ward_profiles",
            places.profile_table,
            caption=f"Ward profiles, {period.label}: residents, count, rate per 1,000 and rank "
            "(1 = highest rate) for each measure, and the change on the same months of "
            f"{period.previous_year().label} (comparison: the months compared, like-for-like "
            "where a month is missing or flagged; exact Poisson test; q: Benjamini-Hochberg "
            "across wards)",
            counts=("count", "count_compared", "previous_compared"),
            derived={
                "rate_per_1000": ("count",),
                "share_of_area": ("count",),
                "pct_change": ("count_compared", "previous_compared"),
                "p_value": ("count_compared", "previous_compared"),
                "q_value": ("count_compared", "previous_compared"),
            },
            totals=None,
            # each measure's wards add up to its area total, which the shares reveal
            cells=CellKeys(
                {
                    "count": lambda row: measure_key(row["measure"], period, themes),
                    # the months compared: the same counts when every month was compared
                    "count_compared": lambda row: _compared_key(row, period, themes),
                    "previous_compared": lambda row: _compared_key(
                        row, period.previous_year(), themes
                    ),
                },
                over="ward_name",
                partition=True,
                shares=("share_of_area",),
            ),
            formats={
                "population": "{:,.0f}",
                "deprived_lsoa_share": "{:.0f}%",
                "rate_per_1000": "{:,.1f}",
                "share_of_area": "{:.1f}%",
                "pct_change": "{:+.1f}%",
                "p_value": "{:.3g}",
                "q_value": "{:.3g}",
            },
        )
    ]
    out.append(
        Table(
            "ward_summary",
            places.ward_summary,
            caption=f"Each ward in {period.label}: crime and ASB per 1,000 residents with the "
            "ward's rank (1 = highest rate) and the change on a year earlier (significant "
            "after allowing for the number of wards compared), the largest other types of "
            "crime, and its hot spot LSOAs (every measure in full: the ward profiles table in "
            "the data annex)",
            counts=("crime_count", "asb_count"),
            derived={"crime_rate": ("crime_count",), "asb_rate": ("asb_count",)},
            totals=None,
            # the same cells as the full profile's, so both pages hide the same wards
            cells=CellKeys(
                {
                    "crime_count": lambda row: measure_key(ALL_CRIME, period, themes),
                    "asb_count": lambda row: measure_key(ASB, period, themes),
                },
                over="ward_name",
                partition=True,
            ),
            formats={
                "population": "{:,.0f}",
                "crime_rate": "{:,.1f}",
                "asb_rate": "{:,.1f}",
            },
        )
    )
    hot = places.hotspot_table
    if not hot.empty:
        out.append(
            Table(
                "hotspots",
                hot,
                caption=f"Hot spot LSOAs, {period.label}: count and rate per 1,000 residents, "
                "Gi* z-score and Benjamini-Hochberg q-value",
                counts=("count",),
                derived={"rate_per_1000": ("count",)},
                totals=None,
                formats={"rate_per_1000": "{:,.1f}", "z": "{:.2f}", "q_value": "{:.2g}"},
            )
        )
    rising = places.emerging_table
    if rising is not None and not rising.empty:
        out.append(
            Table(
                "emerging_hotspots_asb",
                rising,
                caption=f"LSOAs whose ASB rose, {period.label} against "
                f"{places.comparison.label}: count, earlier count and the level expected "
                "from it, rate ratio and q-value of the LSOA's own test; Gi* z and q of the "
                "change; Gi* class before",
                counts=("count", "baseline_count"),
                derived={
                    "expected": ("baseline_count",),
                    "rate_ratio": ("count", "baseline_count"),
                },
                totals=None,
                formats={
                    "expected": "{:,.1f}",
                    "rate_ratio": "{:.2f}",
                    "lsoa_q_value": "{:.2g}",
                    "z": "{:.2f}",
                    "q_value": "{:.2g}",
                },
            )
        )
    return out


def _headline(places: PlacesAssessment) -> dict:
    highest, area = {}, {}
    for group in (ALL_CRIME, ASB):
        wards = places.ward_rates[group]
        top = _top(wards)
        highest[group] = {"ward": str(top["name"]), "rate_per_1000": float(top["rate_per_1000"])}
        area[group] = float(wards["count"].sum() / wards["population"].sum() * 1000)
    new = None
    if places.emerging is not None:  # strongest evidence first, as in the table
        t = places.emerging_table
        new = [str(n) for n in t.loc[t["new_hotspot"].to_numpy(dtype=bool), "name"]]
    return {
        "period": places.period.label,
        "population_year": places.population_year,
        "lsoas": places.config["lsoas"],
        "wards": places.config["wards"],
        "highest_ward_rate": highest,
        "area_rate_per_1000": area,
        "hot_spot_lsoas": {group: len(res.hot) for group, res in places.hotspots.items()},
        "comparison": None if places.comparison is None else places.comparison.label,
        "new_asb_hotspots": new,
    }


def _notes(places: PlacesAssessment, result: PlacesResult) -> dict[str, list[str]]:
    period = places.period
    notes = {
        "data": list(places.notes)
        or ["Every table and map of this chapter could be computed from the data available."],
        "rates": [
            f"Rates are per 1,000 residents over {period.label} (ONS "
            f"mid-{places.population_year} estimates, {places.config['lsoas']} LSOAs in "
            f"{places.config['wards']} wards)."
        ],
        "hotspots": [f"Method: {places.hotspots[ASB].method}."],
        "hotspots_table": [],
        "emerging_table": [],
    }
    if "hotspots" not in result.tables:
        notes["hotspots_table"] = [
            f"No LSOA is a significant hot spot of any group in {period.label}."
        ]
    if places.emerging is None:
        notes["emerging"] = [
            "Emerging hotspots cannot be computed: the data hold no usable month before "
            f"{period.label}, so there is no earlier level to compare with (see the notes "
            "above). The rates and hotspots above are for the months present."
        ]
    else:
        notes["emerging"] = [
            f"{period.label} compared with {places.comparison.label}. Fill: Gi* of each "
            "LSOA's change (an emerging cold spot is a cluster of falls); outlined: new "
            "hotspots (a rise found by Gi* or by the LSOA's own test, in an LSOA that was "
            f"not a hot spot before). Method: {places.emerging.method}. "
            f"{places.emerging.note or ''}".rstrip()
        ]
        if "emerging_hotspots_asb" not in result.tables:
            notes["emerging_table"] = [
                f"No LSOA's ASB rose significantly in {period.label} compared with "
                f"{places.comparison.label}, alone or as a cluster."
            ]
    return notes


# ----------------------------------------------------------------------------- words
def _title_noun(group: str) -> str:
    noun = group_noun(group)
    return noun[0].upper() + noun[1:]


def _top_wards(names: pd.Series, n: int = 2) -> str:
    top = names.value_counts().head(n).index.tolist()
    return " and ".join(top)


def _top(frame: pd.DataFrame) -> pd.Series:
    return frame.loc[frame["rate_per_1000"].idxmax()]


def chart_titles(result: PlacesAssessment) -> dict[str, str]:
    """Titles stating each map's finding, keyed ``ward_<group>``, ``lsoa_<group>``,
    ``hotspot_<group>`` and ``emerging``."""
    label = result.period.label
    titles = {}
    for group in GROUPS:
        w = _top(result.ward_rates[group])
        titles[f"ward_{group}"] = (
            f"{_title_noun(group)} per 1,000 residents in {label} was highest in "
            f"{w['name']} ({w['rate_per_1000']:,.0f})"
        )
        s = _top(result.lsoa_rates[group])
        titles[f"lsoa_{group}"] = (
            f"The highest {group_noun(group)} rate in {label}: {s['name']} in {s['ward_name']} "
            f"({s['rate_per_1000']:,.0f} per 1,000)"
        )
        hot = result.hotspots[group].hot
        if len(hot):
            wards = _top_wards(result.lsoa_rates[group].loc[hot, "ward_name"])
            titles[f"hotspot_{group}"] = (
                f"{len(hot)} LSOAs form significant {group_noun(group)} hot spots in {label}, "
                f"most in {wards}"
            )
        else:
            titles[f"hotspot_{group}"] = f"No significant {group_noun(group)} hot spots in {label}"
    if result.emerging is not None:
        t = result.emerging.table
        new = t.loc[t["new_hotspot"]]
        if len(new):
            names = ", ".join(new["name"].head(3))
            more = f" and {len(new) - 3} more" if len(new) > 3 else ""
            titles["emerging"] = (
                f"{len(new)} new ASB hotspot{'s' if len(new) > 1 else ''} in {label}: {names}{more}"
            )
        else:
            titles["emerging"] = f"No new ASB hotspot in {label}"
    return titles


def places_findings(result: PlacesAssessment, *, threshold: int = 5) -> list[Finding]:
    """The chapter's key findings as plain sentences, for the summary.

    Parameters
    ----------
    result : PlacesAssessment
    threshold : int, default 5
        Counts below it are not stated (small-number suppression).

    Returns
    -------
    list of Finding
        Highest ward rates of crime and ASB; the hot spots of each group; the new ASB
        hotspots (or that none or none could be computed); wards whose crime or ASB changed
        significantly on the previous year.
    """
    label = result.period.label
    out = []
    for group in (ALL_CRIME, ASB):
        wards = result.ward_rates[group]
        w = _top(wards)
        area_rate = wards["count"].sum() / wards["population"].sum() * 1000
        text = (
            f"{w['name']} had the highest rate of {group_noun(group)} of the {len(wards)} wards in "
            f"{label}: {w['rate_per_1000']:,.0f} per 1,000 residents"
        )
        if w["count"] >= threshold:
            text += f" ({int(w['count']):,} {'incidents' if group == ASB else 'crimes'})"
        text = f"{text}, against {area_rate:,.0f} across {result.area}."
        out.append(Finding(text, CHAPTER, table_anchor("ward_summary")))
    for group, res in result.hotspots.items():
        hot = res.hot
        if len(hot):
            rates = result.lsoa_rates[group].loc[hot]
            share = rates["count"].sum() / result.lsoa_rates[group]["count"].sum()
            out.append(
                Finding(
                    f"{len(hot)} of {len(res.table)} LSOAs form statistically significant hot "
                    f"spots of {group_noun(group)} in {label} (Getis-Ord Gi*, false discovery rate "
                    f"5%), mostly in {_top_wards(rates['ward_name'])}; they hold {share:.0%} "
                    f"of the area's {group_noun(group)}.",
                    CHAPTER,
                    table_anchor("hotspots"),
                )
            )
        else:
            out.append(
                Finding(
                    f"No LSOA forms a statistically significant hot spot of {group_noun(group)} in "
                    f"{label} (Getis-Ord Gi*, false discovery rate 5%).",
                    CHAPTER,
                )
            )
    out.extend(_emerging_findings(result, threshold))
    prof = result.profile_table
    prev = result.period.previous_year().label
    test = "exact Poisson test, Benjamini-Hochberg across wards at 5%"
    for measure in pd.unique(prof["measure"]):
        rows = prof[(prof["measure"] == measure) & (prof["months_compared"] > 0)]
        changed = (rows["change"] != "no significant change").any()
        if rows.empty or (measure not in (ALL_CRIME, ASB) and not changed):
            continue
        parts = []
        for direction, verb in (("up", "rose"), ("down", "fell")):
            names = rows.loc[rows["change"] == direction, "ward_name"].tolist()
            if names:
                listed = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
                ward = "ward" if len(names) == 1 else "wards"
                parts.append(f"{verb} significantly in {len(names)} {ward} ({listed})")
        what = _title_noun(measure)
        if parts:
            text = f"{what} {' and '.join(parts)} compared with {prev} ({test})."
        else:
            text = f"{what} did not change significantly in any ward compared with {prev} ({test})."
        basis = str(rows["comparison"].iloc[0])
        if basis.startswith("like-for-like"):
            text += f" Compared {basis}."
        out.append(Finding(text, CHAPTER, table_anchor("ward_summary")))
    return out


def _emerging_findings(result: PlacesAssessment, threshold: int) -> list[Finding]:
    label = result.period.label
    if result.emerging is None:
        return [
            Finding(
                f"Emerging ASB hotspots cannot be computed: the data hold no usable month "
                f"before {label} to compare with.",
                CHAPTER,
            )
        ]
    table = emerging_table(result.emerging, result.lsoas)
    new = table[table["new_hotspot"]]
    comp = result.comparison.label
    if new.empty:
        return [
            Finding(f"No LSOA became a new ASB hotspot in {label} compared with {comp}.", CHAPTER)
        ]
    out = []
    for row in new.head(3).itertuples():
        q = f", q = {row.lsoa_q_value:.2g}" if np.isfinite(row.lsoa_q_value) else ""
        if row.count >= threshold and np.isfinite(row.expected):
            size = f": {row.count:,} incidents against about {row.expected:,.0f} expected from"
            how = f" (rate ratio {row.rate_ratio:.1f}{q}, false discovery rate 5%)"
        else:  # a small count: neither it nor a ratio that gives it back is stated
            size, how = ", up on", " (false discovery rate 5%)"
        out.append(
            Finding(
                f"{row.name} ({row.ward_name} ward) is a new ASB hotspot in {label}{size} its "
                f"level in {comp}{how}.",
                CHAPTER,
                table_anchor("emerging_hotspots_asb"),
            )
        )
    if len(new) > 3:
        out.append(Finding(f"{len(new) - 3} more LSOAs are new ASB hotspots in {label}.", CHAPTER))
    return out
