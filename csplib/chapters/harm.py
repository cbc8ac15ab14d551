"""The harm chapter: where the most serious harm falls (:func:`assess`).

The chapter weights crimes by the harm of their offence (by default the ONS Crime Severity
Score weights) and compares harm with volume by category, offence code and theme, gives the
Crime Severity Score of the assessed period and its change on the baseline, and harm year by
year. This module picks the weights the parameters name, the rows, periods and residents,
and assembles the chapter's tables, findings and chart titles; the computations are
elsewhere:

* reading and rolling up the weights: :mod:`csplib.ingest.harm_weights`;
* which rows are weighted, and how: :mod:`csplib.methods.harm`;
* the Crime Severity Score and the interval of its change: :mod:`csplib.methods.harm_severity`;
* harm by category, offence code and theme: :mod:`csplib.methods.harm_tables`.

Scores are per resident: the ONS mid-year estimate for the year of the period's middle
month, or the nearest year available (:func:`~csplib.methods.harm_severity.residents`).

Examples
--------
>>> mix = pd.DataFrame({"category": ["Burglary"], "offences": [30]}, index=["28E"])
>>> describe_weights(HarmWeights.from_tables({"28E": 100.0}, mix, scheme="CSS"))
'Weights: CSS. Offence mix: force and year not stated, 30 offences.'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding, table_anchor
from csplib.chapters.result import CellKeys, ChapterResult, Table, incidents_key
from csplib.core.periods import Period, financial_year_of, months_present
from csplib.core.schema import ASB, POLICE_UK_CATEGORIES
from csplib.ingest.harm_weights import HarmWeights, harm_weights_of
from csplib.methods.harm import HARM_COLUMNS, harm_rows
from csplib.methods.harm_severity import css_change, harm_by_year, residents, severity_scores
from csplib.methods.harm_tables import (
    category_weight_table,
    code_weight_table,
    harm_by_category,
    harm_by_code,
    harm_by_theme,
)

__all__ = [
    "describe_weights",
    "HarmAssessment",
    "assess_harm",
    "chart_titles",
    "harm_findings",
    "assess",
]

_CHAPTER = "03_harm"


def describe_weights(weights: HarmWeights) -> str:
    """Which weights and offence mix these are, in one sentence (file names, not paths).

    Examples
    --------
    >>> mix = pd.DataFrame({"category": ["Burglary"], "offences": [30]}, index=["28E"])
    >>> mix.attrs = {"force": "Notts", "financial_year": "2017/18", "source": "/a/mix.csv"}
    >>> describe_weights(HarmWeights.from_tables({"28E": 100.0}, mix, scheme="CSS"))
    'Weights: CSS. Offence mix: Notts, 2017/18 (mix.csv), 30 offences.'
    """
    source = weights.codes.attrs.get("source")
    text = f"Weights: {weights.scheme or 'unnamed scheme'}"
    text += f" ({Path(source).name})." if source else "."
    attrs = weights.mix.attrs
    where = ", ".join(str(attrs[k]) for k in ("force", "financial_year") if attrs.get(k))
    text += f" Offence mix: {where or 'force and year not stated'}"
    if attrs.get("source"):
        text += f" ({Path(attrs['source']).name})"
    return text + f", {weights.mix['offences'].sum():,.0f} offences."


# ----------------------------------------------------------------------------- assessment
@dataclass(frozen=True)
class HarmAssessment:
    """Everything the harm chapter shows, computed once (see :func:`assess_harm`).

    Attributes
    ----------
    area : str
    period, baseline : Period (baseline None when the parameters set none)
    weights : HarmWeights
    source : str
        Which rows were weighted, and how (a sentence).
    by_code : bool
        True when crimes were weighted by their own offence code.
    by_category : pandas.DataFrame
        :func:`~csplib.methods.harm_tables.harm_by_category` for the assessed period, with
        the category ``weight``.
    by_offence_code : pandas.DataFrame
        :func:`~csplib.methods.harm_tables.harm_by_code` for the assessed period and the
        baseline (``period`` column); empty without offence codes.
    scores : pandas.DataFrame
        :func:`~csplib.methods.harm_severity.severity_scores` for the assessed period (and
        the baseline).
    change : pandas.Series or None
        :func:`~csplib.methods.harm_severity.css_change` of the period on the baseline.
    themes : pandas.DataFrame
        :func:`~csplib.methods.harm_tables.harm_by_theme` for the assessed period.
    trend : pandas.DataFrame
        :func:`~csplib.methods.harm_severity.harm_by_year`.
    notes : dict
        What could not be computed, and why, by section: ``change``, ``themes`` and
        ``data`` (lists of sentences).
    config : dict
        The files and settings used (``weights``, ``offence_mix``, ``alpha``).
    """

    area: str
    period: Period
    baseline: Period | None
    weights: HarmWeights
    source: str
    by_code: bool
    by_category: pd.DataFrame
    by_offence_code: pd.DataFrame
    scores: pd.DataFrame
    change: pd.Series | None
    themes: pd.DataFrame
    trend: pd.DataFrame
    notes: dict = field(default_factory=lambda: {"change": [], "themes": [], "data": []})
    config: dict = field(default_factory=dict)


def assess_harm(params, store) -> HarmAssessment:
    """Compute the harm chapter's tables from validated parameters and the tidy store.

    Parameters
    ----------
    params : csplib.params.Params
        Uses ``assessment.period``/``baseline``, ``area.name``, ``themes`` and the harm
        files (:meth:`~csplib.params.Params.harm_files`).
    store : csplib.ingest.store.Store
        Uses ``incidents``, ``partner`` and ``geography``.

    Returns
    -------
    HarmAssessment
    """
    weights_file, mix_file = params.harm_files()
    weights = harm_weights_of(params)
    rows = harm_rows(store.incidents, store.partner)
    by_code = bool(rows.attrs["by_code"])
    kw = {
        "category_weights": weights.category_weights,
        "code_weights": weights.codes if by_code else None,
    }
    period = Period.coerce(params.assessment.period)
    baseline = Period.coerce(params.assessment.baseline)
    notes: dict[str, list[str]] = {"change": [], "themes": [], "data": []}

    by_category = harm_by_category(rows, period=period, **kw)
    by_category.insert(0, "weight", weights.category_weights.reindex(by_category.index))

    periods = {"assessed period": period}
    if baseline is not None and baseline != period:
        periods["baseline"] = baseline
    else:
        notes["change"].append(
            "The parameters set no baseline period, so the change in the Crime Severity "
            "Score against a baseline cannot be given."
        )
    pops = residents(store.geography, periods)
    scores = severity_scores(
        rows,
        periods,
        {k: v[0] for k, v in pops.items()},
        population_year={k: v[1] for k, v in pops.items()},
        **kw,
    )
    change = None
    if "baseline" in scores.index:
        if scores.loc["baseline", "months_with_data"] == 0:
            notes["change"].append(
                f"There are no data for the baseline {baseline.label}, so no change can be given."
            )
        else:
            change = css_change(scores, "assessed period", "baseline")

    by_offence_code = pd.concat(
        [
            harm_by_code(rows, code_weights=weights.codes, period=p).assign(period=p.label)
            for p in periods.values()
        ]
    )
    by_offence_code.insert(
        1, "description", weights.codes["label"].reindex(by_offence_code.index).to_numpy()
    )
    if by_code:
        partner_months = months_present(rows.loc[rows["table"] == "partner", "month"])
        only_partner = partner_months.difference(store.months_present)
        if len(only_partner):
            listed = ", ".join(f"{m:%b %Y}" for m in only_partner[:6])
            notes["data"].append(
                f"The partner extract holds {len(only_partner)} month(s) missing from the "
                f"police.uk files ({listed}{', ...' if len(only_partner) > 6 else ''}): harm "
                "for those months is complete, while police.uk volumes are not."
            )

    if params.themes:
        themes = harm_by_theme(params.themes, rows, period=period, **kw)
    else:
        themes = pd.DataFrame(columns=HARM_COLUMNS, index=pd.Index([], name="theme"))
        notes["themes"].append("The parameters define no themes, so harm by theme is not shown.")
    for name, reason in themes.attrs.get("skipped", []):
        notes["themes"].append(f"Harm of the theme {name!r} cannot be measured: it {reason}.")

    fy_labels = sorted({financial_year_of(m) for m in months_present(rows["month"])})
    fy_pops = residents(store.geography, {fy: fy for fy in fy_labels})
    trend = harm_by_year(
        rows,
        {k: v[0] for k, v in fy_pops.items()},
        population_year={k: v[1] for k, v in fy_pops.items()},
        **kw,
    )
    return HarmAssessment(
        area=params.area.name,
        period=period,
        baseline=baseline,
        weights=weights,
        source=rows.attrs["source"],
        by_code=by_code,
        by_category=by_category,
        by_offence_code=by_offence_code,
        scores=scores,
        change=change,
        themes=themes,
        trend=trend,
        notes=notes,
        config={
            "weights": str(weights_file),
            "offence_mix": str(mix_file),
            "force": weights.mix.attrs.get("force"),
            "alpha": 0.05,
        },
    )


def chart_titles(result: HarmAssessment) -> dict[str, str]:
    """Titles that state each chart's finding: keys ``share`` and ``trend``.

    Examples
    --------
    >>> by_cat = pd.DataFrame({"harm_share": [60.0, 40.0], "volume_share": [20.0, 80.0]},
    ...                       index=["Robbery", "Shoplifting"])
    >>> trend = pd.DataFrame({"css": [20.0, 18.0], "complete": [True, True]},
    ...                      index=["2019/20", "2020/21"])
    >>> r = HarmAssessment("Town", Period.parse("2020/21"), None, None, "", False, by_cat,
    ...                    pd.DataFrame(), pd.DataFrame(), None, pd.DataFrame(), trend)
    >>> chart_titles(r)["share"]
    'Robbery: 60% of the harm of crime from 20% of crimes, 2020/21'
    >>> chart_titles(r)["trend"]
    'The Crime Severity Score was 18.0 in 2020/21 against the peak of 20.0 in 2019/20'
    """
    out = {}
    body = result.by_category.drop(index=["All", ASB], errors="ignore").dropna(
        subset=["harm_share"]
    )
    if not body.empty:
        top = body["harm_share"].idxmax()
        out["share"] = (
            f"{top}: {body.loc[top, 'harm_share']:.0f}% of the harm of crime from "
            f"{body.loc[top, 'volume_share']:.0f}% of crimes, {result.period.label}"
        )
    full = result.trend[result.trend["complete"].astype(bool)].dropna(subset=["css"])
    if len(full) >= 2:
        last, peak = full.index[-1], full["css"].idxmax()
        if peak != last:
            against = f"the peak of {full.loc[peak, 'css']:.1f} in {peak}"
        else:
            against = f"{full['css'].iloc[0]:.1f} in {full.index[0]} (a new peak)"
        out["trend"] = (
            f"The Crime Severity Score was {full.loc[last, 'css']:.1f} in {last} against {against}"
        )
    elif len(result.trend):
        out["trend"] = "Too few complete years to show a trend in harm"
    return out


# ----------------------------------------------------------------------------- findings
def _pct(x: float) -> str:
    return f"{x:,.1f}%"


def harm_findings(result: HarmAssessment) -> list[Finding]:
    """The harm chapter's key findings, as plain sentences for the summary.

    Examples
    --------
    >>> by_cat = pd.DataFrame({"harm_share": [60.0, 40.0, np.nan, 100.0],
    ...                        "volume_share": [20.0, 80.0, np.nan, 100.0],
    ...                        "harm": [600.0, 400.0, np.nan, 1000.0]},
    ...                       index=["Robbery", "Shoplifting", ASB, "All"])
    >>> scores = pd.DataFrame({"period": ["2020/21"], "css": [0.5], "crimes": [10.0],
    ...                        "coverage": ["all 12 months"]}, index=["assessed period"])
    >>> r = HarmAssessment("Town", Period.parse("2020/21"), None, None, "", False, by_cat,
    ...                    pd.DataFrame(), scores, None, pd.DataFrame(), pd.DataFrame())
    >>> print(harm_findings(r)[0].text)  # doctest: +NORMALIZE_WHITESPACE
    Robbery caused 60.0% of the harm of crime in Town in 2020/21 (weighted by severity)
    but was 20.0% of crimes.
    """
    out: list[Finding] = []
    label = result.period.label
    body = result.by_category.drop(index=["All", ASB], errors="ignore").dropna(
        subset=["harm_share"]
    )
    if not body.empty:
        top = body["harm_share"].idxmax()
        out.append(
            Finding(
                f"{top} caused {_pct(body.loc[top, 'harm_share'])} of the harm of crime in "
                f"{result.area} in {label} (weighted by severity) but was "
                f"{_pct(body.loc[top, 'volume_share'])} of crimes.",
                _CHAPTER,
                table_anchor("harm_by_category"),
            )
        )
        volume_top = body["volume_share"].idxmax()
        if volume_top != top:
            out.append(
                Finding(
                    f"{volume_top}, the most numerous category "
                    f"({_pct(body.loc[volume_top, 'volume_share'])} of crimes), caused "
                    f"{_pct(body.loc[volume_top, 'harm_share'])} of the harm.",
                    _CHAPTER,
                    table_anchor("harm_by_category"),
                )
            )
    cur = result.scores.loc["assessed period"]
    if np.isfinite(cur["css"]):
        text = f"The Crime Severity Score was {cur['css']:,.2f} per resident in {label}"
        if result.period.n_months != 12:
            text += f" (a {result.period.n_months}-month period, not annualised)"
        if cur["coverage"] != f"all {result.period.n_months} months":
            text += f" ({cur['coverage']})"
        c = result.change
        if c is not None and np.isfinite(c["ratio"]):
            base = result.scores.loc["baseline"]
            text += (
                f", against {base['css']:,.2f} in the baseline {base['period']}: a change of "
                f"{c['pct_change']:+.1f}% (95% CI {c['ci_low']:+.1f}% to {c['ci_high']:+.1f}%)"
            )
            text += (
                "; the change is statistically significant."
                if c["significant"]
                else "; the change is not statistically significant."
            )
        else:
            text += "."
        out.append(Finding(text, _CHAPTER, table_anchor("crime_severity_score")))
    themes = result.themes
    if themes is not None and not themes.empty and "harm_volume_ratio" in themes:
        ranked = themes.dropna(subset=["harm_volume_ratio"])
        ranked = ranked[ranked["weighted"] > 0]
        if not ranked.empty:
            top = ranked["harm_volume_ratio"].idxmax()
            row = ranked.loc[top]
            out.append(
                Finding(
                    f"Of the partnership's themes, {top} carries the most harm for its volume: "
                    f"{_pct(row['harm_share'])} of the harm of crime from "
                    f"{_pct(row['volume_share'])} of crimes in {label}.",
                    _CHAPTER,
                    table_anchor("harm_by_theme"),
                )
            )
    return out


# ----------------------------------------------------------------------------- the chapter
def assess(ctx) -> ChapterResult:
    """The harm chapter: its tables, key findings, headline figures and chart titles.

    Parameters
    ----------
    ctx
        The chapter's context: uses its ``params`` and ``store`` (:func:`assess_harm`).

    Returns
    -------
    ChapterResult
        Tables in the order shown: ``category_weights``, ``code_weights`` (annex only),
        ``harm_by_category``, ``top_offence_codes`` (only when crimes carry offence codes),
        ``crime_severity_score``, ``css_change`` (only with a baseline that has data),
        ``harm_by_theme`` and ``harm_by_year``. Notes by topic: ``weights`` (which weights
        and rows), ``codes`` (why there is no offence-code table), ``change``, ``themes``
        and ``data``.
    """
    harm = assess_harm(ctx.params, ctx.store)
    result = ChapterResult(
        _CHAPTER,
        findings=harm_findings(harm),
        headline=_headline(harm),
        figures=chart_titles(harm),
        notes={
            "weights": [f"{describe_weights(harm.weights)} Rows weighted: {harm.source}."],
            "codes": []
            if harm.by_code
            else [
                "There is no partner extract with offence codes, so harm cannot be broken "
                "down by offence code: police.uk crimes are weighted by their category's "
                "average weight."
            ],
            **{k: list(v) for k, v in harm.notes.items()},
        },
    )
    for table in _tables(harm):
        result.add(table)
    return result


#: Harm tables: counts, and the columns derived from them.
_HARM_COUNTS = ("count", "weighted", "unweighted")
_HARM_DERIVED = {
    "harm": ("count",),
    "harm_per_offence": ("count",),
    "volume_share": ("weighted",),
    "harm_share": ("count",),
    "harm_volume_ratio": ("count",),
}


def _tables(harm: HarmAssessment) -> list[Table]:
    label = harm.period.label
    out = [
        # the force's published offence mix, not the area's crimes: no counts to protect
        Table(
            "category_weights",
            category_weight_table(harm.weights),
            caption="Weight of each police.uk category: its offence codes' CSS weights averaged "
            "over the force's offence mix (ASB has no weight)",
            formats={"coverage": "{:.1f}%"},
        ),
        Table(
            "code_weights",
            code_weight_table(harm.weights),
            caption="Weight and share of the offence mix of every offence code behind the "
            "category weights",
        ),
        Table(
            "harm_by_category",
            harm.by_category,
            caption=f"Crimes and harm by category, {label}. Weight: the category's weight (its "
            "codes averaged over the offence mix); harm per offence: the mean weight of these "
            "crimes (by their own offence codes where the partner extract has them). Shares are "
            "of all crime with a weight; a harm/volume ratio above 1 means more harmful than "
            "its volume suggests.",
            formats={
                "weight": "{:,.1f}",
                "harm": "{:,.0f}",
                "harm_per_offence": "{:,.1f}",
                "harm_volume_ratio": "{:.2f}",
            },
            counts=_HARM_COUNTS,
            derived=_HARM_DERIVED,
            # the same counts as the volume chapter's assessed period, by category
            cells=CellKeys(
                {
                    "count": incidents_key(
                        POLICE_UK_CATEGORIES, start=harm.period.start, end=harm.period.end
                    )
                },
                over="categories",
            ),
        ),
    ]
    if harm.by_code:
        codes = harm.by_offence_code[harm.by_offence_code["period"] == label]
        out.append(
            Table(
                "top_offence_codes",
                codes.head(15),
                caption=f"The 15 offence codes causing most harm, {label}",
                formats={"weight": "{:,.1f}", "harm": "{:,.0f}"},
                counts=("count",),
                derived={"harm": ("count",)},
            )
        )
    out.append(
        Table(
            "crime_severity_score",
            harm.scores,
            caption="Crime Severity Score (sum of weights ÷ residents, ONS convention: per "
            "resident)",
            formats={
                "harm": "{:,.0f}",
                "harm_squares": "{:,.0f}",
                "harm_per_crime": "{:,.1f}",
                "residents": "{:,.0f}",
                "population_year": "{}",
                "css": "{:,.2f}",
            },
            counts=("crimes",),
            derived={
                "harm": ("crimes",),
                "harm_squares": ("crimes",),
                "harm_per_crime": ("crimes",),
                "css": ("crimes",),
            },
        )
    )
    if harm.change is not None:
        out.append(  # scores, not counts
            Table(
                "css_change",
                harm.change.to_frame(name=f"{label} on {harm.baseline.label}").T,
                caption="Change in the Crime Severity Score on the baseline: ratio, % change "
                "and its approximate 95% interval (compound Poisson, delta method)",
                formats={
                    "current": "{:,.2f}",
                    "previous": "{:,.2f}",
                    "ratio": "{:.3f}",
                    "pct_change": "{:+.1f}%",
                    "ci_low": "{:+.1f}%",
                    "ci_high": "{:+.1f}%",
                },
            )
        )
    out.append(
        Table(
            "harm_by_theme",
            harm.themes,
            caption=f"Harm of each theme in {label}, against its share of crimes (themes "
            "overlap; shares are of all crime with a weight; ASB has no weight)",
            formats={
                "harm": "{:,.0f}",
                "harm_per_offence": "{:,.1f}",
                "harm_volume_ratio": "{:.2f}",
            },
            counts=_HARM_COUNTS,
            derived=_HARM_DERIVED,
        )
    )
    out.append(
        Table(
            "harm_by_year",
            harm.trend,
            caption="Harm and the Crime Severity Score by financial year (years with missing "
            "months are partial and not comparable)",
            formats={
                "harm": "{:,.0f}",
                "harm_per_crime": "{:,.1f}",
                "residents": "{:,.0f}",
                "population_year": "{}",
                "css": "{:,.2f}",
            },
            counts=("crimes",),
            derived={"harm": ("crimes",), "harm_per_crime": ("crimes",), "css": ("crimes",)},
        )
    )
    return out


def _headline(harm: HarmAssessment) -> dict:
    """The figures the chapter states: the score, its change and the most harmful category."""
    cur = harm.scores.loc["assessed period"]
    out = {
        "period": harm.period.label,
        "baseline": harm.baseline.label if harm.baseline is not None else None,
        "weights_scheme": harm.weights.scheme,
        "rows_weighted": harm.source,
        "weighted_by_offence_code": harm.by_code,
        "css": float(cur["css"]),
    }
    if "baseline" in harm.scores.index:
        out["css_baseline"] = float(harm.scores.loc["baseline", "css"])
    if harm.change is not None:
        for key in ("pct_change", "ci_low", "ci_high"):
            out[f"css_{key}"] = float(harm.change[key])
        out["css_change_significant"] = bool(harm.change["significant"])
    body = harm.by_category.drop(index=["All", ASB], errors="ignore").dropna(subset=["harm_share"])
    if not body.empty:
        top = body["harm_share"].idxmax()
        out["most_harmful_category"] = top
        out["most_harmful_category_harm_share"] = float(body.loc[top, "harm_share"])
        out["most_harmful_category_volume_share"] = float(body.loc[top, "volume_share"])
    return out
