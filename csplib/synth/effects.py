"""The effects planted in the synthetic data, for the methods to find.

Each effect is a multiplier on the expected counts of some LSOAs, categories and months
(relative to the same cells without the effect), or a defect of the published files. The
same effects are planted whatever the seed; ``truth.json`` records them with their
parameters and the sizes achieved in the generated data.

==========================  ==================================================================
effect                      what
==========================  ==================================================================
``weapons_rise``            possession of weapons in Bulwell and St. Ann's wards grows 40% a
                            year (compounded monthly) from January 2022
``burglary_scheme``         burglary in Radford and Hyson Green & Arboretum wards falls 30%
                            from July 2021 (a crime-prevention scheme), a step
``asb_hotspot``             ASB in one LSOA (Nottingham 008E, Basford) is four times its level
                            from October 2023: a new hotspot
``stable_category``         "Other crime": flat level, seasonality only (no trend, no Covid-19)
``missing_month``           the August 2016 street file is not published (folder absent)
``low_month``               the June 2023 street file holds only 5% of its ASB rows (like the
                            real January 2024 release)
==========================  ==================================================================

For another partnership the same effects go to places chosen from its modelled base
(:func:`choose_places`): the ASB hotspot in the LSOA with the highest expected ASB among
the area's most deprived decile; the burglary scheme in the wards with the most expected
burglary, the weapons rise in the wards (other than those) with the most expected
possession of weapons, each at least two wards holding :data:`WARD_SHARE` of the category.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csplib.core.schema import ASB
from csplib.synth.calibration import CATEGORIES

__all__ = [
    "WEAPONS_RISE",
    "BURGLARY_SCHEME",
    "ASB_HOTSPOT",
    "STABLE_CATEGORY",
    "MISSING_MONTH",
    "LOW_MONTH",
    "WARD_SHARE",
    "effect_masks",
    "choose_places",
    "planted_multipliers",
    "describe_effects",
]

WEAPONS_RISE: dict = {
    "category": "Possession of weapons",
    "wards": ("Bulwell", "St. Ann's"),
    "from_month": "2022-01",
    "growth_per_year": 0.40,
}
BURGLARY_SCHEME: dict = {
    "category": "Burglary",
    "wards": ("Radford", "Hyson Green & Arboretum"),
    "from_month": "2021-07",
    "change": -0.30,
}
ASB_HOTSPOT: dict = {
    "category": ASB,
    "lsoa11": "E01013836",
    "from_month": "2023-10",
    "multiplier": 4.0,
}
STABLE_CATEGORY = "Other crime"
MISSING_MONTH = "2016-08"
LOW_MONTH: dict = {"month": "2023-06", "category": ASB, "share_kept": 0.05}
#: In another area, the wards of a ward effect hold at least this share of the area's
#: expected count of the category (and are at least two).
WARD_SHARE = 0.08


def _month_index(months: np.ndarray, label: str) -> int:
    return int((np.datetime64(label, "M") - months[0]).astype(int))


def effect_masks(lsoa: pd.DataFrame, places: dict | None = None) -> dict[str, np.ndarray]:
    """The model LSOAs each effect applies to (boolean arrays by effect).

    ``places`` None: Nottingham's wards by name (``lsoa["ward"]``) and LSOA11; otherwise
    :func:`choose_places`'s ward codes (``lsoa["ward_code"]``) and LSOA11.

    Examples
    --------
    >>> lsoa = pd.DataFrame({"code": ["A", "B"], "ward": ["Bulwell", "Basford"],
    ...                      "ward_code": ["W1", "W2"]})
    >>> effect_masks(lsoa)["weapons_rise"].tolist()
    [True, False]
    >>> places = {"weapons_rise": ["W2"], "burglary_scheme": ["W1"], "asb_hotspot": "A"}
    >>> effect_masks(lsoa, places)["weapons_rise"].tolist()
    [False, True]
    """
    if places is None:
        ward = lsoa["ward"].to_numpy()
        return {
            "weapons_rise": np.isin(ward, WEAPONS_RISE["wards"]),
            "burglary_scheme": np.isin(ward, BURGLARY_SCHEME["wards"]),
            "asb_hotspot": (lsoa["code"] == ASB_HOTSPOT["lsoa11"]).to_numpy(),
        }
    ward = lsoa["ward_code"].to_numpy()
    return {
        "weapons_rise": np.isin(ward, list(places["weapons_rise"])),
        "burglary_scheme": np.isin(ward, list(places["burglary_scheme"])),
        "asb_hotspot": (lsoa["code"] == places["asb_hotspot"]).to_numpy(),
    }


def choose_places(lsoa: pd.DataFrame, base: np.ndarray) -> dict:
    """Where the effects go in a modelled area, from its expected counts.

    Parameters
    ----------
    lsoa : pandas.DataFrame
        Model LSOAs: ``code``, ``city`` (in the area), ``ward_code``, ``imd_decile``.
    base : numpy.ndarray
        Base level of each LSOA x category.

    Returns
    -------
    dict
        ``weapons_rise`` and ``burglary_scheme``: tuples of ward codes; ``asb_hotspot``:
        an LSOA11 code.

    Examples
    --------
    >>> lsoa = pd.DataFrame({"code": ["A", "B", "C", "D"], "city": True,
    ...                      "ward_code": ["W1", "W1", "W2", "W3"], "imd_decile": [1, 1, 2, 9]})
    >>> base = np.ones((4, len(CATEGORIES)))
    >>> base[1, 0] = 3.0  # most ASB among the decile-1 LSOAs
    >>> base[3, CATEGORIES.index("Burglary")] = 9.0
    >>> places = choose_places(lsoa, base)
    >>> places["asb_hotspot"], places["burglary_scheme"], places["weapons_rise"]
    ('B', ('W3', 'W1'), ('W2',))
    """
    city = lsoa["city"].to_numpy(bool)
    inside = lsoa[city]
    asb = base[city, CATEGORIES.index(ASB)]
    deprived = (inside["imd_decile"] == inside["imd_decile"].min()).to_numpy()
    order = np.lexsort((inside["code"].to_numpy(), -np.where(deprived, asb, -np.inf)))
    hotspot = str(inside["code"].iloc[order[0]])

    def top_wards(category: str, taken: set) -> tuple[str, ...]:
        per_ward = (
            pd.Series(base[city, CATEGORIES.index(category)])
            .groupby(inside["ward_code"].to_numpy())
            .sum()
        )
        free = per_ward[~per_ward.index.isin(taken)]
        if free.empty:  # too few wards: effects may share one
            free = per_ward
        ranked = sorted(free.items(), key=lambda kv: (-kv[1], kv[0]))
        chosen, held = [], 0.0
        for code, value in ranked:
            chosen.append(str(code))
            held += value
            if len(chosen) >= 2 and held >= WARD_SHARE * per_ward.sum():
                break
        return tuple(chosen)

    burglary = top_wards("Burglary", set())
    weapons = top_wards("Possession of weapons", set(burglary))
    return {"weapons_rise": weapons, "burglary_scheme": burglary, "asb_hotspot": hotspot}


def planted_multipliers(
    months: np.ndarray, lsoa: pd.DataFrame, places: dict | None = None
) -> np.ndarray:
    """Multiplier of each month x LSOA x category's expected count (1 where nothing planted).

    Parameters
    ----------
    months : numpy.ndarray of datetime64[M]
        The months of the timeline.
    lsoa : pandas.DataFrame
        The model LSOAs (``code``, ``ward``), as :class:`~csplib.synth.realdata.RealData`.
    places : dict, optional
        Where the effects go in another area (:func:`choose_places`); default Nottingham's.

    Returns
    -------
    numpy.ndarray
        Shape (months, LSOAs, categories).

    Examples
    --------
    >>> months = np.arange("2021-06", "2022-03", dtype="datetime64[M]")
    >>> lsoa = pd.DataFrame({"code": ["E01000001", "E01013836"], "ward": ["Radford", "Basford"]})
    >>> m = planted_multipliers(months, lsoa)
    >>> burglary = CATEGORIES.index("Burglary")
    >>> m[:2, 0, burglary].tolist(), m[:2, 1, burglary].tolist()
    ([1.0, 0.7], [1.0, 1.0])
    """
    t = np.arange(len(months))
    out = np.ones((len(months), len(lsoa), len(CATEGORIES)))
    masks = effect_masks(lsoa, places)

    eff = WEAPONS_RISE
    start = _month_index(months, eff["from_month"])
    growth = np.where(t >= start, (1 + eff["growth_per_year"]) ** ((t - start) / 12), 1.0)
    out[:, masks["weapons_rise"], CATEGORIES.index(eff["category"])] *= growth[:, None]

    eff = BURGLARY_SCHEME
    start = _month_index(months, eff["from_month"])
    step = np.where(t >= start, 1 + eff["change"], 1.0)
    out[:, masks["burglary_scheme"], CATEGORIES.index(eff["category"])] *= step[:, None]

    eff = ASB_HOTSPOT
    start = _month_index(months, eff["from_month"])
    step = np.where(t >= start, eff["multiplier"], 1.0)
    out[:, masks["asb_hotspot"], CATEGORIES.index(eff["category"])] *= step[:, None]
    return out


def describe_effects(lsoa: pd.DataFrame, places: dict | None = None) -> dict:
    """The planted effects with their parameters (the ``effects`` part of ``truth.json``).

    With ``places`` (another area) the wards are named by the area's ward names and codes.

    Examples
    --------
    >>> lsoa = pd.DataFrame({"code": ["E01013836"], "name": ["Nottingham 008E"],
    ...                      "ward": ["Basford"], "ward_code": ["E05012270"]})
    >>> describe_effects(lsoa)["asb_hotspot"]["lsoa11_name"]
    'Nottingham 008E'
    """

    masks = effect_masks(lsoa, places)

    def wards(key):
        rows = lsoa[masks[key]]
        if places is None:
            spec = WEAPONS_RISE if key == "weapons_rise" else BURGLARY_SCHEME
            names = list(spec["wards"])
        else:
            first = rows.drop_duplicates("ward_code").set_index("ward_code")["ward"]
            names = [str(first[code]) for code in places[key]]
        return {
            "wards": names,
            "ward_codes": sorted(rows["ward_code"].unique().tolist()),
            "lsoa11": sorted(rows["code"].tolist()),
        }

    hotspot = lsoa[masks["asb_hotspot"]].iloc[0]
    return {
        "weapons_rise": {
            "kind": "trend",
            "category": WEAPONS_RISE["category"],
            **wards("weapons_rise"),
            "from_month": WEAPONS_RISE["from_month"],
            "growth_per_year": WEAPONS_RISE["growth_per_year"],
            "multiplier": "(1 + growth_per_year) ** (months since from_month / 12)",
        },
        "burglary_scheme": {
            "kind": "step",
            "category": BURGLARY_SCHEME["category"],
            **wards("burglary_scheme"),
            "from_month": BURGLARY_SCHEME["from_month"],
            "change": BURGLARY_SCHEME["change"],
        },
        "asb_hotspot": {
            "kind": "step",
            "category": ASB_HOTSPOT["category"],
            "lsoa11": str(hotspot["code"]),
            "lsoa11_name": hotspot["name"],
            "ward": hotspot["ward"],
            "from_month": ASB_HOTSPOT["from_month"],
            "multiplier": ASB_HOTSPOT["multiplier"],
        },
        "stable_category": {
            "kind": "none",
            "category": STABLE_CATEGORY,
            "note": "flat level in every year and no Covid-19 response: seasonality only",
        },
        "missing_month": {
            "kind": "publication",
            "month": MISSING_MONTH,
            "note": "no street file for this month (folder absent); the partner extract "
            "still holds its crimes",
        },
        "low_month": {
            "kind": "publication",
            **LOW_MONTH,
            "note": "the street file keeps a random 5% of this category's rows",
        },
    }
