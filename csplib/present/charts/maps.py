"""Maps of areas: choropleths with mapclassify class breaks, and Getis-Ord hotspot maps.

Maps show **area polygons only** (LSOAs, wards): aggregates, never the points of
incidents, which shared outputs must not hold. A frame of points is refused. Maps are
plain and north-up (British National Grid, no basemap), without axes or ticks, with the
finding as the title and the source underneath (:func:`csplib.present.charts.style.finish`).
Colours are colour-blind-safe: the house sequential map (``viridis``) for values, and
Okabe-Ito vermilion (hot) and blue (cold) on light grey (not significant) for hotspots.

Every map draws the outline of the whole area mapped (the union of its polygons) in a dark
line, so the edge of the partnership reads at a glance. Ward maps write each ward's name on
it (:func:`label_areas`: small type with a white halo, at a point inside the ward), and maps
of smaller areas can write the names of the wards drawn over them (``ward_labels=True``).

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
['1.0, 2.5', '2.5, 4.0']
"""

from __future__ import annotations

import textwrap
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox

from csplib.core.errors import DataError, ParamsError
from csplib.present.charts.style import PALETTE, SEQUENTIAL, finish, new_axes

__all__ = ["SCHEMES", "HOTSPOT_COLOURS", "choropleth", "hotspot_map", "label_areas"]

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


def _check_areas(gdf, what: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise DataError(f"{what} must be a GeoDataFrame of area polygons, got {type(gdf).__name__}")
    kinds = set(gdf.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise DataError(
            f"{what} must hold area polygons only (maps show aggregates, never incident "
            f"locations); found {', '.join(sorted(kinds))} geometries"
        )


def _largest_part(geometry):
    if geometry.geom_type == "MultiPolygon":
        return max(geometry.geoms, key=lambda part: part.area)
    return geometry


def _label_spots(part, n: int = 9) -> list[tuple[float, float]]:
    """Where a label may go: the representative point, then grid points inside the
    polygon, deepest inside first."""
    point = part.representative_point()
    minx, miny, maxx, maxy = part.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, n + 2)[1:-1], np.linspace(miny, maxy, n + 2)[1:-1])
    grid = shapely.points(xs.ravel(), ys.ravel())
    inside = grid[shapely.contains(part, grid)]
    depth = shapely.distance(inside, part.boundary)
    spots = [(point.x, point.y)]
    spots += [(float(q.x), float(q.y)) for q in inside[np.argsort(-depth, kind="stable")]]
    return spots


def _overlap(box: Bbox, others: list) -> float:
    total = 0.0
    for other in others:
        both = Bbox.intersection(box, other)
        if both is not None:
            total += both.width * both.height
    return total


def label_areas(
    gdf: gpd.GeoDataFrame,
    column: str | None = None,
    *,
    ax: Axes,
    fontsize: float = 6.0,
    width: int = 14,
    avoid_overlap: bool = True,
) -> list:
    """Write each area's name on a map, small, with a white halo, at a point inside it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Area polygons (in the CRS of the map).
    column : str, optional
        The names; default the index.
    ax : matplotlib.axes.Axes
        The map (drawn already: its extent decides the size of the labels in map units).
    fontsize : float, default 6
    width : int, default 14
        Names longer than this are wrapped onto lines of at most this many characters.
    avoid_overlap : bool, default True
        Labels are placed smallest area first, each at its area's representative point
        (of its largest part, for an area in several parts) unless that label would
        overlap one already placed; then at the point inside the area, deepest first,
        where it overlaps least. Every label stays anchored inside its own area.

    Returns
    -------
    list of matplotlib.text.Text
        One label per area with a name, in the order of ``gdf``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> import matplotlib.pyplot as plt
    >>> wards = gpd.GeoDataFrame({"name": ["Hyson Green & Arboretum", "Bulwell"]},
    ...                          geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)])
    >>> ax = wards.plot()
    >>> texts = label_areas(wards, "name", ax=ax)
    >>> [t.get_text() for t in texts], texts[1].get_position()
    (['Hyson Green &\\nArboretum', 'Bulwell'], (2.5, 0.5))
    """
    _check_areas(gdf, "label_areas")
    if column is not None and column not in gdf.columns:
        raise DataError(f"label_areas: no column {column!r} with the names")
    names = gdf.index.to_series() if column is None else gdf[column]
    areas = []
    for i, (name, geometry) in enumerate(zip(names, gdf.geometry, strict=True)):
        if geometry is None or geometry.is_empty or pd.isna(name) or not str(name).strip():
            continue
        areas.append((i, str(name), _largest_part(geometry)))
    renderer = None
    if avoid_overlap and len(areas) > 1:
        ax.figure.draw_without_rendering()  # the layout decides how large a label is on the map
        renderer = ax.figure.canvas.get_renderer()
    halo = [patheffects.withStroke(linewidth=2.0, foreground="white")]
    placed: list[Bbox] = []
    texts = {}
    for i, name, part in sorted(areas, key=lambda item: item[2].area):
        spots = _label_spots(part) if renderer is not None else [_label_spots(part, 0)[0]]
        text = ax.text(
            *spots[0],
            textwrap.fill(name, width=width, break_long_words=False),
            fontsize=fontsize,
            ha="center",
            va="center",
            color="#111111",
            linespacing=0.95,
            zorder=6,
            path_effects=halo,
        )
        if renderer is not None:
            best = None
            for spot in spots:
                text.set_position(spot)
                box = text.get_window_extent(renderer).padded(1.5)
                overlap = _overlap(box, placed)
                if best is None or overlap < best[0]:
                    best = (overlap, spot, box)
                if overlap == 0:
                    break
            text.set_position(best[1])
            placed.append(best[2])
        texts[i] = text
    return [texts[i] for i in sorted(texts)]


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
    _check_areas(wards, "wards")
    if crs is not None and wards.crs is not None and wards.crs != crs:
        wards = wards.to_crs(crs)
    wards.boundary.plot(ax=ax, color=_WARD_EDGE, linewidth=0.9, zorder=3)
    if labels:
        _names_of(wards, "ward_labels")
        return wards
    return None


def _finish_map(ax: Axes, title, source, labelled) -> Axes:
    """Title, source and a plain frame; then the labels, once the map has its final size."""
    _plain(ax, title, source)
    for gdf, column in labelled:
        label_areas(gdf, column, ax=ax)
    return ax


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


def _plain(ax: Axes, title, source) -> Axes:
    finish(ax, title=title, source=source)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


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
    _check_areas(gdf, "choropleth")
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
    ward_table = _draw_wards(wards, gdf.crs, ax, labels=ward_labels)
    if area_outline:
        _draw_outline(gdf, ax)
    labelled = [] if label_column is None else [(gdf, label_column)]
    if ward_table is not None:
        labelled.append((ward_table, _names_of(ward_table, "ward_labels")))
    return _finish_map(ax, title, source, labelled)


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
        the number of areas in each.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> t = gpd.GeoDataFrame({"classification": ["hot spot", "not significant"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> ax = hotspot_map(t, title="One hot spot")
    >>> [x.get_text() for x in ax.get_legend().get_texts()]
    ['Hot spot (1)', 'Cold spot (0)', 'Not significant (1)']
    """
    _check_areas(gdf, "hotspot_map")
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
    if outline is not None:
        if outline not in gdf.columns or not pd.api.types.is_bool_dtype(gdf[outline].dtype):
            raise DataError(f"hotspot_map: outline must name a boolean column, got {outline!r}")
        marked = gdf.loc[gdf[outline].to_numpy(dtype=bool)]
        if len(marked):
            marked.boundary.plot(ax=ax, color="#000000", linewidth=2.0, zorder=4)
        label = outline_label or outline.replace("_", " ").capitalize()
        handles.append(
            Patch(
                facecolor="none",
                edgecolor="#000000",
                linewidth=2.0,
                label=f"{label} ({len(marked)})",
            )
        )
    ward_table = _draw_wards(wards, gdf.crs, ax, labels=ward_labels)
    if area_outline:
        _draw_outline(gdf, ax)
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
    )
    labelled = [] if ward_table is None else [(ward_table, _names_of(ward_table, "ward_labels"))]
    return _finish_map(ax, title, source, labelled)
