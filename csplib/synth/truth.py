"""The truth file: what the generator was calibrated to, planted and wrote.

:func:`build_truth` assembles ``truth.json`` from the generated counts and the figures each
part of the generator reports. For Nottingham the calibration part compares the data with
the published targets and the real months; for another area it records the rate model,
the scaled paths and the modelled deprivation gradient.
"""

from __future__ import annotations

import numpy as np

from csplib.core.schema import ASB
from csplib.synth.calibration import (
    CATEGORIES,
    CITY_LA,
    COVID_ELASTICITY,
    FIRST_MONTH,
    FORCE_NAME,
    LAST_MONTH,
    LOCKDOWN_STRINGENCY,
    LSOA21_FROM,
    SEASONALITY,
    TARGETS,
    VB_INDEX,
    fy_label,
)
from csplib.synth.effects import (
    ASB_HOTSPOT,
    BURGLARY_SCHEME,
    LOW_MONTH,
    MISSING_MONTH,
    STABLE_CATEGORY,
    WEAPONS_RISE,
    describe_effects,
    effect_masks,
)
from csplib.synth.realdata import BASE_MONTHS

__all__ = ["build_truth"]


def build_truth(
    seed,
    start,
    end,
    real,
    tl,
    levels,
    counts,
    years,
    month_stats,
    partner_info,
    indicator_info,
    first,
    last,
    version,
) -> dict:
    """The content of ``truth.json`` (without its ``files`` part, added by the generator).

    Parameters
    ----------
    seed : int
    start, end : str
        The span written.
    real : RealData
        The generator's inputs (``real.profile`` says whose data they are).
    tl : Timeline
    levels : Levels
    counts : numpy.ndarray
        Every generated incident (months x LSOAs x categories), before publication.
    years : list of int
        Financial years drawn.
    month_stats, partner_info, indicator_info : dict
        What the street files, the partner extract and the indicators reported.
    first, last : int
        Positions of ``start`` and ``end`` in ``tl``.
    version : str
        The generator's version.
    """
    profile = real.profile
    city = real.lsoa["city"].to_numpy()
    vb = list(VB_INDEX)
    asb = CATEGORIES.index(ASB)
    complete = [
        y for y in years if (tl.fy == y).sum() == ((tl.fy == y) & _span(tl, first, last)).sum()
    ]
    written = [label for label, s in month_stats.items() if s["rows_written"]]
    assumed = "assumed path" if profile.calibrated else "Nottingham's path x the modelled volume"

    def fy_total(cats, year, published=False) -> int:
        if not published:
            return int(counts[tl.fy == year][:, city][:, :, cats].sum())
        return int(
            sum(
                sum(month_stats[tl.labels[t]]["city_counts"][c] for c in cats)
                for t in np.flatnonzero(tl.fy == year)
                if tl.labels[t] in written
            )
        )

    def published(target_key, year) -> bool:
        return profile.calibrated and TARGETS[target_key].get(year) is not None

    def series(path, cats, target_key):
        out = {}
        for year in complete:
            out[fy_label(year)] = {
                "value": path[year],
                "source": "published target" if published(target_key, year) else assumed,
                "achieved": fy_total(cats, year),
                "in_published_files": fy_total(cats, year, published=True),
            }
        return out

    hate = {
        label: {
            "value": info["hate_repeat_victim_pct_target"],
            "source": "published target"
            if published("hate_repeat_victim_pct", int(label[:4]))
            else "assumed path",
            "achieved": info["hate_repeat_victim_pct"],
            "hate_crimes": info["hate_crimes"],
            "hate_victims": info["hate_victims"],
        }
        for label, info in partner_info.items()
        if info["complete_year"]
    }
    if profile.calibrated:
        note = (
            "city = the 182 Nottingham LSOA11s (179 LSOA21s from "
            f"{LSOA21_FROM}); counts per financial year. 'achieved' counts every generated "
            "incident with a city LSOA; 'in_published_files' leaves out the missing and low "
            "months (and never counts duplicate copies or rows without an LSOA)."
        )
    else:
        note = (
            f"area = the {int(city.sum())} LSOA11s of {profile.name}; counts per financial "
            "year. Volumes come from the rate model (incidents per resident by IMD decile, "
            "fitted to the Nottinghamshire force) and the yearly paths are Nottingham's, "
            "scaled by the area's modelled 2018/19 volume. 'achieved' counts every generated "
            "incident with an LSOA of the area; 'in_published_files' leaves out the missing "
            "and low months (and never counts duplicate copies or rows without an LSOA)."
        )
    calibration = {
        "note": note,
        "victim_based_crime": series(profile.victim_based_path, vb, "victim_based_crime"),
        "asb_incidents": series(profile.asb_path, [asb], "asb_incidents"),
        "hate_repeat_victim_pct": hate,
        "treatment_successful_completions_pct": indicator_info[
            "treatment_successful_completions_pct"
        ],
        "asb_experience_pct": indicator_info["asb_experience_pct"],
        "category_totals_city": {
            CATEGORIES[c]: {fy_label(y): fy_total([c], y) for y in complete}
            for c in range(len(CATEGORIES))
        },
        "group_level_anchors": {
            k: {fy_label(y): round(v, 6) for y, v in d.items()} for k, d in levels.anchors.items()
        },
        "seasonality": {
            c: dict(zip(("amplitude", "peak_month", "december_bump"), v, strict=True))
            for c, v in SEASONALITY.items()
        },
        "covid": {
            "elasticity": COVID_ELASTICITY,
            "stringency": [list(x) for x in LOCKDOWN_STRINGENCY],
            **_covid_check(tl, counts, city, first, last),
        },
    }
    if profile.calibrated:
        calibration["real_mix"] = _mix_check(real, tl, counts, first, last)
        calibration["deprivation_gradient"] = _deprivation(real, tl, counts, complete)
    else:
        calibration["hate_crimes_a_year"] = {
            fy_label(y): profile.hate_crime_path[y] for y in complete
        }
        calibration["rate_model"] = real.notes["rate_model"]
        calibration["deprivation_gradient"] = _modelled_deprivation(real, tl, counts, complete)
    effects = describe_effects(real.lsoa, profile.places)
    _effects_achieved(effects, real, tl, counts, complete, first, last)
    publication = _publication(month_stats, tl, first, last)
    return {
        "synthetic": True,
        "generator": "csplib.synth",
        "generator_version": version,
        "seed": seed,
        "span": {
            "first_month": start,
            "last_month": end,
            "complete_financial_years": [fy_label(y) for y in complete],
        },
        "area": _area(real),
        "real_inputs_sha256": real.hashes,
        "calibration": calibration,
        "effects": effects,
        "publication": publication,
        "partner": partner_info,
        "indicators": indicator_info["annual_counts"],
    }


def _area(real) -> dict:
    profile = real.profile
    city = real.lsoa["city"].to_numpy()
    lsoa21 = int(real.conversion.loc[city[real.conversion["l"]], "code21"].nunique())
    vintage = {
        "2011": f"{FIRST_MONTH} to {_before(LSOA21_FROM)}",
        "2021": f"{LSOA21_FROM} to {LAST_MONTH}",
    }
    if profile.calibrated:
        return {
            "name": "Nottingham",
            "la_code": CITY_LA,
            "force": FORCE_NAME,
            "lsoa11": int(city.sum()),
            "lsoa21": lsoa21,
            "outside_lsoa11": int((~city).sum()),
            "lsoa_vintage": vintage,
        }
    return {
        "name": profile.name,
        "csp_code": profile.csp_code,
        "la_codes": list(profile.la_codes),
        "la_names": list(profile.la_names),
        "force": profile.force_name,
        "force_file_slug": profile.force_slug,
        "model_version": real.notes["model_version"],
        "residents_mid_2019": profile.population,
        "lsoa11": int(city.sum()),
        "lsoa21": lsoa21,
        "outside_lsoa11": int((~city).sum()),
        "neighbours": real.notes["neighbours"],
        "deprivation": real.notes["deprivation"],
        "lsoa_vintage": vintage,
    }


def _before(label: str) -> str:
    return str(np.datetime64(label, "M") - 1)


def _span(tl, first, last) -> np.ndarray:
    t = np.arange(len(tl.months))
    return (t >= first) & (t <= last)


def _covid_check(tl, counts, city, first, last) -> dict:
    a19, a20 = tl.index("2019-04"), tl.index("2020-04")
    if not (first <= a19 and a20 <= last):
        return {}
    vb = list(VB_INDEX)
    asb = CATEGORIES.index(ASB)

    def ratio(cats):
        return round(counts[a20][city][:, cats].sum() / counts[a19][city][:, cats].sum(), 4)

    return {"april_2020_vs_april_2019": {"victim_based": ratio(vb), "asb": ratio([asb])}}


def _mix_check(real, tl, counts, first, last) -> dict:
    idx = [tl.index(m) for m in BASE_MONTHS]
    if not (first <= idx[0] and idx[-1] <= last):
        return {}
    city = real.lsoa["city"].to_numpy()
    generated = counts[idx].sum(axis=0)[city].ravel().astype(float)
    observed = real.counts[city].ravel().astype(float)
    shares_g = generated / generated.sum()
    shares_o = observed / observed.sum()
    return {
        "months": list(BASE_MONTHS),
        "real_rows_city": int(observed.sum()),
        "generated_rows_city": int(generated.sum()),
        "pearson_lsoa_x_category": round(float(np.corrcoef(generated, observed)[0, 1]), 4),
        "max_abs_share_difference": round(float(np.abs(shares_g - shares_o).max()), 5),
    }


def _deprivation(real, tl, counts, complete) -> dict:
    if 2018 not in complete:
        return {}
    city = real.lsoa["city"].to_numpy()
    lsoa = real.lsoa[city]
    generated = counts[tl.fy == 2018][:, city].sum(axis=(0, 2))
    observed = real.counts[city].sum(axis=1) * 12 / len(BASE_MONTHS)
    out = {}
    for decile in sorted(lsoa["imd_decile"].unique()):
        rows = (lsoa["imd_decile"] == decile).to_numpy()
        pop = lsoa["population"].to_numpy()[rows].sum()
        out[str(decile)] = {
            "lsoas": int(rows.sum()),
            "generated_per_1000_2018_19": round(1000 * generated[rows].sum() / pop, 1),
            "real_per_1000_annualised": round(1000 * observed[rows].sum() / pop, 1),
        }
    return {
        "note": "incidents (crime and ASB) per 1,000 residents (mid-2019) by IMD 2019 "
        "decile (1 = most deprived)",
        "by_decile": out,
    }


def _modelled_deprivation(real, tl, counts, complete) -> dict:
    if 2018 not in complete:
        return {}
    city = real.lsoa["city"].to_numpy()
    lsoa = real.lsoa[city]
    generated = counts[tl.fy == 2018][:, city].sum(axis=(0, 2))
    model = real.notes["rate_model"]["per_1000_a_year_by_decile"]
    out = {}
    for decile in sorted(lsoa["imd_decile"].unique()):
        rows = (lsoa["imd_decile"] == decile).to_numpy()
        pop = lsoa["population"].to_numpy()[rows].sum()
        out[str(decile)] = {
            "lsoas": int(rows.sum()),
            "residents": int(pop),
            "generated_per_1000_2018_19": round(1000 * generated[rows].sum() / pop, 1),
            "model_per_1000": model[str(decile)],
        }
    total = int(lsoa["population"].sum())
    expected = sum(model[k] * v["residents"] for k, v in out.items()) / total
    return {
        "note": "incidents (crime and ASB) per 1,000 residents (mid-2019) by IMD 2019 "
        "decile (1 = most deprived); 'model_per_1000' is the fitted rate before LSOA "
        "heterogeneity and the 2018/19 path",
        "by_decile": out,
        "area_model_per_1000": round(expected, 1),
        "area_generated_per_1000_2018_19": round(1000 * generated.sum() / total, 1),
    }


def _effects_achieved(effects, real, tl, counts, complete, first, last) -> None:
    city = real.lsoa["city"].to_numpy()
    masks = effect_masks(real.lsoa, real.profile.places)

    def by_year(cats_idx, rows):
        return {
            fy_label(y): int(counts[tl.fy == y][:, rows][:, :, cats_idx].sum()) for y in complete
        }

    for key, spec in (("weapons_rise", WEAPONS_RISE), ("burglary_scheme", BURGLARY_SCHEME)):
        c = CATEGORIES.index(spec["category"])
        inside = masks[key]
        effects[key]["achieved"] = {
            "in_wards": by_year([c], inside),
            "rest_of_city": by_year([c], city & ~inside),
        }
        if not real.profile.calibrated:
            effects[key]["lsoa21"] = _pieces(real, inside)
    c = CATEGORIES.index(ASB_HOTSPOT["category"])
    spot = masks["asb_hotspot"]
    if not real.profile.calibrated:
        effects["asb_hotspot"]["ward_code"] = str(real.lsoa.loc[spot, "ward_code"].iloc[0])
        effects["asb_hotspot"]["lsoa21"] = _pieces(real, spot)
    s = tl.index(ASB_HOTSPOT["from_month"])
    if first <= s - 12 and s + 11 <= last:
        before = counts[s - 12 : s][:, spot, c].sum() / 12
        after = counts[s : s + 12][:, spot, c].sum() / 12
        effects["asb_hotspot"]["achieved"] = {
            "mean_per_month_12_months_before": round(float(before), 2),
            "mean_per_month_12_months_after": round(float(after), 2),
        }
    c = CATEGORIES.index(STABLE_CATEGORY)
    effects["stable_category"]["achieved"] = {"city_totals": by_year([c], city)}
    effects["missing_month"]["in_span"] = first <= tl.index(MISSING_MONTH) <= last
    effects["low_month"]["in_span"] = first <= tl.index(LOW_MONTH["month"]) <= last


def _pieces(real, rows: np.ndarray) -> list[str]:
    """LSOA21 codes of the model LSOAs ``rows`` (the codes of months from LSOA21_FROM)."""
    conv = real.conversion
    return sorted(set(conv.loc[rows[conv["l"].to_numpy()], "code21"]))


def _publication(month_stats, tl, first, last) -> dict:
    totals = {
        key: int(sum(s.get(key, 0) for s in month_stats.values()))
        for key in (
            "rows_written",
            "rows_city",
            "rows_outside",
            "no_lsoa_rows",
            "duplicate_rows",
            "duplicate_rows_city",
            "low_month_rows_removed",
            "missing_month_rows",
        )
    }
    missing = [m for m, s in month_stats.items() if s["rows_written"] == 0]
    return {
        "missing_months": missing,
        "low_months": [
            {
                "month": m,
                "category": LOW_MONTH["category"],
                "rows_removed": s["low_month_rows_removed"],
                "rows_kept": s["low_month_rows_kept"],
            }
            for m, s in month_stats.items()
            if "low_month_rows_removed" in s
        ],
        "rows_written": totals["rows_written"],
        "rows_with_city_lsoa": totals["rows_city"],
        "rows_outside_city": totals["rows_outside"],
        "share_outside_city": round(totals["rows_outside"] / max(totals["rows_written"], 1), 4),
        "rows_without_lsoa": totals["no_lsoa_rows"],
        "duplicate_crime_ids": {
            "extra_rows": totals["duplicate_rows"],
            "extra_rows_city": totals["duplicate_rows_city"],
            "note": "each is a second row with the Crime ID of an earlier row of the same "
            "file (same place and category, another outcome)",
        },
        "expected_rejections": {
            "no_lsoa": totals["no_lsoa_rows"],
            "duplicate_crime_id": totals["duplicate_rows"],
        },
        "by_month": month_stats,
    }
