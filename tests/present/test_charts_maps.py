"""Maps (csplib/present/charts/maps.py): choropleths and hotspot maps return Axes with the
classes."""

import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import geopandas as gpd  # noqa: E402
import mapclassify  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import shapely  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from shapely.geometry import box  # noqa: E402

from csplib.core.errors import DataError, ParamsError  # noqa: E402
from csplib.ingest.geography import Geography  # noqa: E402
from csplib.methods.places import GetisOrdHotspots, area_rates  # noqa: E402
from csplib.present.charts.maps import (  # noqa: E402
    HOTSPOT_COLOURS,
    SCHEMES,
    choropleth,
    hotspot_map,
    label_areas,
)

REF = Path(__file__).resolve().parents[2] / "data" / "reference"


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def cells():
    y = np.arange(1.0, 26.0) ** 1.5
    return gpd.GeoDataFrame(
        {"rate": y},
        geometry=[box(c, r, c + 1, r + 1) for r in range(5) for c in range(5)],
        crs=27700,
    )


def legend_labels(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_choropleth_legend_shows_the_mapclassify_classes(cells):
    ax = choropleth(cells, "rate", k=5, title="Rates are highest in the north", source="test")
    assert isinstance(ax, Axes)
    labels = legend_labels(ax)
    assert len(labels) == 5
    bins = mapclassify.Quantiles(cells["rate"], k=5).bins
    # each label ends with the upper bound of its class, formatted
    assert [label.split(", ")[-1].strip() for label in labels] == [f"{b:,.1f}" for b in bins]
    assert ax.get_legend().get_title().get_text() == "rate"
    assert ax.get_title(loc="left") == "Rates are highest in the north"
    assert not ax.axison  # no axes, no ticks
    assert any("Source: test" in t.get_text() for t in ax.figure.texts)


def test_choropleth_schemes_and_k(cells):
    ax = choropleth(cells, "rate", scheme="fisher_jenks", k=4, legend_title="per 1,000")
    assert len(legend_labels(ax)) == 4
    assert ax.get_legend().get_title().get_text() == "per 1,000"
    ax = choropleth(cells, "rate", scheme="equal_interval", k=3, fmt="{:.0f}")
    top = cells["rate"].max()
    assert legend_labels(ax)[-1].endswith(f"{top:.0f}")
    counts = cells.assign(count=(cells["rate"] * 100).astype("int64"))
    ax = choropleth(counts, "count", k=2)  # whole numbers: no decimals
    assert legend_labels(ax)[-1].split(", ")[-1].strip() == "12,500"
    with pytest.raises(ParamsError, match="scheme must be one of quantiles, fisher_jenks"):
        choropleth(cells, "rate", scheme="jenks")
    with pytest.raises(ParamsError, match="k must be a whole number of classes"):
        choropleth(cells, "rate", k=1)
    assert "natural_breaks" not in SCHEMES  # random starts: maps would not be reproducible


def test_choropleth_marks_missing_values_and_draws_wards(cells):
    gaps = cells.assign(rate=cells["rate"].where(cells.index != 3))
    wards = gpd.GeoDataFrame(
        {"ward": ["W", "E"]}, geometry=[box(0, 0, 2, 5), box(2, 0, 5, 5)], crs=27700
    )
    ax = choropleth(gaps, "rate", k=3, wards=wards)
    assert legend_labels(ax)[-1] == "no data"
    # ward boundaries drawn as lines on top of the areas
    assert any(
        to_hex(c.get_edgecolor()[0]) == "#333333" for c in ax.collections if len(c.get_edgecolor())
    )


def test_maps_refuse_points_and_bad_columns(cells):
    points = gpd.GeoDataFrame({"rate": [1.0, 2.0]}, geometry=gpd.points_from_xy([0, 1], [0, 1]))
    with pytest.raises(DataError, match="area polygons only"):
        choropleth(points, "rate")
    with pytest.raises(DataError, match="area polygons only"):
        hotspot_map(points.assign(classification="hot spot"))
    with pytest.raises(DataError, match="no column 'count'"):
        choropleth(cells, "count")
    with pytest.raises(DataError, match="must be numeric"):
        choropleth(cells.assign(rate="x"), "rate")
    with pytest.raises(DataError, match="unknown class 'warm spot'"):
        hotspot_map(cells.assign(classification="warm spot"))


def test_hotspot_map_colours_and_legend():
    y = np.full(49, 2.0)
    block = [r * 7 + c for r in range(2) for c in range(2)]
    y[block] = 20.0
    y[[47, 48, 40, 41]] = 0.0
    areas = gpd.GeoDataFrame(
        {"count": y}, geometry=[box(c, r, c + 1, r + 1) for r in range(7) for c in range(7)]
    )
    table = GetisOrdHotspots(areas, "count", permutations=0).fit().table
    n_hot = int((table["classification"] == "hot spot").sum())
    n_cold = int((table["classification"] == "cold spot").sum())
    assert n_hot >= 4
    ax = hotspot_map(table, title="A hot spot in the south west")
    assert isinstance(ax, Axes)
    labels = legend_labels(ax)
    assert labels[:3] == [
        f"Hot spot ({n_hot})",
        f"Cold spot ({n_cold})",
        f"Not significant ({49 - n_hot - n_cold})",
    ]
    handles = ax.get_legend().legend_handles
    assert to_hex(handles[0].get_facecolor()) == "#d55e00"  # Okabe-Ito vermilion
    assert to_hex(handles[1].get_facecolor()) == "#0072b2"  # Okabe-Ito blue
    assert to_hex(handles[2].get_facecolor()) == "#dddddd"
    fills = {to_hex(c.get_facecolor()[0]) for c in ax.collections if len(c.get_facecolor())}
    assert "#d55e00" in fills and "#dddddd" in fills
    assert not ax.axison


def test_hotspot_map_of_emerging_hotspots_and_islands():
    t = gpd.GeoDataFrame(
        {
            "classification": ["emerging hot spot", "not significant", "no neighbours"],
            "new_hotspot": [True, True, False],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 0, 6, 1)],
    )
    ax = hotspot_map(t, legend_title="Change", outline="new_hotspot")
    assert legend_labels(ax) == [
        "Emerging hot spot (1)",
        "Emerging cold spot (0)",
        "Not significant (1)",
        "No neighbours (1)",
        "New hotspot (2)",
    ]
    assert HOTSPOT_COLOURS["emerging hot spot"] == HOTSPOT_COLOURS["hot spot"]
    outlined = [c for c in ax.collections if c.get_linewidth().max() == 2.0]
    assert len(outlined) == 1 and to_hex(outlined[0].get_edgecolor()[0]) == "#000000"
    with pytest.raises(DataError, match="outline must name a boolean column"):
        hotspot_map(t, outline="classification")


def test_maps_of_real_lsoas_with_ward_boundaries():
    geo = Geography(REF, la_codes=["E06000018"])
    counts = np.random.default_rng(5).poisson(10, 179)
    codes = np.repeat(geo.lsoa_table.index.to_numpy(), counts)
    inc = pd.DataFrame({"month": pd.Timestamp("2024-01-01"), "lsoa": codes})
    rates = area_rates(inc, geo, period="Jan 24", population_year=2020)
    fig, (left, right) = plt.subplots(1, 2)
    ax = choropleth(rates, "rate_per_1000", wards=geo.wards(), ax=left, title="Rates")
    assert ax is left and len(legend_labels(ax)) == 5
    table = GetisOrdHotspots(rates, "count", permutations=0).fit().table
    ax = hotspot_map(table, wards=geo.wards(), ax=right)
    assert ax is right
    # a north-up plain map of the city: x and y extents in metres of the British grid
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert 450_000 < x0 < x1 < 465_000 and 330_000 < y0 < y1 < 350_000


def rates_of(geo, seed=5):
    counts = np.random.default_rng(seed).poisson(10, len(geo.lsoa_table))
    codes = np.repeat(geo.lsoa_table.index.to_numpy(), counts)
    inc = pd.DataFrame({"month": pd.Timestamp("2024-01-01"), "lsoa": codes})
    options = {"period": "Jan 24", "population_year": 2020}
    return area_rates(inc, geo, level="ward", **options), area_rates(inc, geo, **options)


@pytest.fixture(scope="module")
def nottingham():
    geo = Geography(REF, la_codes=["E06000018"])
    return (geo, *rates_of(geo))


def one_line(text):
    return text.get_text().replace("\n", " ")


def outlines_of(ax):
    return [c for c in ax.collections if np.isclose(c.get_linewidth().max(), 1.4)]


def test_ward_maps_name_every_ward_inside_it_and_outline_the_area(nottingham):
    geo, wards, lsoas = nottingham
    ax = choropleth(wards, "rate_per_1000", title="Ward rates")
    texts = ax.texts
    assert sorted(one_line(t) for t in texts) == sorted(wards["name"])
    by_name = wards.set_index("name").geometry
    for t in texts:  # each name sits inside its own ward, small, with a white halo
        assert by_name[one_line(t)].contains(shapely.Point(t.get_position()))
        assert t.get_fontsize() == 6.0
        (halo,) = t.get_path_effects()
        assert isinstance(halo, patheffects.withStroke)
    assert "Hyson Green &\nArboretum" in [t.get_text() for t in texts]  # long names wrap
    # the area's outline: one black line around the whole city
    (outline,) = outlines_of(ax)
    assert to_hex(outline.get_edgecolor()[0]) == "#000000"
    vertices = np.vstack([p.vertices for p in outline.get_paths()])
    assert np.allclose([*vertices.min(axis=0), *vertices.max(axis=0)], wards.total_bounds)
    assert not choropleth(wards, "rate_per_1000", labels=None).texts
    assert not outlines_of(choropleth(wards, "rate_per_1000", area_outline=False))


def test_lsoa_maps_name_wards_only_when_asked(nottingham):
    geo, wards, lsoas = nottingham
    outlines = geo.wards()
    ax = choropleth(lsoas, "rate_per_1000", wards=outlines)
    assert len(ax.texts) == 0 and len(outlines_of(ax)) == 1
    ax = choropleth(lsoas, "rate_per_1000", wards=outlines, ward_labels=True)
    assert sorted(one_line(t) for t in ax.texts) == sorted(outlines["ward_name"])
    some = lsoas.iloc[:6]
    ax = choropleth(some, "rate_per_1000", labels="name", k=2)  # any column, on request
    assert sorted(one_line(t) for t in ax.texts) == sorted(some["name"])
    table = GetisOrdHotspots(lsoas, "count", permutations=0).fit().table
    ax = hotspot_map(table, wards=outlines, ward_labels=True)
    assert len(ax.texts) == 20 and len(outlines_of(ax)) == 1
    with pytest.raises(DataError, match="ward_labels needs the ward polygons"):
        choropleth(lsoas, "rate_per_1000", ward_labels=True)
    with pytest.raises(DataError, match="no column 'label'"):
        choropleth(lsoas, "rate_per_1000", labels="label")


def test_leeds_ward_labels_do_not_overlap():
    geo = Geography(REF, csp_code="E22000345")  # Leeds: 33 wards, small ones in the centre
    wards, _ = rates_of(geo)
    ax = choropleth(wards, "rate_per_1000", title="Leeds")

    def overlapping(ax):
        fig = ax.figure
        fig.draw_without_rendering()
        boxes = [t.get_window_extent(fig.canvas.get_renderer()) for t in ax.texts]
        return [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]

    assert len(ax.texts) == 33 and overlapping(ax) == []
    by_name = wards.set_index("name").geometry
    assert all(by_name[one_line(t)].contains(shapely.Point(t.get_position())) for t in ax.texts)
    # placed at their representative points alone, the centre's names would collide
    plain = choropleth(wards, "rate_per_1000", title="Leeds", labels=None)
    label_areas(wards, "name", ax=plain, avoid_overlap=False)
    assert len(overlapping(plain)) > 0
