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


def _month_index(months: np.ndarray, label: str) -> int:
    return int((np.datetime64(label, "M") - months[0]).astype(int))


def planted_multipliers(months: np.ndarray, lsoa: pd.DataFrame) -> np.ndarray:
    """Multiplier of each month x LSOA x category's expected count (1 where nothing planted).

    Parameters
    ----------
    months : numpy.ndarray of datetime64[M]
        The months of the timeline.
    lsoa : pandas.DataFrame
        The model LSOAs (``code``, ``ward``), as :class:`~csplib.synth.realdata.RealData`.

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
    ward = lsoa["ward"].to_numpy()

    eff = WEAPONS_RISE
    start = _month_index(months, eff["from_month"])
    growth = np.where(t >= start, (1 + eff["growth_per_year"]) ** ((t - start) / 12), 1.0)
    cols = np.isin(ward, eff["wards"])
    out[:, cols, CATEGORIES.index(eff["category"])] *= growth[:, None]

    eff = BURGLARY_SCHEME
    start = _month_index(months, eff["from_month"])
    step = np.where(t >= start, 1 + eff["change"], 1.0)
    cols = np.isin(ward, eff["wards"])
    out[:, cols, CATEGORIES.index(eff["category"])] *= step[:, None]

    eff = ASB_HOTSPOT
    start = _month_index(months, eff["from_month"])
    step = np.where(t >= start, eff["multiplier"], 1.0)
    cols = (lsoa["code"] == eff["lsoa11"]).to_numpy()
    out[:, cols, CATEGORIES.index(eff["category"])] *= step[:, None]
    return out


def describe_effects(lsoa: pd.DataFrame) -> dict:
    """The planted effects with their parameters (the ``effects`` part of ``truth.json``).

    Examples
    --------
    >>> lsoa = pd.DataFrame({"code": ["E01013836"], "name": ["Nottingham 008E"],
    ...                      "ward": ["Basford"], "ward_code": ["E05012270"]})
    >>> describe_effects(lsoa)["asb_hotspot"]["lsoa11_name"]
    'Nottingham 008E'
    """

    def wards(names):
        rows = lsoa[lsoa["ward"].isin(names)]
        return {
            "wards": list(names),
            "ward_codes": sorted(rows["ward_code"].unique().tolist()),
            "lsoa11": sorted(rows["code"].tolist()),
        }

    hotspot = lsoa[lsoa["code"] == ASB_HOTSPOT["lsoa11"]].iloc[0]
    return {
        "weapons_rise": {
            "kind": "trend",
            "category": WEAPONS_RISE["category"],
            **wards(WEAPONS_RISE["wards"]),
            "from_month": WEAPONS_RISE["from_month"],
            "growth_per_year": WEAPONS_RISE["growth_per_year"],
            "multiplier": "(1 + growth_per_year) ** (months since from_month / 12)",
        },
        "burglary_scheme": {
            "kind": "step",
            "category": BURGLARY_SCHEME["category"],
            **wards(BURGLARY_SCHEME["wards"]),
            "from_month": BURGLARY_SCHEME["from_month"],
            "change": BURGLARY_SCHEME["change"],
        },
        "asb_hotspot": {
            "kind": "step",
            "category": ASB_HOTSPOT["category"],
            "lsoa11": ASB_HOTSPOT["lsoa11"],
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
