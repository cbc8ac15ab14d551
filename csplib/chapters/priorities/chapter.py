"""The priorities chapter (``notebooks/07_priorities.ipynb``): its tables, findings and figures.

:func:`assess` runs :func:`~csplib.chapters.priorities.ranking.prioritise_store` on the
assessment's parameters and data, and :func:`chapter_result` turns the prioritisation into
what the chapter states (a :class:`PrioritiesResult`):

- the tables it shows and puts in the data annex, in order: ``scoring_scheme`` and
  ``scheme_settings`` (the scheme used: :func:`scheme_table`, :func:`scheme_settings`),
  ``threat_models``, ``indicators``, ``indicator_scores``, ``scores`` and ``sensitivity``,
  each a :class:`~csplib.chapters.result.Table`. Only ``indicators`` holds counts of
  incidents (its ``count`` column, with the rates, shares and changes computed from it);
  the others hold settings, model estimates and scores. No table has totals;
- its key findings (:func:`priorities_findings`), headline figures (the recommended
  priorities in order, with their scores) and chart titles;
- the paragraphs the page states, by section, in ``notes``: ``"scored"``,
  ``"judgements"``, ``"volume_harm"``, ``"sensitivity"`` and ``"not_scored"``.

The prioritisation itself stays on the result (``prioritisation``) for the charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csplib.chapters.findings import Finding
from csplib.chapters.priorities.ranking import PrioritisationResult, prioritise_store
from csplib.chapters.priorities.text import (
    join_names,
    rank_range_title,
    scale_names,
    unscored_text,
    volume_harm_title,
)
from csplib.chapters.priorities.trends import covid_findings, covid_note
from csplib.chapters.result import ChapterResult, Table
from csplib.methods.scoring import PriorityConfig

__all__ = [
    "CHAPTER",
    "scheme_table",
    "scheme_settings",
    "PrioritiesResult",
    "assess",
    "chapter_result",
    "priorities_findings",
]

#: The chapter's name (its notebook, annex tables and saved result).
CHAPTER = "07_priorities"

#: The count column of the indicators table, and the columns computed from it that are hidden
#: with it (the p-values and scores are not: they are test results and settings).
INDICATOR_COUNTS = ("count",)
INDICATOR_DERIVED = {
    c: INDICATOR_COUNTS
    for c in (
        "rate_per_1000",
        "rate_per_1000_a_year",
        "pct_change",
        "yoy_pct_change",
        "forecast_change",
        "repeat_victim_share",
        "top10_share",
        "top10_excess",
        "top10_p_value",
        "harm_per_offence",
        "harm_share",
        "p_value",
        "yoy_p_value",
    )
}


# ----------------------------------------------------------------------------- scheme tables
def scheme_table(config: PriorityConfig) -> pd.DataFrame:
    """The scoring scheme as a table: one row per indicator, with its criterion's weight.

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; ``criterion``, ``criterion_weight``, ``label``, ``weight``
        (within the criterion), ``direction``, ``breakpoint_1`` ... ``breakpoint_<n>``,
        ``significance`` (p-value column, or empty) and ``alpha``.

    Examples
    --------
    >>> from csplib.methods.scoring import load_priority_config
    >>> t = scheme_table(load_priority_config())
    >>> row = t.loc["rate_per_1000_a_year", ["criterion", "breakpoint_1", "breakpoint_4"]]
    >>> row.astype(str).tolist()
    ['volume', '2.0', '20.0']
    """
    rows = []
    for spec in config.indicators:
        row = {
            "indicator": spec.name,
            "criterion": spec.criterion,
            "criterion_weight": config.weights[spec.criterion],
            "label": spec.label,
            "weight": spec.weight,
            "direction": spec.direction,
        }
        for i, b in enumerate(spec.breakpoints, start=1):
            row[f"breakpoint_{i}"] = b
        row["significance"] = spec.significance or ""
        row["alpha"] = spec.alpha if spec.significance else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


def scheme_settings(config: PriorityConfig, settings: dict | None = None) -> pd.DataFrame:
    """The scheme's scale, missing-value rule and sensitivity settings, as a table.

    Parameters
    ----------
    config : PriorityConfig
    settings : dict, optional
        A prioritisation's settings (:attr:`PrioritisationResult.settings`); adds the trend
        window as the threat models used it: its first and last month with data, how many
        months had data, and the most a trend uses.

    Examples
    --------
    >>> from csplib.methods.scoring import load_priority_config
    >>> s = scheme_settings(load_priority_config())
    >>> s.loc[["scale_min", "scale_max", "missing", "draws"], "value"].tolist()
    ['1', '5', 'exclude', '1000']
    >>> used = {"trend_first": "Jan 2024", "trend_last": "Feb 2024",
    ...         "trend_months_with_data": 2, "trend_months": 36}
    >>> scheme_settings(load_priority_config(), used).loc[
    ...     ["trend_window", "trend_months_with_data", "trend_months"], "value"].tolist()
    ['Jan 2024 to Feb 2024', '2', '36']
    """
    sens = config.sensitivity
    rows = [
        ("scale_min", config.scale_min, "lowest score"),
        ("scale_max", config.scale_max, "highest score"),
        ("missing", config.missing, "rule for a missing value (exclude: re-weight the rest)"),
        ("draws", sens.draws, "perturbed rankings drawn"),
        ("method", sens.method, "how weights are perturbed"),
        ("weight_spread", sens.weight_spread, "uniform: each weight x U(1 - s, 1 + s)"),
        ("concentration", sens.concentration, "dirichlet only: closeness to the set weights"),
        ("breakpoint_shift", sens.breakpoint_shift, "breakpoints moved by U(-f, f) x band width"),
        ("top_k", sens.top_k, "number of recommended priorities"),
        (
            "robust_share",
            sens.robust_share,
            "robust: same top-k membership in this share, whatever the unscored scales' values",
        ),
        ("seed", sens.seed, "random seed"),
    ]
    if settings is not None and "trend_months" in settings:
        first, last = settings.get("trend_first"), settings.get("trend_last")
        rows += [
            (
                "trend_window",
                "none" if first is None else (first if first == last else f"{first} to {last}"),
                "threat trends: first to last month with data",
            ),
            (
                "trend_months_with_data",
                settings.get("trend_months_with_data", 0),
                "threat trends: months with data in the window",
            ),
            ("trend_months", settings["trend_months"], "threat trends: most months used"),
        ]
    return pd.DataFrame(
        {
            "value": [f"{v:g}" if isinstance(v, float) else str(v) for _, v, _ in rows],
            "meaning": [m for _, _, m in rows],
        },
        index=pd.Index([k for k, _, _ in rows], name="setting"),
    )


# ---------------------------------------------------------------------------- the result
@dataclass
class PrioritiesResult(ChapterResult):
    """The priorities chapter's :class:`~csplib.chapters.result.ChapterResult`, with the
    prioritisation it states (``prioritisation``: scores, sensitivity and scheme, for the
    charts; not saved)."""

    prioritisation: PrioritisationResult | None = field(default=None, repr=False, compare=False)

    @property
    def volume_harm_points(self) -> pd.DataFrame:
        """The themes with both a rate and a harm weight (the volume-harm chart's points)."""
        scores = self.prioritisation.scores
        if scores.empty:
            return scores
        return scores.dropna(subset=["rate_per_1000_a_year", "harm_per_offence"])

    @property
    def volume_harm_logx(self) -> bool:
        """Whether the volume-harm chart's rate axis is logarithmic (rates over 20-fold apart)."""
        rate = self.volume_harm_points["rate_per_1000_a_year"]
        return bool(len(rate)) and bool(rate.max() > 20 * rate.min())


def assess(ctx) -> PrioritiesResult:
    """Run the priorities chapter on a context's parameters and data.

    Parameters
    ----------
    ctx : object with ``params`` and ``store``
        The chapter's context (:class:`csplib.run.context.Context`): themes, period, scheme
        (``priorities``, with its judgements) and harm weights from ``params``; incidents,
        partner extract, months present, implausible months, LSOAs and population from
        ``store`` (:func:`~csplib.chapters.priorities.ranking.prioritise_store`).

    Returns
    -------
    PrioritiesResult
        See :func:`chapter_result`.
    """
    return chapter_result(prioritise_store(ctx.params, ctx.store), themes=len(ctx.params.themes))


def chapter_result(pr: PrioritisationResult, *, themes: int | None = None) -> PrioritiesResult:
    """What the chapter states from ``pr``: tables, findings, headline, figures, notes.

    Parameters
    ----------
    pr : PrioritisationResult
    themes : int, optional
        How many themes the parameters name (default: those scored and not scored).

    Returns
    -------
    PrioritiesResult
        Headline: ``period``, ``themes``, ``themes_scored``, ``not_scored`` (theme names),
        ``top_k`` and ``recommended``: the recommended priorities in rank order, each with
        its ``theme``, ``rank``, ``score`` (total on the scale) and whether its top-k place
        is ``robust``.

    Examples
    --------
    >>> from csplib.chapters.priorities.ranking import prioritise
    >>> months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
    >>> rng = np.random.default_rng(3)
    >>> n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
    >>> inc = pd.DataFrame({"month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
    ...                     "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum()})
    >>> themes = {"b": {"name": "Burglary", "categories": ["Burglary"]},
    ...           "d": {"name": "Drugs", "categories": ["Drugs"]}}
    >>> result = chapter_result(prioritise(themes, inc, period="2024/25", population=100_000))
    >>> list(result.tables)  # doctest: +NORMALIZE_WHITESPACE
    ['scoring_scheme', 'scheme_settings', 'threat_models', 'indicators', 'indicator_scores',
     'scores', 'sensitivity']
    >>> [(p["theme"], p["rank"]) for p in result.headline["recommended"]]
    [('Burglary', 1), ('Drugs', 2)]
    """
    result = PrioritiesResult(CHAPTER, prioritisation=pr)
    for table in _tables(pr):
        result.add(table)
    result.findings = priorities_findings(pr)
    n_themes = len(pr.scores) + len(pr.not_scored) if themes is None else themes
    result.headline = _headline(pr, n_themes)
    result.figures = _figures(result)
    result.notes = _notes(pr, n_themes)
    return result


def _tables(pr: PrioritisationResult) -> list[Table]:
    config, sens = pr.config, pr.config.sensitivity
    window = pr.settings.get("trend_window", "")
    period = pr.settings.get("period", "")
    n_breaks = config.scale_max - config.scale_min
    return [
        Table(
            "scoring_scheme",
            scheme_table(config),
            caption="Indicators by criterion: weights and breakpoints (score = lowest score + "
            "number of breakpoints at or below the value; reversed when lower is worse)",
            totals=None,
            formats={
                "criterion_weight": "{:g}",
                "weight": "{:g}",
                "alpha": "{:g}",
                **{f"breakpoint_{i}": "{:g}" for i in range(1, n_breaks + 1)},
            },
        ),
        Table(
            "scheme_settings",
            scheme_settings(config, pr.settings),
            caption="Scale, missing-value rule, sensitivity-analysis settings and the trend "
            "window used",
            totals=None,
        ),
        Table(
            "threat_models",
            pr.threat.drop(columns=["method", "forecast_method", "covid_note"], errors="ignore"),
            caption=f"Threat: annual % change from the trend model over {window}, and the "
            f"forecast for the next {pr.settings.get('horizon', 12)} months (the Covid-19 "
            "rule: the months of the restrictions left out, or no trend where too few other "
            "months remain)",
            totals=None,
            formats={
                "annual_change_pct": "{:+.1f}",
                "lower_pct": "{:+.1f}",
                "upper_pct": "{:+.1f}",
                "p_value": "{:.3f}",
                "forecast_change": "{:+.1f}",
                "last_12_months": "{:,.0f}",
                "forecast_total": "{:,.0f}",
            },
        ),
        Table(
            "indicators",
            pr.indicators,
            caption=f"Indicator values by theme, {period} (empty: no value; the trend's change "
            "and its p value are those scored)",
            counts=tuple(c for c in INDICATOR_COUNTS if c in pr.indicators.columns),
            derived={c: v for c, v in INDICATOR_DERIVED.items() if c in pr.indicators.columns},
            totals=None,
            formats={
                "pct_change": "{:+.1f}",
                "yoy_pct_change": "{:+.1f}",
                "forecast_change": "{:+.1f}",
                "p_value": "{:.3f}",
                "yoy_p_value": "{:.3f}",
                "rate_per_1000": "{:.2f}",
                "rate_per_1000_a_year": "{:.2f}",
                "repeat_victim_share": "{:.1f}",
                "top10_share": "{:.1f}",
                "top10_excess": "{:+.1f}",
                "top10_p_value": "{:.3f}",
                "harm_per_offence": "{:.1f}",
                "harm_share": "{:.2f}",
            },
        ),
        Table(
            "indicator_scores",
            pr.indicator_scores,
            caption=f"Each indicator's score ({config.scale_min}-{config.scale_max}; empty: "
            "no value)",
            totals=None,
            formats={c: "{:g}" for c in pr.indicator_scores.columns},
        ),
        Table(
            "scores",
            pr.criteria_table,
            caption="Criterion scores (weighted means of their indicators' scores), weighted "
            "total and rank (1 = top priority)",
            totals=None,
            formats={**{c: "{:.2f}" for c in config.criteria}, "total": "{:.2f}"},
        ),
        Table(
            "sensitivity",
            pr.robustness,
            caption=f"Ranks under {sens.draws:,} perturbed weightings"
            + (
                f" and the whole range of the unscored scales ({join_names(_unscored(pr))})"
                if _unscored(pr)
                else ""
            )
            + f": median, 90% range, share of draws in the top {sens.top_k}, agreement with "
            "the base ranking, robustness",
            totals=None,
            formats={
                "base_total": "{:.2f}",
                "median_rank": "{:g}",
                "top_k_share": "{:.0%}",
                "agreement": "{:.0%}",
            },
        ),
    ]


def _unscored(pr: PrioritisationResult) -> list[str]:
    """The scales no theme was scored on, in words (empty without a sensitivity analysis)."""
    return scale_names(pr.sensitivity.unscored) if pr.sensitivity else []


def _headline(pr: PrioritisationResult, n_themes: int) -> dict:
    robust = pr.robustness["robust"] if len(pr.robustness) else pd.Series(dtype=bool)
    return {
        "period": pr.settings.get("period", ""),
        "themes": n_themes,
        "themes_scored": len(pr.scores),
        "not_scored": [str(t) for t in pr.not_scored.index],
        "unscored_scales": list(pr.sensitivity.unscored) if pr.sensitivity else [],
        "top_k": pr.config.sensitivity.top_k,
        "recommended": [
            {
                "theme": str(theme),
                "rank": int(pr.scores.loc[theme, "rank"]),
                "score": float(pr.scores.loc[theme, "total"]),
                "robust": bool(robust.get(theme, False)),
            }
            for theme in pr.recommended
        ],
    }


def _figures(result: PrioritiesResult) -> dict[str, str]:
    pr = result.prioritisation
    figures = {}
    if len(result.volume_harm_points):
        figures["volume_harm"] = volume_harm_title(result.volume_harm_points)
    if len(pr.robustness):
        figures["rank_range"] = rank_range_title(
            pr.robustness, pr.config.sensitivity.top_k, pr.sensitivity.unscored
        )
    return figures


def _notes(pr: PrioritisationResult, n_themes: int) -> dict[str, list[str]]:
    config, sens = pr.config, pr.config.sensitivity
    settings = pr.settings
    population = settings.get("population")
    residents = (
        f"rates use {population:,.0f} residents (ONS mid-year estimate for "
        f"{settings.get('population_year')})"
        if population is not None
        else "no population was given, so there are no rates"
    )
    scale = (config.scale_min, config.scale_max)
    unscored = unscored_text(pr.sensitivity.unscored, scale) if pr.sensitivity else ""
    scored = " ".join(
        t
        for t in (
            f"{len(pr.scores)} of {n_themes} themes were scored for "
            f"{settings.get('period', '')} ({len(pr.not_scored)} could not be; see 'What "
            f"could not be scored' below). Trend window: {settings.get('trend_window', '')}; "
            f"{residents}.",
            covid_note(pr.threat),
            unscored,
        )
        if t
    )
    given = {name: len(values) for name, values in config.judgements.items() if values}
    judgements = (
        "Analyst judgements given in the parameters: "
        + ", ".join(
            f"{scale_names([name])[0]} for {n} theme{'s' * (n != 1)}" for name, n in given.items()
        )
        + "."
        if given
        else "No analyst judgements were given in the parameters (partnership response, "
        "vulnerability, public concern), so those indicators are missing for every theme and "
        "left out of the scores. Add them under priorities: judgements: <indicator>: "
        "{<theme id>: <value>}."
    )
    scores = pr.scores
    plotted = (
        scores.dropna(subset=["rate_per_1000_a_year", "harm_per_offence"])
        if len(scores)
        else scores
    )
    left_out = [t for t in scores.index if t not in plotted.index]
    volume_harm = (
        "Each theme is placed by its rate per 1,000 residents a year and its mean harm per offence "
        "(Crime Severity Score weight), and coloured by its threat score."
        + (f" Not shown (no rate or no harm weight): {', '.join(left_out)}." if left_out else "")
    )
    perturbed = (
        f"each weight multiplied by a random factor between {1 - sens.weight_spread:g} and "
        f"{1 + sens.weight_spread:g}"
        if sens.method == "uniform"
        else "weights drawn from a Dirichlet distribution around the set weights "
        f"(concentration {sens.concentration:g})"
    )
    robust = pr.sensitivity.robust if pr.sensitivity else []
    not_robust = pr.sensitivity.not_robust if pr.sensitivity else []
    ranged = (
        f" In each draw every theme's score on {join_names(_unscored(pr))} is drawn from "
        f"{scale[0]} to {scale[1]}, and a theme keeps its place only if it does so with its "
        "own at the lowest and every other theme's at the highest (outside the top "
        f"{sens.top_k}: the reverse), so whatever values they take."
        if unscored
        else ""
    )
    whatever = ", whatever the unscored scales' values," if unscored else ""
    sensitivity = (
        f"{unscored}{' ' if unscored else ''}The themes were re-scored {sens.draws:,} times "
        f"(seed {sens.seed}): {perturbed}, and each breakpoint moved by up to "
        f"{sens.breakpoint_shift:.0%} of its indicator's mean band width.{ranged} A theme is "
        f"robust when its place in or out of the top {sens.top_k} is the same as in the base "
        f"ranking{whatever} in at least {sens.robust_share:.0%} of draws. "
        f"Robust: {', '.join(robust) or 'none'}. "
        f"Not robust: {', '.join(not_robust) or 'none'}."
    )
    return {
        "scored": [scored],
        "judgements": [judgements],
        "volume_harm": [volume_harm],
        "sensitivity": [sensitivity],
        "not_scored": list(pr.notes) or ["Every indicator has a value for at least one theme."],
    }


# ----------------------------------------------------------------------------- findings
def priorities_findings(result: PrioritisationResult) -> list[Finding]:
    """The chapter's key findings, as plain sentences for the summary.

    1. The recommended priorities (the top k by total score), naming first the scales no
       theme was scored on (before anything is called robust), split into those whose top-k
       place is robust (to the weights and to the whole range of the unscored scales) and
       those whose rank is sensitive to them, and the themes outside the top k that could
       enter it.
    2. Themes with a statistically significant rising trend (saying when the months of the
       Covid-19 restrictions were left out), and the themes whose trend window starts or
       ends in the restrictions with too few other months, whose trend is not stated or used.
    3. What could not be scored.

    Examples
    --------
    >>> from csplib.chapters.priorities.ranking import prioritise
    >>> months = pd.date_range("2022-04-01", "2025-03-01", freq="MS")
    >>> rng = np.random.default_rng(3)
    >>> n_b, n_d = rng.poisson(40 * 1.2 ** (np.arange(36) / 12)), rng.poisson(60, 36)
    >>> inc = pd.DataFrame({"month": np.concatenate([months.repeat(n_b), months.repeat(n_d)]),
    ...                     "category": ["Burglary"] * n_b.sum() + ["Drugs"] * n_d.sum()})
    >>> themes = {"b": {"name": "Burglary", "categories": ["Burglary"]},
    ...           "d": {"name": "Drugs", "categories": ["Drugs"]}}
    >>> res = prioritise(themes, inc, period="2024/25", population=100_000)
    >>> import textwrap
    >>> first, rise = [finding.text for finding in priorities_findings(res)]
    >>> print(textwrap.fill(first.split(", Burglary")[0], 88))
    Recommended priorities for 2024/25: with vulnerability, repeat victims, concentration
    beyond chance, public concern, harm per offence, share of harm and partnership response
    not scored for any theme
    >>> first.endswith("(robust, whatever their values).")  # two themes, a top 3: both in it
    True
    >>> print(textwrap.fill(rise.split(" (95% CI")[0], 88))
    Burglary rose by 19.4% a year
    """
    out = []
    period = result.settings.get("period", "")
    s = result.scores
    if s.empty:
        return [Finding("No theme could be scored, so no priorities are recommended.", CHAPTER)]
    cfg = result.config
    k = cfg.sensitivity.top_k
    summ = result.sensitivity.summary
    top = result.recommended

    def label(i: int, theme: str) -> str:
        total = float(s.loc[theme, "total"])
        return (
            f"{theme} (score {total:.1f} of {cfg.scale_max})"
            if i == 0
            else (f"{theme} ({total:.1f})")
        )

    robust = [t for t in top if summ.loc[t, "robust"]]
    fragile = [t for t in top if not summ.loc[t, "robust"]]
    labels = {t: label(i, t) for i, t in enumerate(top)}
    unscored = result.sensitivity.unscored
    parts = []
    if robust:
        whatever = ", whatever their values" if unscored else ""
        parts.append(f"{join_names(labels[t] for t in robust)} (robust{whatever})")
    if fragile:
        shares = join_names(f"{summ.loc[t, 'top_k_share']:.0%}" for t in fragile)
        if unscored:
            one = len(fragile) == 1
            parts.append(
                f"{join_names(labels[t] for t in fragile)} (not robust: "
                f"{'it' if one else 'each'} could leave the top {k} under some values of the "
                f"unscored scales or the weights; in the top {k} in {shares} of "
                f"{cfg.sensitivity.draws:,} perturbed rankings with those scales drawn at "
                "random)"
            )
        else:
            parts.append(
                f"{join_names(labels[t] for t in fragile)} (rank sensitive to the weights: in "
                f"the top {k} in {shares} of {cfg.sensitivity.draws:,} perturbed rankings)"
            )
    lead = f"Recommended priorities for {period}: " if period else "Recommended priorities: "
    if unscored:  # said before anything is called robust
        lead += f"with {join_names(scale_names(unscored))} not scored for any theme, "
    out.append(Finding(f"{lead}{'; '.join(parts)}.", CHAPTER))
    contenders = [t for t in s.index if t not in top and not summ.loc[t, "robust"]]
    if contenders:
        listed = join_names(
            f"{t} (rank {int(s.loc[t, 'rank'])}; in the top {k} in "
            f"{summ.loc[t, 'top_k_share']:.0%} of perturbed rankings)"
            for t in contenders
        )
        under = " under some values of the unscored scales or the weights" if unscored else ""
        out.append(Finding(f"{listed} could also enter the top {k}{under}.", CHAPTER))
    th = result.threat
    rising = th[(th["p_value"] < 0.05) & (th["annual_change_pct"] > 0)]
    for theme, row in rising.iterrows():
        p = "p < 0.001" if row["p_value"] < 0.001 else f"p = {row['p_value']:.3f}"
        n = int(row["months_used"])
        c = int(row.get("covid_months", 0)) if row.get("covid_rule") == "left out" else 0
        left_out = f"; {c} month{'s' * (c != 1)} of Covid-19 restrictions left out" if c else ""
        out.append(
            Finding(
                f"{theme} rose by {row['annual_change_pct']:.1f}% a year (95% CI "
                f"{row['lower_pct']:.1f}% to {row['upper_pct']:.1f}%) over {row['window']} "
                f"({n} month{'s' * (n != 1)} with data{left_out}); the rise is statistically "
                f"significant ({p}).",
                CHAPTER,
            )
        )
    out.extend(Finding(text, CHAPTER) for text in covid_findings(th))
    for theme, reason in result.not_scored["reason"].items():
        out.append(Finding(f"{theme} could not be scored: {reason}.", CHAPTER))
    return out
