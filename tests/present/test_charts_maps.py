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
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402
from shapely.geometry import box  # noqa: E402

from csplib.core.errors import DataError, ParamsError  # noqa: E402
from csplib.ingest.geography import Geography, find_partnership  # noqa: E402
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
    # each label reads "lower to upper", the bounds of its class, formatted
    lower = [cells["rate"].min(), *bins[:-1]]
    assert labels == [f"{a:,.1f} to {b:,.1f}" for a, b in zip(lower, bins, strict=True)]
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
    assert legend_labels(ax)[-1].split(" to ")[-1] == "12,500"
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


# --- large areas: small flagged areas stay visible, names never collide -------------------


@pytest.fixture(scope="module")
def cornwall():
    """Cornwall: 336 LSOAs and 87 wards, small town-centre LSOAs in a large rural county."""
    area = find_partnership(REF, "Cornwall")
    geo = Geography(REF, la_codes=list(area.la_codes))
    lsoas = geo.lsoas().set_index("lsoa")
    return lsoas, geo.wards(), geo


def rendered(ax):
    """The figure as pixels (rows from the top), once drawn."""
    ax.figure.canvas.draw()
    return np.asarray(ax.figure.canvas.buffer_rgba())[..., :3].astype(int)


def pixels_of(image, colour, ax, point, radius=6):
    """How many pixels of ``colour`` lie within ``radius`` pixels of a map point."""
    x, y = ax.transData.transform(point)
    row = image.shape[0] - y
    window = image[int(row - radius) : int(row + radius) + 1, int(x - radius) : int(x + radius) + 1]
    target = np.array(to_rgb(colour)) * 255
    return int((np.abs(window - target).max(axis=-1) <= 40).sum())


def width_in_pixels(ax, geometry):
    (x0, _), (x1, _) = ax.transData.transform([(0, 0), (1, 0)])
    return np.sqrt(geometry.area) * abs(x1 - x0)


def label_boxes(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in ax.texts]


def unreadable(ax):
    """Pairs of labels that overlap, and labels that reach outside the map's frame."""
    boxes = label_boxes(ax)
    frame = ax.get_window_extent()
    pairs = [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    outside = [
        one_line(t)
        for t, b in zip(ax.texts, boxes, strict=True)
        if b.x0 < frame.x0 or b.y0 < frame.y0 or b.x1 > frame.x1 or b.y1 > frame.y1
    ]
    return pairs, outside


def dots_of(ax):
    (dots,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    return dots


def table_order(table, codes):
    return [c for c in table.index if c in set(codes)]


def hotspot_table(lsoas, hot=(), cold=(), emerging=False, new=()):
    prefix = "emerging " if emerging else ""
    table = lsoas.assign(classification="not significant", new_hotspot=False)
    table.loc[list(hot), "classification"] = prefix + "hot spot"
    table.loc[list(cold), "classification"] = prefix + "cold spot"
    table.loc[list(new), "new_hotspot"] = True
    return table


def test_small_hot_spots_on_a_county_map_are_marked_with_a_dot(cornwall):
    lsoas, wards, _ = cornwall
    area = lsoas.area
    hot = table_order(lsoas, area.nsmallest(2).index)  # town centres: about 250 m across
    cold = area.nlargest(1).index  # a large moor: visible as it is
    table = hotspot_table(lsoas, hot=hot, cold=cold)
    ax = hotspot_map(
        table, wards=wards, ward_labels=True, title="2 LSOAs form significant crime hot spots"
    )
    assert legend_labels(ax)[:2] == ["Hot spot (2)", "Cold spot (1)"]
    assert legend_labels(ax)[-1] == "Small areas marked\nwith a dot"
    dot_handle = ax.get_legend().legend_handles[-1]
    assert to_hex(dot_handle.get_markerfacecolor()) == "#d55e00"
    dots = dots_of(ax)
    points = [shapely.Point(xy) for xy in dots.get_offsets()]
    assert len(points) == 2  # the hot spots only: the cold moor needs no dot
    image = rendered(ax)
    vermilion = HOTSPOT_COLOURS["hot spot"]
    for code, point in zip(hot, points, strict=True):
        polygon = table.geometry[code]
        assert polygon.contains(point)
        assert width_in_pixels(ax, polygon) < 4  # the polygon alone is a speck
        assert pixels_of(image, vermilion, ax, (point.x, point.y)) >= 30
    # a dark edge round each dot, and the dot above the names
    assert {to_hex(c) for c in dots.get_edgecolor()} == {"#000000"}
    assert dots.get_zorder() > max(t.get_zorder() for t in ax.texts)
    # without the dots the hot spots all but vanish: the reviewer's map
    dots.remove()
    image = rendered(ax)
    assert all(pixels_of(image, vermilion, ax, (p.x, p.y)) < 10 for p in points)


def test_new_hotspots_on_a_county_map_stay_visible(cornwall):
    lsoas, wards, _ = cornwall
    small = table_order(lsoas, lsoas.area.nsmallest(40).index[::6][:7])
    emerging, quiet = small[:5], small[5:]
    table = hotspot_table(lsoas, hot=emerging, emerging=True, new=small)
    ax = hotspot_map(
        table,
        outline="new_hotspot",
        outline_label="New hotspot",
        wards=wards,
        ward_labels=True,
        title="7 new ASB hotspots",
    )
    assert legend_labels(ax) == [
        "Emerging hot spot (5)",
        "Emerging cold spot (0)",
        "Not significant (331)",
        "New hotspot (7)",
        "Small areas marked\nwith a dot",
    ]
    # two colours of dot: the legend's dot is white
    assert to_hex(ax.get_legend().legend_handles[-1].get_markerfacecolor()) == "#ffffff"
    dots = dots_of(ax)
    assert len(dots.get_offsets()) == 7
    faces = {c: to_hex(face) for c, face in zip(small, dots.get_facecolor(), strict=True)}
    assert {faces[c] for c in emerging} == {"#d55e00"} and {faces[c] for c in quiet} == {"#dddddd"}
    assert set(dots.get_linewidths()) == {1.6}  # the thick edge of the new hotspots
    image = rendered(ax)
    for xy, face in zip(dots.get_offsets(), dots.get_facecolor(), strict=True):
        if to_hex(face) == "#d55e00":
            assert pixels_of(image, "#d55e00", ax, xy) >= 30


def test_county_ward_names_do_not_collide_or_cover_the_dots(cornwall):
    lsoas, wards, _ = cornwall
    hot = lsoas.area.nsmallest(2).index
    ax = hotspot_map(hotspot_table(lsoas, hot=hot), wards=wards, ward_labels=True)
    pairs, outside = unreadable(ax)
    assert pairs == [] and outside == []
    names = {one_line(t) for t in ax.texts}
    assert 5 < len(names) < 87  # the names that fit, not all 87 on top of each other
    assert set(lsoas.loc[hot, "ward_name"]) <= names  # the wards holding the hot spots
    radius = 4.0 * ax.figure.dpi / 72  # the dots' size and a point of space
    centres = ax.transData.transform(dots_of(ax).get_offsets())
    for extent in label_boxes(ax):
        grown = extent.padded(radius)
        assert not any(grown.contains(*c) for c in centres)


def test_county_ward_map_names_only_wards_that_fit_or_matter(cornwall):
    lsoas, wards, geo = cornwall
    ward_rates, _ = rates_of(geo)
    ax = choropleth(ward_rates, "rate_per_1000", title="Ward rates")
    pairs, outside = unreadable(ax)
    assert pairs == [] and outside == []
    classes = mapclassify.Quantiles(ward_rates["rate_per_1000"], k=5).yb
    extreme = set(ward_rates["name"][(classes == 0) | (classes == 4)])
    by_name = ward_rates.set_index("name").geometry
    to_data = ax.transData.inverted()
    spilled = []
    for text, extent in zip(ax.texts, label_boxes(ax), strict=True):
        (x0, y0), (x1, y1) = to_data.transform([(extent.x0, extent.y0), (extent.x1, extent.y1)])
        cell = shapely.box(x0, y0, x1, y1)
        ward = by_name[one_line(text)]
        assert ward.contains(shapely.Point(text.get_position()))
        if ward.intersection(cell).area / cell.area < 0.7:
            spilled.append(one_line(text))
    assert set(spilled) <= extreme  # only the highest and lowest classes spill over
    assert 20 < len(ax.texts) < 87
    # at their representative points alone, the 87 names pile up on each other
    plain = choropleth(ward_rates, "rate_per_1000", labels=None)
    label_areas(ward_rates, "name", ax=plain, avoid_overlap=False)
    assert len(unreadable(plain)[0]) > 20


def test_city_maps_still_name_every_ward(nottingham):
    geo, wards, lsoas = nottingham
    ax = choropleth(wards, "rate_per_1000")
    assert len(ax.texts) == 20 and unreadable(ax) == ([], [])
    table = GetisOrdHotspots(lsoas, "count", permutations=0).fit().table
    ax = hotspot_map(table, wards=geo.wards(), ward_labels=True)
    assert len(ax.texts) == 20 and unreadable(ax) == ([], [])
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]  # no dots needed
    assert "Small areas" not in " ".join(legend_labels(ax))


def test_label_areas_keeps_the_names_that_matter():
    strips = gpd.GeoDataFrame(
        {"name": ["West ward", "Thin one", "Thin two", "East ward"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 100.2, 100), box(100.2, 0, 100.4, 100)]
        + [box(100.4, 0, 200, 100)],
    )
    ax = strips.plot()
    names = [one_line(t) for t in label_areas(strips, "name", ax=ax, crowded=1)]
    assert names == ["West ward", "East ward"]  # two wards cannot hold their names: crowded
    ax = strips.plot()
    texts = label_areas(strips, "name", ax=ax, keep=[0, 0, 1, 0], crowded=1)
    assert [one_line(t) for t in texts] == ["West ward", "Thin two", "East ward"]
    assert unreadable(ax) == ([], [])
    assert strips.geometry[2].contains(shapely.Point(texts[1].get_position()))
    ax = strips.plot()
    assert len(label_areas(strips, "name", ax=ax)) == 4  # few do not fit: all written
    assert unreadable(ax) == ([], [])
    with pytest.raises(DataError, match=r"keep must hold one flag per area \(4\), got 1$"):
        label_areas(strips, "name", ax=strips.plot(), keep=[True])


def test_maps_carry_a_scale_bar_in_metres_when_the_crs_says_so(cells):
    from matplotlib_scalebar.scalebar import ScaleBar

    def bars(ax):
        return [a for a in ax.artists if isinstance(a, ScaleBar)]

    projected = cells.set_crs(27700, allow_override=True)
    (bar,) = bars(choropleth(projected, "rate"))
    assert bar.dx == 1.0 and bar.units == "m"
    # longitude degrees: shorter the further north (a degree at 53 N is about 67 km)
    degrees = projected.to_crs(4326)
    (bar,) = bars(choropleth(degrees, "rate"))
    lat = degrees.total_bounds[[1, 3]].mean()
    assert bar.dx == pytest.approx(111_319.5 * np.cos(np.radians(lat)), rel=1e-3)
    (bar,) = bars(hotspot_map(projected.assign(classification="not significant")))
    assert bar.dx == 1.0
    assert bars(choropleth(cells.set_crs(None, allow_override=True), "rate")) == []
