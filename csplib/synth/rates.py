"""Incidents per resident by deprivation: the model behind the volumes of any area.

Only Nottingham has real rows to copy. For another partnership the generator needs each
LSOA's expected incidents by category, and gets them from a model fitted to the real
Nottinghamshire whole-force file (``police_uk/nottinghamshire_2018-10_2019-02.zip``: the
679 LSOA11s of the force's eight authorities, urban and rural, about 55,000 rows):

1. **Decile rates.** For each category ``c`` and IMD 2019 decile ``d``, the monthly rate
   per resident (2018/19, without season: the five months' counts divided by their
   seasonal and day-count factors, as :func:`~csplib.synth.levels.base_levels` does)
   is a Poisson log-linear fit in the decile, ``log r = a_c + b_c (d - 5.5)``, with each
   decile's own rate shrunk toward the line: ``r_dc = line_dc (O_dc / phi_c + A) /
   (F_dc / phi_c + A)`` (``O``: real rows, ``F``: rows the line expects, ``phi_c``: the
   LSOA-level Pearson dispersion of the category, ``A`` = :data:`DECILE_PRIOR_EVENTS`).
   A decile with much data keeps its own rate; a noisy one leans on the line.
2. **LSOA heterogeneity.** Real LSOAs vary far more than Poisson around their decile's
   rate (town centres, retail parks). Each LSOA gets a level ``u ~ Gamma(k, 1/k)`` and
   each LSOA x category ``v ~ Gamma(k_c, 1/k_c)`` (mean 1), with ``k`` and ``k_c``
   fitted to the force by the method of moments (shoplifting and bicycle theft are the
   most concentrated). The draws are fixed per LSOA code (not by the seed): an area keeps
   the same busy places whatever the seed.
3. **Applied to an area**: ``B[l, c] = population_l r[d_l, c] u_l v_lc``, rescaled per
   category so the area's total equals ``sum_l population_l r[d_l, c]`` exactly.

The fit is a property of the data folder, computed once per process (about a second).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csplib.synth.calibration import CATEGORIES, CITY_LA
from csplib.synth.levels import MEAN_MONTH_DAYS, seasonal_matrix, timeline
from csplib.synth.realdata import BASE_MONTHS, REAL_FILES, file_stamps, read_street_zip
from csplib.synth.sampling import STREAMS

__all__ = [
    "DECILE_PRIOR_EVENTS",
    "SHAPE_BOUNDS",
    "RateModel",
    "fit_rate_model",
    "lsoa_effects",
    "modelled_base",
]

#: Pseudo-events pulling each decile's rate toward the log-linear line (after dividing
#: the counts by the category's dispersion).
DECILE_PRIOR_EVENTS = 10.0
#: Bounds of the fitted gamma shapes (a shape outside them is set to the bound).
SHAPE_BOUNDS = (0.3, 50.0)
_FIT_FILES = ("base_zip", "lsoa_lookup", "la_lookup", "population", "deprivation")


@dataclass(frozen=True)
class RateModel:
    """The fitted model.

    Attributes
    ----------
    rates : numpy.ndarray
        (10 deciles, categories): incidents per resident in an average month of 2018/19,
        without season.
    line : numpy.ndarray
        (10, categories): the log-linear fit the decile rates are shrunk toward.
    dispersion : numpy.ndarray
        Pearson dispersion of each category at LSOA level (>= 1).
    lsoa_shape : float
        Gamma shape ``k`` of an LSOA's overall level.
    category_shape : numpy.ndarray
        Gamma shape ``k_c`` of each LSOA x category around the LSOA's level.
    lsoas, residents, rows : int
        LSOAs, residents (mid-2019) and real rows the model was fitted to.
    """

    rates: np.ndarray
    line: np.ndarray
    dispersion: np.ndarray
    lsoa_shape: float
    category_shape: np.ndarray
    lsoas: int
    residents: int
    rows: int

    def per_1000_a_year(self) -> pd.DataFrame:
        """Annual incidents per 1,000 residents by decile (rows) and category (columns).

        Examples
        --------
        >>> model = fit_rate_model("data")
        >>> table = model.per_1000_a_year()
        >>> bool(table.sum(axis=1).loc[1] > 2.5 * table.sum(axis=1).loc[10])
        True
        """
        return pd.DataFrame(
            12_000 * self.rates, index=pd.RangeIndex(1, 11, name="imd_decile"), columns=CATEGORIES
        )

    def summary(self) -> dict:
        """The model as plain numbers, for ``truth.json``."""
        table = self.per_1000_a_year()
        return {
            "fitted_to": f"{self.lsoas} LSOA11s of the force holding {CITY_LA} "
            f"({self.residents:,} residents, {self.rows:,} real rows, "
            f"{BASE_MONTHS[0]} to {BASE_MONTHS[-1]})",
            "per_1000_a_year_by_decile": {
                str(d): round(float(table.loc[d].sum()), 1) for d in table.index
            },
            "per_1000_a_year_by_decile_and_category": {
                c: [round(float(x), 2) for x in table[c]] for c in CATEGORIES
            },
            "dispersion": dict(zip(CATEGORIES, np.round(self.dispersion, 2).tolist(), strict=True)),
            "lsoa_shape": round(self.lsoa_shape, 3),
            "category_shape": dict(
                zip(CATEGORIES, np.round(self.category_shape, 3).tolist(), strict=True)
            ),
            "decile_prior_events": DECILE_PRIOR_EVENTS,
        }


def fit_rate_model(data_dir="data") -> RateModel:
    """Fit the model to the Nottinghamshire force file in ``data_dir`` (cached per process).

    Raises
    ------
    DataError
        A file is missing or unreadable.

    Examples
    --------
    >>> model = fit_rate_model("data")
    >>> model.lsoas, model.rates.shape
    (679, (10, 14))
    """
    data_dir = Path(data_dir)
    return _fit_cached(str(data_dir.resolve()), file_stamps(data_dir, _FIT_FILES))


def _read(data_dir: Path, key: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / REAL_FILES[key], dtype=str, keep_default_na=False)


@functools.lru_cache(maxsize=2)
def _fit_cached(data_dir: str, stamp: tuple) -> RateModel:
    data_dir = Path(data_dir)
    las = _read(data_dir, "la_lookup")
    force = las.loc[las["ltla24_code"] == CITY_LA, "pfa24_code"].iloc[0]
    force_las = set(las.loc[las["pfa24_code"] == force, "ltla24_code"])
    lookup = _read(data_dir, "lsoa_lookup").drop_duplicates("lsoa11_code")
    codes = np.sort(lookup.loc[lookup["ltla22_code"].isin(force_las), "lsoa11_code"].to_numpy())
    pop = _read(data_dir, "population").set_index("lsoa11_code")["total_population"]
    imd = _read(data_dir, "deprivation").set_index("lsoa11_code")["IMD_decile"]
    population = pop.reindex(codes).astype(float).to_numpy()
    decile = imd.reindex(codes).astype(int).to_numpy()

    rows = read_street_zip(data_dir / REAL_FILES["base_zip"]).select("LSOA code", "Crime type")
    frame = rows.to_pandas()
    frame = frame[frame["LSOA code"].isin(codes) & frame["Crime type"].isin(CATEGORIES)]
    counts = (
        frame.groupby(["LSOA code", "Crime type"])
        .size()
        .unstack(fill_value=0)
        .reindex(index=codes, columns=list(CATEGORIES), fill_value=0)
        .to_numpy(float)
    )
    tl = timeline(BASE_MONTHS[0], BASE_MONTHS[-1])
    factor = (seasonal_matrix()[tl.moy - 1] * (tl.days / MEAN_MONTH_DAYS)[:, None]).sum(axis=0)
    exposure = population[:, None] * factor[None, :]  # resident-months, season-weighted

    d = decile - 1
    observed = np.zeros((10, len(CATEGORIES)))
    at_risk = np.zeros((10, len(CATEGORIES)))
    np.add.at(observed, d, counts)
    np.add.at(at_risk, d, exposure)
    line = np.stack([_loglinear(observed[:, c], at_risk[:, c]) for c in range(len(CATEGORIES))], 1)
    expected = exposure * line[d]
    n = len(codes)
    dispersion = np.maximum(1.0, ((counts - expected) ** 2 / expected).sum(axis=0) / (n - 2))
    fitted = at_risk * line
    rates = (
        line
        * (observed / dispersion + DECILE_PRIOR_EVENTS)
        / (fitted / dispersion + DECILE_PRIOR_EVENTS)
    )

    # LSOA heterogeneity, by the method of moments
    e_total = (exposure * rates[d]).sum(axis=1)
    o_total = counts.sum(axis=1)
    lsoa_shape = _moment_shape(o_total / e_total, 1 / e_total)
    share = factor * rates / (factor * rates).sum(axis=1, keepdims=True)
    e_cell = o_total[:, None] * share[d]
    category_shape = np.empty(len(CATEGORIES))
    for c in range(len(CATEGORIES)):
        ok = e_cell[:, c] > 2
        category_shape[c] = _moment_shape(
            counts[ok, c] / e_cell[ok, c], 1 / e_cell[ok, c], enough=ok.sum() >= 20
        )
    return RateModel(
        rates=rates,
        line=line,
        dispersion=dispersion,
        lsoa_shape=lsoa_shape,
        category_shape=category_shape,
        lsoas=n,
        residents=int(population.sum()),
        rows=int(counts.sum()),
    )


def _loglinear(y: np.ndarray, exposure: np.ndarray) -> np.ndarray:
    """Rates ``exp(a + b (d - 5.5))`` of the Poisson fit of ``y`` with offset ``exposure``."""
    z = np.arange(1, 11) - 5.5
    beta = np.array([np.log(y.sum() / exposure.sum()), 0.0])
    for _ in range(50):
        mu = exposure * np.exp(beta[0] + beta[1] * z)
        score = np.array([(y - mu).sum(), ((y - mu) * z).sum()])
        info = np.array([[mu.sum(), (mu * z).sum()], [(mu * z).sum(), (mu * z * z).sum()]])
        step = np.linalg.solve(info, score)
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return np.exp(beta[0] + beta[1] * z)


def _moment_shape(ratio: np.ndarray, inverse_mean: np.ndarray, enough: bool = True) -> float:
    """Gamma shape ``k`` with ``Var(O/E) = 1/k + mean(1/E)``, within :data:`SHAPE_BOUNDS`."""
    low, high = SHAPE_BOUNDS
    if not enough:
        return 1.0
    excess = ratio.var() - inverse_mean.mean()
    return float(np.clip(1 / excess, low, high)) if excess > 0 else high


def lsoa_effects(codes, model: RateModel) -> tuple[np.ndarray, np.ndarray]:
    """Each LSOA's level ``u`` and category levels ``v`` (mean 1), fixed by its code.

    Examples
    --------
    >>> model = fit_rate_model("data")
    >>> u, v = lsoa_effects(["E01011264", "W01001694"], model)
    >>> u.shape, v.shape, bool((lsoa_effects(["E01011264"], model)[0] == u[0]).all())
    ((2,), (2, 14), True)
    """
    codes = list(codes)
    u = np.empty(len(codes))
    v = np.empty((len(codes), len(CATEGORIES)))
    for i, code in enumerate(codes):
        rng = np.random.default_rng(
            [ord(code[0]), int(code[1:3]), int(code[3:]), STREAMS["lsoa_effects"]]
        )
        u[i] = rng.gamma(model.lsoa_shape, 1 / model.lsoa_shape)
        v[i] = rng.gamma(model.category_shape, 1 / model.category_shape)
    return u, v


def modelled_base(lsoa: pd.DataFrame, model: RateModel) -> np.ndarray:
    """Base monthly level of each LSOA x category (as :func:`~csplib.synth.levels.base_levels`).

    Parameters
    ----------
    lsoa : pandas.DataFrame
        ``code``, ``population``, ``imd_decile`` (1..10) and ``city`` (in the area; the
        per-category rescaling is computed over these rows).
    model : RateModel

    Examples
    --------
    >>> model = fit_rate_model("data")
    >>> lsoa = pd.DataFrame({"code": ["E01000001", "E01000002"], "population": [1500, 1500],
    ...                      "imd_decile": [1, 10], "city": [True, True]})
    >>> base = modelled_base(lsoa, model)
    >>> bool(np.allclose(base.sum(axis=0), 1500 * model.rates[[0, 9]].sum(axis=0)))
    True
    """
    expected = (
        lsoa["population"].to_numpy(float)[:, None]
        * model.rates[lsoa["imd_decile"].to_numpy(int) - 1]
    )
    u, v = lsoa_effects(lsoa["code"], model)
    raw = expected * u[:, None] * v
    inside = lsoa["city"].to_numpy(bool)
    norm = expected[inside].sum(axis=0) / raw[inside].sum(axis=0)
    return raw * norm[None, :]
