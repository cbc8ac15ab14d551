"""Calibration of the synthetic dataset: published targets, assumed paths and profiles.

Everything the generator is calibrated to that is *not* read from the real data files lives
here, with its source. ``docs/synthetic_data.md`` explains each figure.

Financial years are named by the calendar year they start in: ``2018`` is April 2018 to
March 2019 ("2018/19").

Sources
-------
* Nottingham Crime & Drugs Partnership, *Partnership Plan 2022-25*, "Targets" table
  (baseline 2018/19 and the three following years): :data:`TARGETS`.
* Report to Overview and Scrutiny Committee, 4 November 2020, section 3 (performance table)
  and section 4 (impact of Covid-19): the first-lockdown drop and the ASB rise, the
  substance misuse figure for May 2020.
* UK Government lockdown dates (23 March 2020 onwards) for the daily stringency profile.
* Everything else (paths of years without a published figure, seasonal amplitudes, Covid
  elasticities by category) is an assumption in the style of published analyses; each is
  stated below and in the documentation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from csplib.core.schema import ASB, POLICE_UK_CATEGORIES, VICTIM_BASED_CATEGORIES

__all__ = [
    "FIRST_MONTH",
    "LAST_MONTH",
    "LSOA21_FROM",
    "FORCE_NAME",
    "FORCE_SLUG",
    "CITY_LA",
    "FINANCIAL_YEARS",
    "CATEGORIES",
    "VB_INDEX",
    "TARGETS",
    "VICTIM_BASED_PATH",
    "ASB_PATH",
    "CATEGORY_DRIFT",
    "CATEGORY_INDEX",
    "HATE_CRIME_PATH",
    "HATE_REPEAT_PATH",
    "SEASONALITY",
    "COVID_ELASTICITY",
    "LOCKDOWN_STRINGENCY",
    "NO_LOCATION_SHARE",
    "DUPLICATES_PER_MONTH",
    "OUTSIDE_RING_KM",
    "CITY_CENTRE",
    "CITY_POPULATION",
    "AreaProfile",
    "NOTTINGHAM",
    "fy_label",
    "seasonal_profile",
    "daily_stringency",
]

#: First and last month generated (inclusive): ten years of financial years and one more.
FIRST_MONTH = "2014-04"
LAST_MONTH = "2025-03"
#: First month whose street files use 2021 LSOA codes. police.uk switched in January 2024
#: (the real 2024-01..03 release already carries 2021 codes), so the synthetic files do too.
LSOA21_FROM = "2024-01"
FORCE_NAME = "Nottinghamshire Police"
FORCE_SLUG = "nottinghamshire"
#: Nottingham (unitary authority).
CITY_LA = "E06000018"
#: Financial years generated, by starting year.
FINANCIAL_YEARS: tuple[int, ...] = tuple(range(2014, 2025))
#: Categories in generator order (ASB first): index ``c`` of every array.
CATEGORIES: tuple[str, ...] = POLICE_UK_CATEGORIES
#: Indices of the victim-based categories.
VB_INDEX: tuple[int, ...] = tuple(CATEGORIES.index(c) for c in VICTIM_BASED_CATEGORIES)

#: Published figures (Partnership Plan 2022-25, targets table). Counts are for Nottingham
#: city and a financial year; percentages as published.
TARGETS: dict[str, dict[int, float]] = {
    "victim_based_crime": {2018: 37_486, 2019: 34_747, 2020: 26_009, 2021: 32_636},
    "asb_incidents": {2018: 14_840, 2019: 15_182, 2020: 20_680, 2021: 15_891},
    "hate_repeat_victim_pct": {2018: 16.3, 2019: 13.5, 2020: 17.0, 2021: 14.1},
    "treatment_successful_completions_pct": {2018: 21.9, 2019: 22.7, 2020: 19.5},
    # survey years (calendar years of the Respect for Nottingham Survey)
    "asb_experience_pct": {2018: 8.5, 2019: 9.2},
}

#: Victim-based crime in the city by financial year: the targets, and smooth assumed values
#: elsewhere (a rise to 2018/19 with improved crime recording; after 2021/22 anchored on the
#: real January-March 2024 release, about 2,680 victim-based crimes a month).
# fmt: off
VICTIM_BASED_PATH: dict[int, int] = {
    2014: 29_800, 2015: 31_900, 2016: 33_900, 2017: 36_300,
    2018: 37_486, 2019: 34_747, 2020: 26_009, 2021: 32_636,
    2022: 34_300, 2023: 33_600, 2024: 32_900,
}
# fmt: on
#: Police-recorded ASB in the city by financial year: the targets, and assumed values
#: elsewhere (the long national decline before 2018/19; after 2021/22 anchored on the real
#: February-March 2024 release, about 960 incidents a month).
# fmt: off
ASB_PATH: dict[int, int] = {
    2014: 19_400, 2015: 17_900, 2016: 16_600, 2017: 15_500,
    2018: 14_840, 2019: 15_182, 2020: 20_680, 2021: 15_891,
    2022: 14_000, 2023: 12_600, 2024: 12_200,
}
# fmt: on

#: Relative drift of each victim-based category (2018/19 = 1): shapes the mix within the
#: victim-based total, which is fixed by :data:`VICTIM_BASED_PATH`. 2020/21 values are the
#: level without Covid-19 (the lockdown profile is applied on top). 2023/24 values are the
#: ratio of the real Jan-Mar 2024 city counts to the real Oct 2018-Feb 2019 city counts,
#: divided by the ratio for all victim-based crime (0.86); earlier years follow the national
#: direction of each category.
# fmt: off
CATEGORY_DRIFT: dict[str, tuple[float, ...]] = {
    # financial year:            2014  2015  2016  2017  2018  2019  2020  2021  2022  2023  2024
    "Violence and sexual offences":
                                (0.70, 0.78, 0.86, 0.95, 1.00, 1.04, 1.07, 1.12, 1.15, 1.16, 1.16),
    "Robbery":                  (0.95, 0.95, 0.97, 1.00, 1.00, 0.97, 0.92, 0.86, 0.83, 0.81, 0.80),
    "Burglary":                 (1.45, 1.35, 1.25, 1.12, 1.00, 0.90, 0.80, 0.70, 0.64, 0.60, 0.58),
    "Vehicle crime":            (1.05, 1.03, 1.03, 1.02, 1.00, 0.95, 0.87, 0.78, 0.71, 0.66, 0.64),
    "Theft from the person":    (0.80, 0.85, 0.90, 0.95, 1.00, 0.90, 0.70, 0.52, 0.42, 0.36, 0.35),
    "Bicycle theft":            (1.15, 1.12, 1.08, 1.04, 1.00, 0.97, 0.93, 0.87, 0.81, 0.77, 0.75),
    "Shoplifting":              (0.95, 0.97, 0.98, 0.99, 1.00, 1.02, 1.05, 1.10, 1.30, 1.57, 1.70),
    "Other theft":              (1.20, 1.15, 1.10, 1.05, 1.00, 0.96, 0.90, 0.85, 0.81, 0.79, 0.78),
    "Criminal damage and arson":(1.10, 1.07, 1.05, 1.02, 1.00, 1.00, 0.99, 0.98, 0.97, 0.97, 0.96),
}
# fmt: on
#: Level of the other crime categories (2018/19 = 1), not constrained by a published total.
#: 2020/21 is the level without Covid-19. "Other crime" is the stable category: flat.
#: "Possession of weapons" is flat from 2020/21: its growth is a planted effect in two wards.
# fmt: off
CATEGORY_INDEX: dict[str, tuple[float, ...]] = {
    # financial year:            2014  2015  2016  2017  2018  2019  2020  2021  2022  2023  2024
    "Drugs":                    (1.35, 1.25, 1.15, 1.05, 1.00, 1.00, 1.00, 0.90, 0.82, 0.76, 0.75),
    "Public order":             (0.50, 0.62, 0.75, 0.90, 1.00, 1.05, 1.05, 1.05, 1.02, 0.98, 0.97),
    "Possession of weapons":    (0.62, 0.70, 0.80, 0.92, 1.00, 1.04, 1.05, 1.05, 1.05, 1.05, 1.05),
    "Other crime":              (1.00,) * 11,
}
# fmt: on

#: Hate crimes a year in the city (partner extract). About 1,290 in 2019/20 is implied by
#: the November 2020 report (155 repeat victims = 14.7% of victims, ~2.5 crimes per repeat
#: victim); Nottinghamshire Police recorded misogyny as a hate crime from 2016.
# fmt: off
HATE_CRIME_PATH: dict[int, int] = {
    2014: 780, 2015: 880, 2016: 1_050, 2017: 1_180, 2018: 1_250, 2019: 1_290,
    2020: 1_300, 2021: 1_420, 2022: 1_380, 2023: 1_330, 2024: 1_300,
}
# fmt: on
#: % of hate crime victims in a financial year who are victims of 2+ hate crimes in it.
# fmt: off
HATE_REPEAT_PATH: dict[int, float] = {
    2014: 17.5, 2015: 16.8, 2016: 15.9, 2017: 16.6, 2018: 16.3, 2019: 13.5,
    2020: 17.0, 2021: 14.1, 2022: 14.8, 2023: 14.4, 2024: 13.9,
}
# fmt: on

#: Seasonality of each category: (amplitude, peak month, December bump). The monthly factor
#: is ``1 + a cos(2 pi (month - peak) / 12)`` plus the December bump, normalised to mean 1;
#: counts also scale with the days in the month. ASB, violence and public order peak in
#: summer; burglary, robbery and vehicle crime in the dark months; bicycle theft strongly in
#: late summer; shoplifting and theft from the person before Christmas. Amplitudes are
#: assumed; the October 2018 / February 2019 ratios they imply match the real city's for
#: ASB, violence, bicycle and other theft, robbery (see docs/synthetic_data.md).
SEASONALITY: dict[str, tuple[float, int, float]] = {
    ASB: (0.18, 7, 0.0),
    "Bicycle theft": (0.35, 8, 0.0),
    "Burglary": (0.12, 12, 0.0),
    "Criminal damage and arson": (0.07, 9, 0.0),
    "Drugs": (0.05, 7, 0.0),
    "Other crime": (0.05, 7, 0.0),
    "Other theft": (0.08, 8, 0.0),
    "Possession of weapons": (0.06, 7, 0.0),
    "Public order": (0.10, 7, 0.0),
    "Robbery": (0.10, 12, 0.0),
    "Shoplifting": (0.05, 12, 0.08),
    "Theft from the person": (0.10, 12, 0.10),
    "Vehicle crime": (0.12, 10, 0.0),
    "Violence and sexual offences": (0.08, 7, 0.03),
}

#: Response of each category to the lockdown stringency ``L`` (0..1): the daily level is
#: multiplied by ``1 + e L``. With ``L = 1`` in the first weeks, victim-based crime falls by
#: about 37% (report of Nov 2020, 4.1) and ASB rises by 60% (4.2: +46% from 23 March to
#: 31 August as restrictions eased). "Other crime" (the stable category) does not respond.
COVID_ELASTICITY: dict[str, float] = {
    ASB: 0.60,
    "Bicycle theft": -0.10,
    "Burglary": -0.35,
    "Criminal damage and arson": -0.25,
    "Drugs": 0.35,
    "Other crime": 0.0,
    "Other theft": -0.45,
    "Possession of weapons": -0.10,
    "Public order": -0.05,
    "Robbery": -0.45,
    "Shoplifting": -0.50,
    "Theft from the person": -0.75,
    "Vehicle crime": -0.35,
    "Violence and sexual offences": -0.30,
}
#: Lockdown stringency from each date until the next (England; Nottingham's tiers).
LOCKDOWN_STRINGENCY: tuple[tuple[str, float], ...] = (
    ("2020-03-23", 1.00),  # first national lockdown
    ("2020-05-13", 0.70),  # first easing
    ("2020-06-15", 0.50),  # non-essential shops reopen
    ("2020-07-04", 0.30),  # pubs reopen
    ("2020-09-14", 0.35),  # rule of six
    ("2020-10-14", 0.50),  # tiers (Nottingham tier 3 from 30 October)
    ("2020-11-05", 0.85),  # second national lockdown
    ("2020-12-02", 0.55),  # tier 3
    ("2021-01-06", 0.90),  # third national lockdown
    ("2021-03-08", 0.70),  # schools reopen
    ("2021-04-12", 0.45),  # non-essential retail reopens
    ("2021-05-17", 0.25),  # indoor hospitality
    ("2021-07-19", 0.00),  # most legal limits end
)

#: Share of rows published with no location and no LSOA (real files: about 1%). These rows
#: come on top of the calibrated city totals, which count rows with a city LSOA.
NO_LOCATION_SHARE = 0.01
#: Mean number of crimes per monthly file published twice under one Crime ID.
DUPLICATES_PER_MONTH = 3.0
#: Rows outside the city: real LSOAs of the neighbouring districts whose points lie within
#: this distance (km) of the city centre (about 16% of the generated rows).
OUTSIDE_RING_KM = 6.0
#: Nottingham Council House (longitude, latitude).
CITY_CENTRE = (-1.1505, 52.9536)
#: Residents of the city (ONS mid-2019, the 182 LSOA11s): the unit of population scaling.
CITY_POPULATION = 332_900


@dataclass(frozen=True)
class AreaProfile:
    """Who a synthetic dataset is for, and the yearly totals it is drawn to.

    :data:`NOTTINGHAM` is the calibrated profile; :func:`csplib.synth.area.area_inputs`
    builds one for any other partnership (paths scaled from Nottingham's by the area's
    modelled 2018/19 volume).

    Attributes
    ----------
    name, csp_code : str
        The partnership (``csp_code`` None when its authorities are not exactly one CSP).
    la_codes, la_names : tuple of str
        Its local authorities.
    force_name, force_slug : str
        The force as the street files name it (``"Reported by"``) and in their file names.
    victim_based_path, asb_path, hate_crime_path : dict
        Yearly totals in the area by financial year (victim-based crime and ASB with an
        LSOA of the area in the street files; hate crimes in the partner extract).
    population : int
        Residents (ONS mid-2019).
    calibrated : bool
        True only for Nottingham, whose figures are published targets.
    places : dict or None
        Where the planted effects go (:func:`csplib.synth.effects.choose_places`); None
        means Nottingham's named wards and LSOA.
    """

    name: str
    csp_code: str | None
    la_codes: tuple[str, ...]
    la_names: tuple[str, ...]
    force_name: str
    force_slug: str
    victim_based_path: dict[int, int]
    asb_path: dict[int, int]
    hate_crime_path: dict[int, int]
    population: int
    calibrated: bool = False
    places: dict | None = field(default=None, repr=False)

    @property
    def scale(self) -> float:
        """Residents relative to Nottingham's (1.0 for Nottingham): scales the indicators."""
        return self.population / CITY_POPULATION

    @property
    def indicator_area(self) -> str:
        """The ``area`` code of the indicators table: the authority, or the CSP of several."""
        if len(self.la_codes) == 1 or self.csp_code is None:
            return self.la_codes[0]
        return self.csp_code


#: The calibrated profile: Nottingham's published and assumed paths.
NOTTINGHAM = AreaProfile(
    name="Nottingham",
    csp_code="E22000257",
    la_codes=(CITY_LA,),
    la_names=("Nottingham",),
    force_name=FORCE_NAME,
    force_slug=FORCE_SLUG,
    victim_based_path=VICTIM_BASED_PATH,
    asb_path=ASB_PATH,
    hate_crime_path=HATE_CRIME_PATH,
    population=CITY_POPULATION,
    calibrated=True,
)


def fy_label(year: int) -> str:
    """``2018 -> "2018/19"``.

    Examples
    --------
    >>> fy_label(2019)
    '2019/20'
    """
    return f"{year}/{(year + 1) % 100:02d}"


def seasonal_profile(category: str) -> np.ndarray:
    """Monthly seasonal factors (January .. December) of a category, with mean 1.

    Examples
    --------
    >>> s = seasonal_profile("Anti-social behaviour")
    >>> round(float(s.mean()), 6), int(s.argmax()) + 1
    (1.0, 7)
    """
    amplitude, peak, december = SEASONALITY[category]
    months = np.arange(1, 13)
    s = 1.0 + amplitude * np.cos(2 * np.pi * (months - peak) / 12)
    s[11] += december
    return s / s.mean()


def daily_stringency(days) -> np.ndarray:
    """Lockdown stringency (0..1) on each date of ``days`` (numpy ``datetime64[D]``).

    Examples
    --------
    >>> d = np.array(["2020-03-22", "2020-03-23", "2021-08-01"], dtype="datetime64[D]")
    >>> daily_stringency(d).tolist()
    [0.0, 1.0, 0.0]
    """
    days = np.asarray(days, dtype="datetime64[D]")
    starts = np.array([s for s, _ in LOCKDOWN_STRINGENCY], dtype="datetime64[D]")
    levels = np.array([0.0] + [v for _, v in LOCKDOWN_STRINGENCY])
    return levels[np.searchsorted(starts, days, side="right")]
