"""Maps of areas: choropleths with mapclassify class breaks, and Getis-Ord hotspot maps.

Maps show **area polygons only** (LSOAs, wards): aggregates, never the points of
incidents, which shared outputs must not hold. A frame of points is refused. Maps are
plain and north-up (British National Grid, no basemap), without axes or ticks, with the
finding as the title and the source underneath (:func:`csplib.present.charts.style.finish`).
Colours are colour-blind-safe: the house sequential map (``viridis``) for values, and
Okabe-Ito vermilion (hot) and blue (cold) on light grey (not significant) for hotspots.

Every map draws the outline of the whole area mapped (the union of its polygons) in a dark
line, so the edge of the partnership reads at a glance, and a scale bar
(``matplotlib-scalebar``) when the map's coordinates are in a known unit; class breaks read
"43.8 to 82.4". Ward maps write each ward's name on it (:func:`label_areas`: small type with
a white halo, at a point inside the ward), and maps of smaller areas can write the names of
the wards drawn over them (``ward_labels=True``).
Names never overlap: where a county's many small wards leave no room, only the names that
fit and the names that matter are written (the wards holding hot spots; the wards in the
highest and lowest classes).

A flagged area (a hot or cold spot, or an outlined area) too small to see at the map's scale
(no room for a disc :data:`MIN_VISIBLE` points wide, like a town-centre LSOA on a county
map) is also marked with a dot of its class's colour, edged in black, and the legend says
so: every flagged area stays visible, whatever its size.

Each function takes ``ax=None`` (a new figure is made) and returns the Axes; none calls
``plt.show()``.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> cells = gpd.GeoDataFrame({"rate": [1.0, 2.0, 3.0, 4.0]},
...                          geometry=[box(i, 0, i + 1, 1) for i in range(4)])
>>> ax = choropleth(cells, "rate", k=2, title="Rates rise to the east")
>>> [t.get_text() for t in ax.get_legend().get_texts()]
['1.0 to 2.5', '2.5 to 4.0']
"""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pyproj
import shapely
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from csplib.core.errors import DataError, ParamsError
from csplib.present.charts.map_labels import check_areas, label_areas, largest_part
from csplib.present.charts.style import PALETTE, SEQUENTIAL, finish, new_axes

__all__ = [
    "SCHEMES",
    "HOTSPOT_COLOURS",
    "MIN_VISIBLE",
    "choropleth",
    "hotspot_map",
    "label_areas",
]

#: Classification schemes by name: the mapclassify scheme geopandas is given, and whether
#: it takes the number of classes ``k``. Only deterministic schemes are listed.
SCHEMES: dict[str, dict] = {
    "quantiles": {"mapclassify": "quantiles", "k": True},
    "fisher_jenks": {"mapclassify": "fisherjenks", "k": True},
    "equal_interval": {"mapclassify": "equalinterval", "k": True},
    "maximum_breaks": {"mapclassify": "maximumbreaks", "k": True},
    "pretty_breaks": {"mapclassify": "prettybreaks", "k": True},
    "head_tail_breaks": {"mapclassify": "headtailbreaks", "k": False},
    "box_plot": {"mapclassify": "boxplot", "k": False},
    "std_mean": {"mapclassify": "stdmean", "k": False},
}

_VERMILION, _BLUE = PALETTE[5], PALETTE[0]
#: Fill of each hotspot class (Okabe-Ito vermilion and blue; light grey; white).
HOTSPOT_COLOURS: dict[str, str] = {
    "hot spot": _VERMILION,
    "emerging hot spot": _VERMILION,
    "cold spot": _BLUE,
    "emerging cold spot": _BLUE,
    "not significant": "#DDDDDD",
    "no neighbours": "#FFFFFF",
}
_ORDER = (
    "hot spot",
    "emerging hot spot",
    "cold spot",
    "emerging cold spot",
    "not significant",
    "no neighbours",
)
_EDGE = "#FFFFFF"
_WARD_EDGE = "#333333"
_AREA_EDGE = "#000000"
_AREA_WIDTH = 1.4
#: Width in points of the narrowest flagged area a map shows by its shape alone: a hot or
#: cold spot (or an outlined area) with no room for a disc this wide is also marked with a
#: dot. At 100 dpi, 4 points are between 5 and 6 pixels.
MIN_VISIBLE = 4.0
_DOT = 7.0  # diameter of a dot, in points
_DOT_EDGE = "#000000"
_FLAGGED = ("hot spot", "emerging hot spot", "cold spot", "emerging cold spot")


def _names_of(gdf, what: str):
    """The column holding the names of areas: ``name``, ``ward_name`` or None."""
    for column in ("name", "ward_name"):
        if column in gdf.columns:
            return column
    raise DataError(f"{what}: no 'name' or 'ward_name' column to label the areas with")


def _draw_outline(gdf, ax: Axes) -> None:
    outline = gpd.GeoSeries([shapely.union_all(gdf.geometry.dropna().to_numpy())], crs=gdf.crs)
    outline.boundary.plot(ax=ax, color=_AREA_EDGE, linewidth=_AREA_WIDTH, zorder=4)


def _draw_wards(wards, crs, ax: Axes, labels: bool = False):
    """Draw the ward boundaries; return the wards to label (None when not labelled)."""
    if wards is None:
        if labels:
            raise DataError("ward_labels needs the ward polygons: pass wards=")
        return None
    check_areas(wards, "wards")
    if crs is not None and wards.crs is not None and wards.crs != crs:
        wards = wards.to_crs(crs)
    wards.boundary.plot(ax=ax, color=_WARD_EDGE, linewidth=0.9, zorder=3)
    if labels:
        _names_of(wards, "ward_labels")
        return wards
    return None


def _finish_map(ax: Axes, labelled, avoid=None) -> Axes:
    """The labels, once the map has its final size (title, legend and source drawn)."""
    for gdf, column, keep in labelled:
        label_areas(gdf, column, ax=ax, keep=keep, avoid=avoid, avoid_radius=_DOT / 2 + 1)
    return ax


def _holding(wards, areas) -> np.ndarray:
    """For each ward, whether it holds (the representative point of) any of ``areas``."""
    held = np.zeros(len(wards), dtype=bool)
    geoms = areas.geometry.dropna().to_numpy() if len(areas) else np.empty(0, dtype=object)
    if len(geoms):
        points = shapely.point_on_surface([largest_part(g) for g in geoms])
        ward_index, _ = shapely.STRtree(points).query(
            wards.geometry.to_numpy(), predicate="contains"
        )
        held[ward_index] = True
    return held


def _too_small(geoms, ax: Axes) -> np.ndarray:
    """Which areas have no room for a disc :data:`MIN_VISIBLE` points wide on the drawn map."""
    figure = ax.figure
    figure.draw_without_rendering()
    (x0, _), (x1, _) = ax.transData.transform([(0.0, 0.0), (1.0, 0.0)])
    units_per_point = 72.0 / figure.dpi / abs(x1 - x0)
    return shapely.is_empty(shapely.buffer(geoms, -MIN_VISIBLE / 2 * units_per_point))


def _dot_legend(ax: Axes, colours, legend) -> None:
    """The legend with a last line for the dots (in their class's colour, if only one)."""
    face = colours[0] if len(set(colours)) == 1 else "#FFFFFF"
    dot = Line2D(
        [],
        [],
        linestyle="none",
        marker="o",
        markersize=_DOT,
        markerfacecolor=face,
        markeredgecolor=_DOT_EDGE,
        markeredgewidth=0.8,
        label="Small areas marked\nwith a dot",
    )
    ax.legend(handles=[*legend["handles"], dot], **legend["style"])


def _mark_small(ax: Axes, gdf, flagged, faces, edges, legend) -> np.ndarray:
    """Dots on the flagged areas too small to see; the legend says so. Returns their centres.

    The legend's extra line can narrow the map, so the areas are measured again after it is
    drawn (a narrower map only adds small areas)."""
    drawn = ~(gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    index = np.flatnonzero(flagged & drawn)
    if not len(index):
        return np.empty((0, 2))
    geoms = gdf.geometry.to_numpy()[index]
    small = index[_too_small(geoms, ax)]
    if not len(small):
        return np.empty((0, 2))
    _dot_legend(ax, [faces[i] for i in small], legend)
    small = index[_too_small(geoms, ax)]
    _dot_legend(ax, [faces[i] for i in small], legend)  # the dot's colour, once known
    points = shapely.point_on_surface([largest_part(g) for g in gdf.geometry.to_numpy()[small]])
    xy = shapely.get_coordinates(points)
    limits = ax.get_xlim(), ax.get_ylim()
    ax.scatter(
        xy[:, 0],
        xy[:, 1],
        s=_DOT**2,
        c=[faces[i] for i in small],
        edgecolors=_DOT_EDGE,
        linewidths=[edges[i] for i in small],
        zorder=7,
    )
    ax.set_xlim(limits[0])
    ax.set_ylim(limits[1])
    return xy


def _area_labels(gdf, labels):
    """The column to label ``gdf``'s areas with: ``"auto"`` labels a ward table by name."""
    if labels == "auto":
        is_wards = gdf.attrs.get("level") == "ward" or gdf.index.name == "ward"
        return _names_of(gdf, "choropleth") if is_wards else None
    if labels is not None and labels not in gdf.columns:
        raise DataError(f"choropleth: no column {labels!r} to label the areas with")
    return labels


def _map_axes(gdf) -> Axes:
    """A new map 7 inches wide (legend included), as tall as the area's shape asks (4-9)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    shape = (maxy - miny) / (maxx - minx) if maxx > minx else 1.0
    height = float(np.clip(5.2 * shape + 1.0, 4.0, 9.0)) if np.isfinite(shape) else 7.0
    return new_axes(7.0, height)


def _plain(ax: Axes, title, source, crs=None) -> Axes:
    finish(ax, title=title, source=source)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, crs)
    return ax


def metres_per_unit(crs, latitude: float = 0.0) -> float | None:
    """Metres per map unit along the x axis of ``crs`` (None when unknown or no CRS).

    A projected CRS gives its axis unit (1 for British National Grid); a geographic one the
    length of a degree of longitude at ``latitude`` (on a sphere of the WGS 84 equatorial
    radius: within 0.5% at British latitudes, enough for a scale bar).

    Examples
    --------
    >>> metres_per_unit(27700), round(metres_per_unit(4326, latitude=53.0))
    (1.0, 66994)
    >>> metres_per_unit(None) is None
    True
    """
    if crs is None:
        return None
    crs = pyproj.CRS(crs)
    if crs.is_projected:
        return float(crs.axis_info[0].unit_conversion_factor)
    if crs.is_geographic:
        return float(np.pi / 180 * 6_378_137.0 * np.cos(np.radians(latitude)))
    return None


def _scale_bar(ax: Axes, crs) -> None:
    """A scale bar in the lower right (km, or m for a small area) when the unit is known."""
    lat = float(np.mean(ax.get_ylim()))
    dx = metres_per_unit(crs, latitude=lat)
    if dx is None:
        return
    ax.add_artist(
        ScaleBar(
            dx,
            units="m",
            location="lower right",
            length_fraction=0.2,
            box_alpha=0.75,
            border_pad=0.4,
            font_properties={"size": 8},
        )
    )


def _break_labels(ax: Axes) -> None:
    """Class labels "a to b" instead of geopandas' "a,  b" (thousands separators kept)."""
    legend = ax.get_legend()
    if legend is None:
        return
    for text in legend.get_texts():
        parts = re.split(r",\s+", text.get_text().strip())
        if len(parts) == 2:
            text.set_text(f"{parts[0]} to {parts[1]}")


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    cmap: str = SEQUENTIAL,
    fmt: str | None = None,
    wards: gpd.GeoDataFrame | None = None,
    labels: str | None = "auto",
    ward_labels: bool = False,
    area_outline: bool = True,
    legend_title: str | None = None,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Shade areas by a value in classes from mapclassify.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Area polygons with the value, e.g. from :func:`csplib.methods.places.area_rates`.
    column : str
        Numeric column to map. Missing values are hatched and listed as "no data".
    scheme : str, default "quantiles"
        One of :data:`SCHEMES` (``"quantiles"``, ``"fisher_jenks"``, ...).
    k : int, default 5
        Number of classes (schemes that take one; fewer when the values have fewer
        distinct levels).
    cmap : str
        Sequential colour map (default the house ``viridis``, colour-blind-safe).
    fmt : str, optional
        Format of the class bounds in the legend; default ``"{:,.0f}"`` for whole
        numbers (counts), else ``"{:,.1f}"``.
    wards : geopandas.GeoDataFrame, optional
        Ward polygons whose boundaries are drawn on top, e.g.
        :meth:`csplib.ingest.geography.Geography.wards` (each ward the union of its
        LSOAs, so the lines follow the LSOA edges exactly).
    labels : str or None, default "auto"
        A column of ``gdf`` whose values are written on each area (:func:`label_areas`).
        ``"auto"``: a ward table (``attrs["level"] == "ward"``, as from
        :func:`csplib.methods.places.area_rates`, or an index named ``ward``) is labelled
        with its ``name`` (or ``ward_name``) column; other areas are not labelled.
        None: no labels.
    ward_labels : bool, default False
        Write the names of ``wards`` (their ``name`` or ``ward_name`` column) on top.
        Where many names do not fit (:func:`label_areas`), the names written are those
        that fit and those that matter: the areas of the highest and lowest classes, or
        the wards holding them.
    area_outline : bool, default True
        Draw the outline of the whole area (the union of ``gdf``'s polygons).
    legend_title, title, source : str, optional
        Legend heading (default: the column), the finding, the source note.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    DataError
        Not polygons (points are refused), missing or non-numeric column.
    ParamsError
        Unknown scheme or a bad ``k``.
    """
    check_areas(gdf, "choropleth")
    if column not in gdf.columns:
        raise DataError(f"choropleth: no column {column!r} to map")
    if not pd.api.types.is_numeric_dtype(gdf[column].dtype):
        raise DataError(f"choropleth: column {column!r} must be numeric, got {gdf[column].dtype}")
    if scheme not in SCHEMES:
        raise ParamsError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 2:
        raise ParamsError(f"k must be a whole number of classes of at least 2, got {k!r}")
    if gdf[column].notna().sum() == 0:
        raise DataError(f"choropleth: column {column!r} has no values to map")
    label_column = _area_labels(gdf, labels)
    if fmt is None:
        fmt = "{:,.0f}" if pd.api.types.is_integer_dtype(gdf[column].dtype) else "{:,.1f}"
    ax = ax if ax is not None else _map_axes(gdf)
    entry = SCHEMES[scheme]
    with warnings.catch_warnings():
        # mapclassify's Fisher-Jenks notes that numba would be faster; the result is the same
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        _plot_classes(gdf, column, entry, k, cmap, fmt, legend_title, ax)
        _break_labels(ax)
        extreme = _extreme_classes(gdf[column], entry, k)
    ward_table = _draw_wards(wards, gdf.crs, ax, labels=ward_labels)
    if area_outline:
        _draw_outline(gdf, ax)
    _plain(ax, title, source, gdf.crs)
    # the names that matter: the areas (or the wards holding the areas) of the highest and
    # lowest classes
    labelled = [] if label_column is None else [(gdf, label_column, extreme)]
    if ward_table is not None:
        names = _names_of(ward_table, "ward_labels")
        labelled.append((ward_table, names, _holding(ward_table, gdf.loc[extreme])))
    return _finish_map(ax, labelled)


def _extreme_classes(values: pd.Series, entry: dict, k: int) -> np.ndarray:
    """Whether each value falls in the highest or the lowest class (missing: False)."""
    known = values.notna().to_numpy()
    classes = mapclassify.classify(values.to_numpy(dtype=float)[known], entry["mapclassify"], k=k)
    yb = np.asarray(classes.yb)
    extreme = np.zeros(len(values), dtype=bool)
    extreme[known] = (yb == yb.min()) | (yb == yb.max())
    return extreme


def _plot_classes(gdf, column, entry, k, cmap, fmt, legend_title, ax) -> None:
    gdf.plot(
        column=column,
        scheme=entry["mapclassify"],
        k=k,
        cmap=cmap,
        edgecolor=_EDGE,
        linewidth=0.3,
        legend=True,
        legend_kwds={
            "title": legend_title or column.replace("_", " "),
            "fmt": fmt,
            "loc": "upper left",
            "bbox_to_anchor": (1.0, 1.0),
            "frameon": False,
            "fontsize": 8,
            "title_fontsize": 9,
        },
        missing_kwds={
            "color": "#F2F2F2",
            "hatch": "///",
            "edgecolor": "#BBBBBB",
            "label": "no data",
        },
        ax=ax,
    )


def hotspot_map(
    gdf: gpd.GeoDataFrame,
    *,
    column: str = "classification",
    outline: str | None = None,
    outline_label: str | None = None,
    wards: gpd.GeoDataFrame | None = None,
    ward_labels: bool = False,
    area_outline: bool = True,
    legend_title: str | None = "Getis-Ord Gi*",
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Hot spots in vermilion, cold spots in blue, the rest light grey.

    A hot or cold spot (or an outlined area) with no room for a disc :data:`MIN_VISIBLE`
    points wide at the drawn scale is also marked with a dot of its class's colour, edged
    in black (thicker for an outlined area), at a point inside it, and the legend gains
    "Small areas marked with a dot". Ward names (``ward_labels``) never cover a dot when
    they can be placed elsewhere; where many do not fit, the wards holding the flagged
    areas are named first.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A hotspot table (``HotspotResults.table`` of :mod:`csplib.methods.places`), area polygons
        with a class per area.
    column : str, default "classification"
        The class: ``"hot spot"``, ``"cold spot"``, ``"not significant"``,
        ``"no neighbours"`` (or the ``"emerging ..."`` classes).
    outline : str, optional
        A boolean column; its True areas get a thick black outline, e.g.
        ``"new_hotspot"`` of :func:`csplib.methods.places.emerging_hotspots`.
    outline_label : str, optional
        Legend label of the outlined areas (default: the column, in words).
    wards : geopandas.GeoDataFrame, optional
        Ward polygons whose boundaries are drawn on top (see :func:`choropleth`).
    ward_labels : bool, default False
        Write the names of ``wards`` on top.
    area_outline : bool, default True
        Draw the outline of the whole area (the union of ``gdf``'s polygons).
    legend_title, title, source : str, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The legend lists hot, cold and not significant (and no neighbours when any) with
        the number of areas in each, then the outlined areas and the dots, when any.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"classification": ["hot spot", "not significant"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> ax = hotspot_map(t, title="One hot spot")
    >>> [x.get_text() for x in ax.get_legend().get_texts()]
    ['Hot spot (1)', 'Cold spot (0)', 'Not significant (1)']

    A hot spot a thousandth of the map's width gets a dot:

    >>> t = gpd.GeoDataFrame({"classification": ["not significant", "hot spot"]},
    ...                      geometry=[box(0, 0, 1000, 1000), box(1000, 500, 1001, 501)])
    >>> ax = hotspot_map(t)
    >>> ax.get_legend().get_texts()[-1].get_text(), ax.collections[-1].get_offsets().tolist()
    ('Small areas marked\\nwith a dot', [[1000.5, 500.5]])
    """
    check_areas(gdf, "hotspot_map")
    if column not in gdf.columns:
        raise DataError(f"hotspot_map: no column {column!r} with the hotspot classes")
    classes = gdf[column].astype("str")
    unknown = sorted(set(classes) - set(HOTSPOT_COLOURS))
    if unknown:
        raise DataError(
            f"hotspot_map: unknown class {unknown[0]!r} in {column!r}; expected one of "
            f"{', '.join(_ORDER)}"
        )
    emerging = classes.str.startswith("emerging").any()
    prefix = "emerging " if emerging else ""
    shown = [prefix + "hot spot", prefix + "cold spot", "not significant"]
    if (classes == "no neighbours").any():
        shown.append("no neighbours")
    shown += [c for c in _ORDER if c not in shown and (classes == c).any()]
    ax = ax if ax is not None else _map_axes(gdf)
    handles = []
    for cls in shown:
        colour = HOTSPOT_COLOURS[cls]
        part = gdf.loc[(classes == cls).to_numpy()]
        edge = "#999999" if cls == "no neighbours" else _EDGE
        if len(part):
            part.plot(ax=ax, color=colour, edgecolor=edge, linewidth=0.3)
        label = f"{cls[0].upper()}{cls[1:]} ({len(part)})"
        handles.append(Patch(facecolor=colour, edgecolor="#999999", linewidth=0.5, label=label))
    outlined = np.zeros(len(gdf), dtype=bool)
    if outline is not None:
        if outline not in gdf.columns or not pd.api.types.is_bool_dtype(gdf[outline].dtype):
            raise DataError(f"hotspot_map: outline must name a boolean column, got {outline!r}")
        outlined = gdf[outline].to_numpy(dtype=bool)
        if outlined.any():
            gdf.loc[outlined].boundary.plot(ax=ax, color="#000000", linewidth=2.0, zorder=4)
        label = outline_label or outline.replace("_", " ").capitalize()
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#000000",
                linewidth=2.0,
                label=f"{label} ({int(outlined.sum())})",
            )
        )
    ward_table = _draw_wards(wards, gdf.crs, ax, labels=ward_labels)
    if area_outline:
        _draw_outline(gdf, ax)
    style = {"title": legend_title, "loc": "upper left", "bbox_to_anchor": (1.0, 1.0)}
    style |= {"frameon": False, "fontsize": 8, "title_fontsize": 9}
    ax.legend(handles=handles, **style)
    _plain(ax, title, source, gdf.crs)
    flagged = classes.isin(_FLAGGED).to_numpy() | outlined
    faces = [HOTSPOT_COLOURS[c] for c in classes]
    edges = np.where(outlined, 1.6, 0.8)
    legend = {"handles": handles, "style": style}
    dots = _mark_small(ax, gdf, flagged, faces, edges, legend)
    if ward_table is None:
        return ax
    keep = _holding(ward_table, gdf.loc[flagged])  # the wards holding the flagged areas
    return _finish_map(ax, [(ward_table, _names_of(ward_table, "ward_labels"), keep)], dots)
