"""The full synthetic dataset: formats, calibration, planted effects, and the readers.

One generation of the whole span (about 4 s) and one police.uk read (about 3 s) are shared
by every test of this module.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import polars as pl
import pytest

from csplib.core.schema import ASB, VICTIM_BASED_CATEGORIES
from csplib.ingest.geography import Geography
from csplib.ingest.indicators import read_indicators
from csplib.ingest.partner import read_partner_extract
from csplib.ingest.policeuk import STREET_COLUMNS, read_policeuk
from csplib.synth import generate
from csplib.synth.calibration import TARGETS
from csplib.synth.effects import ASB_HOTSPOT, BURGLARY_SCHEME, WEAPONS_RISE
from csplib.synth.realdata import read_street_zip

DATA = "data"
REF = "data/reference"
SEED = 11


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    return generate(SEED, out, data_dir=DATA)


@pytest.fixture(scope="module")
def truth(synth):
    return json.loads(synth.truth_file.read_text())


@pytest.fixture(scope="module")
def read(synth):
    return read_policeuk(synth.police_uk_dir)


@pytest.fixture(scope="module")
def lookup():
    return pd.read_csv(f"{REF}/lookups/nottingham_lsoa11_lsoa21_ward24_lookup.csv", dtype=str)


@pytest.fixture(scope="module")
def incidents(read, lookup):
    """Kept street rows with financial year, city flag and 2024 ward."""
    inc = pl.from_pandas(
        read.incidents[["month", "category", "lsoa", "crime_id"]].astype(
            {"category": "str", "lsoa": "str"}
        )
    )
    ward = dict(zip(lookup["lsoa11_code"], lookup["ward24_name"], strict=True)) | dict(
        zip(lookup["lsoa21_code"], lookup["ward24_name"], strict=True)
    )
    return inc.with_columns(
        fy=pl.col("month").dt.year() - (pl.col("month").dt.month() < 4).cast(pl.Int32),
        city=pl.col("lsoa").is_in(list(ward)),
        ward=pl.col("lsoa").replace_strict(ward, default=None),
    )


def _count(frame: pl.DataFrame, **where) -> int:
    for col, value in where.items():
        values = value if isinstance(value, (list, tuple, set)) else [value]
        frame = frame.filter(pl.col(col).is_in(list(values)))
    return frame.height


# ------------------------------------------------------------------------- formats
def test_street_files_have_the_real_layout(synth):
    files = sorted(synth.police_uk_dir.glob("*/*.csv"))
    assert len(files) == 131  # 132 months, one missing
    assert not (synth.police_uk_dir / "2016-08").exists()
    for path in files:
        assert path.name == f"{path.parent.name}-nottinghamshire-street.csv"
    text = files[0].read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == ",".join(STREET_COLUMNS)
    assert text.endswith("\n") and "\r" not in text
    assert '""' not in text  # blanks are empty, never a quoted empty string
    frame = pl.read_csv(files[60], infer_schema=False)
    crime = frame.filter(pl.col("Crime type") != ASB)
    asb = frame.filter(pl.col("Crime type") == ASB)
    assert crime["Crime ID"].str.contains(r"^[0-9a-f]{64}$").all()
    assert asb["Crime ID"].null_count() == asb.height
    assert asb["Last outcome category"].null_count() == asb.height
    assert crime["Last outcome category"].null_count() == 0
    assert set(frame["Reported by"]) == set(frame["Falls within"]) == {"Nottinghamshire Police"}
    assert frame["Context"].null_count() == frame.height
    located = frame.filter(pl.col("LSOA code").is_not_null())
    assert located["Location"].str.starts_with("On or near ").all()
    assert located["Longitude"].str.contains(r"^-1\.\d+$").all()
    assert located["Latitude"].str.contains(r"^5[23]\.\d+$").all()
    blank = frame.filter(pl.col("LSOA code").is_null())
    assert blank.height > 0
    assert (blank["Location"] == "No Location").all()
    assert blank["Longitude"].null_count() == blank["LSOA name"].null_count() == blank.height


def test_places_and_names_are_real(synth):
    """LSOA names match the ONS lookup; locations come from the real release of the vintage."""
    lsoa = pd.read_csv(f"{REF}/lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz", dtype=str)
    names = {
        "2016-02": dict(zip(lsoa["lsoa11_code"], lsoa["lsoa11_name"], strict=True)),
        "2024-07": dict(zip(lsoa["lsoa21_code"], lsoa["lsoa21_name"], strict=True)),
    }
    real_places = set()
    for z in ("nottinghamshire_2018-10_2019-02.zip", "nottinghamshire_2024-01_2024-03.zip"):
        real = read_street_zip(f"{DATA}/police_uk/{z}")
        real_places |= set(real.select("Location", "Longitude", "Latitude").iter_rows())
    for month in ("2016-02", "2024-07"):
        frame = pl.read_csv(
            synth.police_uk_dir / month / f"{month}-nottinghamshire-street.csv", infer_schema=False
        ).drop_nulls("LSOA code")
        codes = frame["LSOA code"].to_list()
        assert all(
            names[month][c] == n for c, n in zip(codes, frame["LSOA name"].to_list(), strict=True)
        )
        places = set(frame.select("Location", "Longitude", "Latitude").iter_rows())
        assert places <= real_places  # the very strings police.uk wrote


def test_reader_rejects_only_what_was_planted(read, truth):
    expected = truth["publication"]["expected_rejections"]
    assert (
        read.rows_read
        == truth["publication"]["rows_written"]
        == truth["files"]["police_uk"]["rows"]
    )
    assert read.rejected["reason"].value_counts().to_dict() == expected
    assert expected["no_lsoa"] > 0 and expected["duplicate_crime_id"] > 0
    share = expected["no_lsoa"] / read.rows_read
    assert 0.007 < share < 0.013  # about 1%, like the real files
    vintages = read.files.set_index("month")["lsoa_vintage"].astype(str)
    assert (vintages[vintages.index < "2024-01"] == "2011").all()
    assert (vintages[vintages.index >= "2024-01"] == "2021").all()


def test_rows_outside_the_city(incidents, truth, read):
    outside = incidents.filter(~pl.col("city"))
    share = outside.height / read.rows_read
    assert 0.10 < share < 0.20
    dups = truth["publication"]["duplicate_crime_ids"]
    copies_outside = dups["extra_rows"] - dups["extra_rows_city"]
    assert truth["publication"]["rows_outside_city"] == outside.height + copies_outside
    lsoa = pd.read_csv(f"{REF}/lookups/lookup_lsoa11_lsoa21_ltla22.csv.gz", dtype=str)
    la = dict(zip(lsoa["lsoa11_code"], lsoa["ltla22_name"], strict=True)) | dict(
        zip(lsoa["lsoa21_code"], lsoa["ltla22_name"], strict=True)
    )
    assert {la[c] for c in outside["lsoa"].unique()} == {"Gedling", "Broxtowe", "Rushcliffe"}


# ------------------------------------------------------------------------- calibration
@pytest.mark.parametrize("year", [2018, 2019, 2020, 2021])
def test_annual_totals_match_the_partnership_targets(incidents, year):
    city = incidents.filter(pl.col("city") & (pl.col("fy") == year))
    vb = _count(city, category=VICTIM_BASED_CATEGORIES)
    asb = _count(city, category=ASB)
    assert abs(vb / TARGETS["victim_based_crime"][year] - 1) < 0.01
    assert abs(asb / TARGETS["asb_incidents"][year] - 1) < 0.01


def test_every_year_matches_the_truth_file(incidents, truth):
    for label, row in truth["calibration"]["victim_based_crime"].items():
        city = incidents.filter(pl.col("city") & (pl.col("fy") == int(label[:4])))
        assert _count(city, category=VICTIM_BASED_CATEGORIES) == row["in_published_files"]
    for label, row in truth["calibration"]["asb_incidents"].items():
        city = incidents.filter(pl.col("city") & (pl.col("fy") == int(label[:4])))
        assert _count(city, category=ASB) == row["in_published_files"]
        assert row["achieved"] == row["value"]


@pytest.mark.parametrize("year", [2018, 2019, 2020, 2021])
def test_hate_crime_repeat_victims_match_the_targets(synth, year):
    path = synth.out_dir / "partner" / f"synthetic_crimes_{year}-{(year + 1) % 100:02d}.csv"
    res = read_partner_extract(path, reference_dir=REF)
    assert len(res.rejected) == 0
    hate = res.data[res.data["hate"]]
    per_victim = hate["victim_id"].value_counts()
    pct = 100 * (per_victim >= 2).sum() / len(per_victim)
    assert abs(pct - TARGETS["hate_repeat_victim_pct"][year]) < 1.0
    assert hate["hate_strand"].value_counts().index[0] == "race"
    assert hate["victim_id"].notna().all()
    # race/religion aggravated codes appear only on hate crimes
    aggravated = res.data["offence_code"].isin(["8M", "8P", "105B", "9B", "58J"])
    assert aggravated.sum() > 100 and res.data.loc[aggravated, "hate"].all()


def test_real_mix_is_reproduced(incidents, truth):
    """LSOA x category counts of Oct 2018 - Feb 2019 correlate with the real months."""
    real = read_policeuk(f"{DATA}/police_uk/nottinghamshire_2018-10_2019-02.zip").incidents
    months = pd.date_range("2018-10-01", "2019-02-01", freq="MS")
    gen = (
        incidents.filter(pl.col("city") & pl.col("month").is_in(list(months)))
        .group_by(["lsoa", "category"])
        .len()
        .to_pandas()
        .set_index(["lsoa", "category"])["len"]
    )
    obs = real[real["lsoa"].isin(gen.index.get_level_values(0))]
    obs = obs.groupby(["lsoa", obs["category"].astype(str)]).size()
    both = pd.concat([gen.rename("gen"), obs.rename("obs")], axis=1).fillna(0)
    r = np.corrcoef(both["gen"], both["obs"])[0, 1]
    assert r > 0.97
    assert truth["calibration"]["real_mix"]["pearson_lsoa_x_category"] > 0.97
    assert abs(both["gen"].sum() / both["obs"].sum() - 1) < 0.05


def test_seasonality_is_visible(incidents):
    city = incidents.filter(pl.col("city"))
    by_month = city.group_by(["month", "category"]).len()

    def total(category, months):
        months = [pd.Timestamp(m) for m in months]
        sel = by_month.filter((pl.col("category") == category) & pl.col("month").is_in(months))
        return sel["len"].sum()

    for year in (2015, 2017, 2018, 2022):
        summer = [f"{year}-{m:02d}-01" for m in (6, 7, 8)]
        winter = [f"{year}-12-01", f"{year + 1}-01-01", f"{year + 1}-02-01"]
        assert total(ASB, summer) / total(ASB, winter) > 1.1
        assert total("Burglary", winter) > total("Burglary", summer)
        assert total("Bicycle theft", summer) > 1.3 * total("Bicycle theft", winter)


def test_covid_shock_is_visible(incidents, truth):
    city = incidents.filter(pl.col("city"))

    def month(m, cats):
        return _count(city.filter(pl.col("month") == pd.Timestamp(m)), category=cats)

    vb = month("2020-04-01", VICTIM_BASED_CATEGORIES) / month("2019-04-01", VICTIM_BASED_CATEGORIES)
    asb = month("2020-04-01", ASB) / month("2019-04-01", ASB)
    assert 0.5 < vb < 0.75  # "crime down about a third in the first weeks"
    assert 1.3 < asb < 2.0  # "ASB up by roughly half"
    assert truth["calibration"]["covid"]["april_2020_vs_april_2019"]["victim_based"] == round(vb, 4)


def test_deprivation_gradient_is_kept(truth):
    deciles = truth["calibration"]["deprivation_gradient"]["by_decile"]
    rate = {int(k): v["generated_per_1000_2018_19"] for k, v in deciles.items()}
    real = {int(k): v["real_per_1000_annualised"] for k, v in deciles.items()}
    ratio = np.array([rate[d] / real[d] for d in rate])
    assert (np.abs(ratio / np.median(ratio) - 1) < 0.1).all()  # the real gradient is kept
    assert min(rate[1], rate[2]) > 2 * max(rate[9], rate[10])


# ------------------------------------------------------------------------- effects
def test_weapons_rise_in_the_two_wards(incidents, truth):
    weapons = incidents.filter(pl.col("city") & (pl.col("category") == "Possession of weapons"))
    in_wards = weapons.filter(pl.col("ward").is_in(list(WEAPONS_RISE["wards"])))
    rest = weapons.filter(~pl.col("ward").is_in(list(WEAPONS_RISE["wards"])))

    def year(frame, y):
        return frame.filter(pl.col("month").dt.year() == y).height

    growth = year(in_wards, 2024) / year(in_wards, 2021)
    # planted: 1.4 ** (months since Jan 2022 / 12), about x2.7 for 2024 vs 2021
    assert 2.0 < growth < 3.6
    assert 0.85 < year(rest, 2024) / year(rest, 2021) < 1.2
    recorded = truth["effects"]["weapons_rise"]
    assert recorded["growth_per_year"] == 0.4 and recorded["from_month"] == "2022-01"
    assert (
        recorded["achieved"]["in_wards"]["2024/25"]
        > 2 * recorded["achieved"]["in_wards"]["2021/22"]
    )


def test_burglary_falls_after_the_scheme(incidents, truth):
    burglary = incidents.filter(pl.col("city") & (pl.col("category") == "Burglary"))
    scheme = pl.col("ward").is_in(list(BURGLARY_SCHEME["wards"]))

    def ratio(years):
        sel = burglary.filter(pl.col("fy").is_in(years))
        return sel.filter(scheme).height / sel.filter(~scheme).height

    change = ratio([2022, 2023]) / ratio([2018, 2019]) - 1
    assert -0.40 < change < -0.20  # planted: -30%
    assert truth["effects"]["burglary_scheme"]["change"] == -0.3


def test_new_asb_hotspot(incidents, lookup, truth):
    code21 = lookup.loc[lookup["lsoa11_code"] == ASB_HOTSPOT["lsoa11"], "lsoa21_code"].iloc[0]
    asb = incidents.filter(pl.col("city") & (pl.col("category") == ASB))
    spot = asb.filter(pl.col("lsoa").is_in([ASB_HOTSPOT["lsoa11"], code21]))
    start = pd.Timestamp(ASB_HOTSPOT["from_month"] + "-01")
    before = (
        spot.filter(
            (pl.col("month") < start)
            & (pl.col("month") >= start - pd.DateOffset(months=12))
            & (pl.col("month") != pd.Timestamp("2023-06-01"))  # the low month
        ).height
        / 11
    )
    after = spot.filter(pl.col("month") >= start).height / 18
    assert after > 2.5 * before
    late = asb.filter(pl.col("month") >= pd.Timestamp("2024-04-01")).group_by("lsoa").len()
    rank = (late["len"] > late.filter(pl.col("lsoa") == code21)["len"].item()).sum()
    assert rank < 18  # in the top 10% of the city's LSOAs
    assert truth["effects"]["asb_hotspot"]["lsoa11"] == ASB_HOTSPOT["lsoa11"]


def test_stable_category_has_no_trend(synth, truth):
    totals = truth["effects"]["stable_category"]["achieved"]["city_totals"]
    y = np.array(list(totals.values()), dtype=float)
    x = np.arange(len(y))
    slope, _ = np.polyfit(x, y, 1)
    assert abs(slope) / y.mean() < 0.01  # under 1% a year
    assert (np.abs(y - y.mean()) < 4 * np.sqrt(y.mean())).all()
    # and the partner extract (which holds every month) agrees with the truth file
    frame = pl.read_csv(
        synth.out_dir / "partner" / "synthetic_crimes_2020-21.csv", infer_schema=False
    )
    codes = pd.read_csv(f"{REF}/home_office/offence_code_to_policeuk_category.csv", dtype=str)
    other = set(codes.loc[codes["Police.uk_Cat"] == "Other crime", "Offence_Code"])
    located = frame.drop_nulls("lsoa")  # the truth counts rows with a city LSOA
    assert located.filter(pl.col("offence_code").is_in(list(other))).height == totals["2020/21"]


def test_missing_and_low_months(synth, incidents, truth):
    assert truth["publication"]["missing_months"] == ["2016-08"]
    assert incidents.filter(pl.col("month") == pd.Timestamp("2016-08-01")).height == 0
    asb = incidents.filter(pl.col("category") == ASB).group_by("month").len()
    level = asb.filter(
        pl.col("month").is_in([pd.Timestamp("2023-05-01"), pd.Timestamp("2023-07-01")])
    )
    low = asb.filter(pl.col("month") == pd.Timestamp("2023-06-01"))["len"].item()
    assert low < 0.1 * level["len"].mean()
    (record,) = truth["publication"]["low_months"]
    assert record["month"] == "2023-06" and record["rows_removed"] > 10 * record["rows_kept"]
    # the partner extract still holds August 2016
    frame = pl.read_csv(
        synth.out_dir / "partner" / "synthetic_crimes_2016-17.csv", infer_schema=False
    )
    assert frame.filter(pl.col("date").str.starts_with("2016-08")).height > 2_500


# ------------------------------------------------------------------------- partner, indicators
def test_partner_extract_describes_the_street_crimes(synth, incidents):
    """Same crimes: counts by month, category and LSOA agree (duplicates aside)."""
    codes = pd.read_csv(f"{REF}/home_office/offence_code_to_policeuk_category.csv", dtype=str)
    category = {}
    for code, cat in zip(codes["Offence_Code"], codes["Police.uk_Cat"], strict=True):
        for part in [code, *code.split("/")]:
            category[part] = cat.casefold()
    for year in (2019, 2024):
        frame = pl.read_csv(
            synth.out_dir / "partner" / f"synthetic_crimes_{year}-{(year + 1) % 100:02d}.csv",
            infer_schema=False,
        ).with_columns(
            month=pl.col("date").str.slice(0, 7),
            category=pl.col("offence_code").replace_strict(category),
        )
        partner = frame.drop_nulls("lsoa").group_by(["month", "category", "lsoa"]).len()
        street = (
            incidents.filter(pl.col("city") & (pl.col("fy") == year) & (pl.col("category") != ASB))
            .with_columns(
                month=pl.col("month").dt.strftime("%Y-%m"),
                category=pl.col("category").str.to_lowercase(),
            )
            .group_by(["month", "category", "lsoa"])
            .len()
        )
        joined = partner.join(street, on=["month", "category", "lsoa"], how="full", coalesce=True)
        assert joined.filter(pl.col("len") != pl.col("len_right")).height == 0
        assert joined.null_count().select(["len", "len_right"]).sum_horizontal().item() == 0
        assert 0.005 < frame["lsoa"].null_count() / frame.height < 0.015


def test_partner_extract_2021_codes_reads_cleanly(synth):
    res = read_partner_extract(
        synth.out_dir / "partner" / "synthetic_crimes_2024-25.csv", reference_dir=REF
    )
    assert len(res.rejected) == 0
    assert '""' not in (synth.out_dir / "partner" / "synthetic_crimes_2024-25.csv").read_text()
    lsoa21 = pd.read_csv(f"{REF}/lookups/nottingham_lsoa11_lsoa21_ward24_lookup.csv", dtype=str)
    assert set(res.data["lsoa"].dropna()) <= set(lsoa21["lsoa21_code"])
    victims = res.data.loc[res.data["victim_id"].str.startswith("V", na=False), "victim_id"]
    repeat = (victims.value_counts() >= 2).mean()
    assert 0.08 < repeat < 0.35  # people who are victims twice or more in the year
    domestic = res.data["domestic"].mean()
    assert 0.08 < domestic < 0.25
    assert res.data.loc[res.data["category"] == "Possession of weapons", "weapon"].all()


def test_partner_extract_lies_in_the_area(synth, truth):
    """2023/24 mixes vintages (2011 codes to December, 2021 codes after): all known, all city."""
    geo = Geography(REF, la_codes=["E06000018"])
    res = read_partner_extract(
        synth.out_dir / "partner" / "synthetic_crimes_2023-24.csv", geography=geo
    )
    assert len(res.rejected) == 0
    outcome = geo.assign_area(res.data).summary().set_index("outcome")["rows"]
    assert outcome["outside the area"] == outcome["unknown LSOA code"] == 0
    assert outcome["no LSOA code"] == truth["partner"]["2023/24"]["rows_without_lsoa"]
    assert outcome["kept"] == len(res.data) - outcome["no LSOA code"]


def test_indicators_read_cleanly_and_hit_the_published_figures(synth, truth):
    res = read_indicators(synth.indicators_file)
    assert len(res.rejected) == 0
    data = res.data.set_index(["indicator", "period_end"])
    asb = data.loc["survey_experience_asb"]
    assert asb.loc[pd.Timestamp("2018-12-31"), "value"] == pytest.approx(0.085)
    assert asb.loc[pd.Timestamp("2019-12-31"), "value"] == pytest.approx(0.092)
    assert (asb["denominator"].between(1_900, 2_150)).all()
    assert pd.Timestamp("2020-12-31") not in asb.index
    done = data.loc["treatment_successful_completions"]
    for end, value in (
        ("2019-03-31", 0.219),
        ("2020-03-31", 0.227),
        ("2020-05-31", 0.213),
        ("2021-03-31", 0.195),
    ):
        row = done.loc[pd.Timestamp(end)]
        assert row["value"] == pytest.approx(value)
        assert abs(row["numerator"] / row["denominator"] - value) < 0.0005
    kinds = res.data.groupby("indicator")["kind"].first().to_dict()
    assert kinds["marac_referrals"] == kinds["secondary_fires"] == "count"
    assert (res.data["source"].str.startswith("SYNTHETIC")).all()
    achieved = truth["calibration"]["treatment_successful_completions_pct"]["2020-03"]
    assert achieved["published"] and abs(achieved["achieved"] - 22.7) < 0.05


def test_truth_file_records_everything(synth, truth):
    assert truth["synthetic"] is True and truth["seed"] == SEED
    assert truth["generator_version"] == synth.generator_version
    assert set(truth["effects"]) == {
        "weapons_rise",
        "burglary_scheme",
        "asb_hotspot",
        "stable_category",
        "missing_month",
        "low_month",
    }
    assert len(truth["span"]["complete_financial_years"]) == 11
    assert truth["area"]["lsoa11"] == 182 and truth["area"]["lsoa21"] == 179
    for key in ("victim_based_crime", "asb_incidents", "hate_repeat_victim_pct"):
        rows = truth["calibration"][key]
        published = {k for k, v in rows.items() if v["source"] == "published target"}
        assert published == {"2018/19", "2019/20", "2020/21", "2021/22"}
    assert "SYNTHETIC DATA" in synth.readme_file.read_text()
    assert re.fullmatch(
        r"[0-9a-f]{64}",
        truth["real_inputs_sha256"]["police_uk/nottinghamshire_2018-10_2019-02.zip"],
    )
