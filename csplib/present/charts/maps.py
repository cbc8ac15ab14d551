"""Maps of areas: choropleths with mapclassify class breaks, and Getis-Ord hotspot maps.

Maps show **area polygons only** (LSOAs, wards): aggregates, never the points of
incidents, which shared outputs must not hold. A frame of points is refused. Maps are
plain and north-up (British National Grid, no basemap), without axes or ticks, with the
finding as the title and the source underneath (:func:`csplib.present.charts.style.finish`).
Colours are colour-blind-safe: the house sequential map (``viridis``) for values, and
Okabe-Ito vermilion (hot) and blue (cold) on light grey (not significant) for hotspots.

Each function takes ``ax=None`` (a new figure is made) and returns the Axes; neither calls
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

import warnings

import geopandas as gpd
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from csplib.core.errors import DataError, ParamsError
from csplib.present.charts.style import PALETTE, SEQUENTIAL, finish, new_axes

__all__ = ["SCHEMES", "HOTSPOT_COLOURS", "choropleth", "hotspot_map"]

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


def _check_areas(gdf, what: str) -> None:
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise DataError(f"{what} must be a GeoDataFrame of area polygons, got {type(gdf).__name__}")
    kinds = set(gdf.geom_type.dropna())
    if not kinds <= {"Polygon", "MultiPolygon"}:
        raise DataError(
            f"{what} must hold area polygons only (maps show aggregates, never incident "
            f"locations); found {', '.join(sorted(kinds))} geometries"
        )


def _draw_wards(wards, crs, ax: Axes) -> None:
    if wards is None:
        return
    _check_areas(wards, "wards")
    if crs is not None and wards.crs is not None and wards.crs != crs:
        wards = wards.to_crs(crs)
    wards.boundary.plot(ax=ax, color=_WARD_EDGE, linewidth=0.9, zorder=3)


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
        Ward polygons whose boundaries are drawn on top. For lines that follow the LSOA
        edges exactly, pass the LSOAs dissolved by ward (``geo.lsoas().dissolve("ward")``):
        separately generalised ward boundaries need not nest.
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
    if fmt is None:
        fmt = "{:,.0f}" if pd.api.types.is_integer_dtype(gdf[column].dtype) else "{:,.1f}"
    ax = ax if ax is not None else new_axes(7.0, 7.0)
    entry = SCHEMES[scheme]
    with warnings.catch_warnings():
        # mapclassify's Fisher-Jenks notes that numba would be faster; the result is the same
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        _plot_classes(gdf, column, entry, k, cmap, fmt, legend_title, ax)
    _draw_wards(wards, gdf.crs, ax)
    return _plain(ax, title, source)


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
    ax = ax if ax is not None else new_axes(7.0, 7.0)
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
    _draw_wards(wards, gdf.crs, ax)
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=9,
    )
    return _plain(ax, title, source)
