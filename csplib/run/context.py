"""What a chapter notebook works with: its parameters, its data and where its tables go.

A chapter's first code cell after the parameters is::

    ctx = csplib.load_context(params_path, output_dir, chapter="01_volume")

``params_path`` and ``output_dir`` are injected by ``csp assess``; when a notebook is opened
by hand they are ``None`` and the context falls back to ``$CSP_PARAMS`` or
``parameters/default.yaml`` and writes nothing.

Data are loaded on first use and cached (see :mod:`csplib.ingest.store`), so every chapter reads the
same tidy tables.

Every page ends with one **Data used** line, added by :meth:`Context.finish` (so no notebook
states it by hand) and built by :func:`data_used` from the run's own values: the LSOA
vintage of the counts, the ward and partnership lookups, the population estimate year used
for the assessed period and the deprivation edition.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from html import escape as html_escape
from pathlib import Path

import pandas as pd

from csplib.chapters.result import ChapterResult, Table, load_result
from csplib.params import Params, find_default_params, load_params

__all__ = ["Context", "data_used", "ensure_data", "load_context"]


@dataclass
class Context:
    """Parameters, data and outputs for one chapter run.

    Parameters
    ----------
    params : Params
        Validated parameters.
    output_dir : Path or None
        The assessment's output folder (``outputs/<year>``) when run by ``csp assess``;
        ``None`` in interactive use, when nothing is written.
    chapter : str or None
        The chapter's name, used to name its annex tables.
    """

    params: Params
    output_dir: Path | None = None
    chapter: str | None = None

    @cached_property
    def store(self):
        """The tidy store: incidents, quality report and geography
        (:mod:`csplib.ingest.store`)."""
        from csplib.ingest.store import load_store

        ensure_data(self.params)
        return load_store(self.params)

    @property
    def incidents(self) -> pd.DataFrame:
        """Incidents in the area, one row each (see :mod:`csplib.core.schema`)."""
        return self.store.incidents

    @property
    def quality(self):
        """The ingest quality report."""
        return self.store.quality

    @property
    def geography(self):
        """The area's geography: LSOAs, wards, population, deprivation, boundaries."""
        return self.store.geography

    @cached_property
    def ledger(self):
        """The page's tables as shared so far (:class:`csplib.present.disclosure.Ledger`):
        each table is protected jointly with them, and the run's audit reads them from
        ``results/<chapter>.disclosure.json``."""
        from csplib.present.disclosure import Ledger

        return Ledger(
            self.chapter or "page",
            threshold=self.params.thresholds.suppress_below,
            suppress_zeros=self.params.thresholds.suppress_zeros,
        )

    def protect(self, table: Table) -> tuple[pd.DataFrame, str | None]:
        """``table`` as it may be shared, and a note when anything was hidden
        (:func:`csplib.present.disclosure.protect`, with this assessment's thresholds),
        protected jointly with the tables already shown on the page; the page's ledger
        (``results/<chapter>.disclosure.json``) records it."""
        from csplib.present.disclosure import protect

        out = protect(
            table,
            threshold=self.params.thresholds.suppress_below,
            suppress_zeros=self.params.thresholds.suppress_zeros,
            page=self.ledger,
        )
        if self.output_dir is not None and table.name in self.ledger.tables:
            self.ledger.save(self.output_dir)
        return out

    def save_table(self, table: Table) -> Path | None:
        """Write ``table``, small counts suppressed, to the data annex
        ``tables/<chapter>__<name>.csv`` (shared, like the HTML).

        Returns the path written, or ``None`` in interactive use.
        """
        return self._write(self.protect(table)[0], table.name)

    def show(self, table: Table, *, rows: int | None = None):
        """Show ``table`` safely (its caption over it) and save it to the data annex.

        Small counts are suppressed as the table declares (its count columns, the columns
        derived from them and its totals; :func:`csplib.present.disclosure.protect`); the
        annex gets the same suppressed table, and a note under the table says what was hidden.
        The table's wrapper has the id :func:`~csplib.chapters.findings.table_anchor` gives,
        so a finding can link to it. With ``rows``, a longer table shows its first ``rows`` rows
        and links to its CSV file for the rest.
        """
        from IPython.display import HTML

        from csplib.chapters.findings import table_anchor
        from csplib.present.disclosure import safe_formats
        from csplib.present.html import paragraph
        from csplib.present.html import table as table_html

        shown, note = self.protect(table)
        self._write(shown, table.name)
        view = shown if rows is None or len(shown) <= rows else shown.head(rows)
        formats = safe_formats(table.formats) if table.formats else None
        parts = [
            table_html(
                view,
                caption=table.caption or None,
                formats=formats,
                anchor=table_anchor(table.name),
            ).data
        ]
        if len(view) < len(shown):
            parts.append(
                self.csv_link(
                    table.name, f"Every row ({len(shown):,}; {len(view)} shown): CSV file"
                ).data
            )
        if note:
            parts.append(paragraph(note).data)
        return HTML("".join(parts))

    def csv_link(self, name: str, text: str):
        """A line linking to this chapter's table ``name`` in the data annex
        (``tables/<chapter>__<name>.csv``, written by :meth:`show` or :meth:`save_table`),
        relative to the shared page; nothing in interactive use.

        Examples
        --------
        >>> ctx = Context.__new__(Context)
        >>> ctx.output_dir, ctx.chapter = "/tmp/run", "05_places"
        >>> ctx.csv_link("ward_profiles", "Full table").data
        '<p class="csp-csv"><a href="../tables/05_places__ward_profiles.csv">Full table</a></p>'
        """
        from IPython.display import HTML

        if self.output_dir is None:
            return HTML("")
        href = f"../tables/{self.chapter or 'table'}__{name}.csv"
        label = html_escape(text, quote=False)
        return HTML(f'<p class="csp-csv"><a href="{html_escape(href)}">{label}</a></p>')

    def data_used(self) -> str:
        """The page's **Data used** line (:func:`data_used`), from the store's geography
        when the chapter loaded the store (built from the parameters otherwise: the same
        :meth:`~csplib.ingest.geography.Geography.from_params`)."""
        from csplib.ingest.geography import Geography

        geography = getattr(self.__dict__.get("store"), "geography", None)
        return data_used(self.params, geography if isinstance(geography, Geography) else None)

    def finish(self, result: ChapterResult):
        """End the chapter: add the **Data used** line to the result (``notes["data_used"]``,
        :meth:`data_used`), save the result (``results/<chapter>.json``) for the summary,
        the contents page and next year's run (nothing is saved in interactive use), and
        return the line as a small paragraph, so the page's last cell shows it (and no
        server path)."""
        from csplib.present.pages import data_used_html

        text = self.data_used()
        result.notes["data_used"] = [text]
        if self.output_dir is not None:
            result.save(self.output_dir)
        return data_used_html(text)

    def saved_result(self, chapter: str) -> ChapterResult | None:
        """Another chapter's saved result in this run's folder, or None when there is none
        (interactive use, or the chapter did not run)."""
        if self.output_dir is None:
            return None
        return load_result(self.output_dir, chapter)

    def _write(self, frame: pd.DataFrame, name: str) -> Path | None:
        if self.output_dir is None:
            return None
        folder = Path(self.output_dir) / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.chapter or 'table'}__{name}.csv"
        frame.to_csv(path, index=not isinstance(frame.index, pd.RangeIndex))
        return path


_GEOGRAPHIES = {
    "lsoa": "LSOA",
    "ward": "Electoral Ward",
    "ltla": "LAD",
    "csp": "Community Safety Partnership",
    "pfa": "Police Force Area",
}


def lookup_title(stem: str) -> str:
    """An ONS lookup file's name as ONS titles it, from the geographies and years in it.

    Examples
    --------
    >>> lookup_title("lookup_lsoa21_ward24_ltla24")
    'LSOA (2021) to Electoral Ward (2024) to LAD (2024)'
    >>> lookup_title("lookup_ltla24_csp24_pfa24")
    'LAD (2024) to Community Safety Partnership (2024) to Police Force Area (2024)'
    >>> lookup_title("my_lookup")
    'my_lookup'
    """
    parts = re.findall(r"_([a-z]+)(\d\d)(?=_|$)", stem)
    if not stem.startswith("lookup_") or not parts or any(g not in _GEOGRAPHIES for g, _ in parts):
        return stem
    return " to ".join(f"{_GEOGRAPHIES[g]} (20{y})" for g, y in parts)


def data_used(params: Params, geography=None) -> str:
    """The **Data used** line every page ends with, from the values the run uses.

    It names the LSOA vintage of the counts (``area.lsoa_vintage``); the wards (each the
    union of its LSOAs, by the ONS best-fit lookup that assigns the counts); the lookup that
    gives the partnership and its police force; the ONS population estimate year used for
    the assessed period (the nearest available to the period's population year, as
    :meth:`~csplib.ingest.geography.Geography.population` chose it); and the deprivation
    edition (:meth:`~csplib.ingest.geography.Geography.deprivation`).

    Parameters
    ----------
    params : Params
    geography : Geography, optional
        The run's geography (the store's); built from ``params`` when not given.

    Examples
    --------
    >>> from csplib.params import load_params
    >>> print(data_used(load_params("tests/fixtures/params/small.yaml")))
    ... # doctest: +NORMALIZE_WHITESPACE
    Data used: counts by 2021 LSOA; 2024 wards, each the union of its LSOAs, by the ONS
    best-fit lookup LSOA (2021) to Electoral Ward (2024) to LAD (2024); the partnership
    (Nottingham, E22000257) and its police force (Nottinghamshire) from the ONS lookup LAD
    (2024) to Community Safety Partnership (2024) to Police Force Area (2024); population:
    ONS mid-year estimate for 2020 (the nearest available to 2024), LSOA11 estimates
    converted to LSOA21; deprivation: IoD2025.
    """
    from csplib.ingest.geography import REFERENCE_FILES, Geography

    geo = geography if geography is not None else Geography.from_params(params)

    def stem(key: str) -> str:
        return lookup_title(Path(REFERENCE_FILES[key]).name.split(".")[0])

    wards = stem("lsoa21_ward")
    year = re.search(r"Ward \((\d{4})\)", wards)
    text = (
        f"Data used: counts by {geo.vintage} LSOA; "
        f"{year.group(1) + ' wards' if year else 'wards'}, each the union of its LSOAs, "
        f"by the ONS best-fit lookup {wards}"
    )
    if geo.vintage != "2021":
        text += f" (through {stem('lsoa11_lsoa21')})"
    csp = f"{geo.csp_name}, {geo.csp_code}" if geo.csp_code else ", ".join(geo.la_codes)
    force = f" and its police force ({geo.force_name})" if geo.force_name else ""
    text += f"; the partnership ({csp}){force} from the ONS lookup {stem('la_csp')}"
    wanted = params.assessment.period.period.population_year
    attrs = geo.population(wanted).attrs
    text += f"; population: ONS mid-year estimate for {attrs['year']}"
    if attrs["year"] != wanted:
        text += f" (the nearest available to {wanted})"
    if attrs.get("method", "as published") != "as published":
        source = re.search(r"lsoa(\d\d)", str(attrs.get("source", "")))
        if source:
            text += f", LSOA{source.group(1)} estimates converted to LSOA{geo.vintage[2:]}"
    edition = geo.deprivation().attrs.get("edition")
    if edition is None:
        edition = "none (the English indices do not cover the area's LSOAs)"
    return f"{text}; deprivation: {edition}."


def ensure_data(params: Params) -> None:
    """Generate the synthetic dataset a parameters file names, if it is not there yet.

    Validating parameters writes nothing; the data a run reads are made here, once, before
    the store is loaded (:func:`csplib.synth.ensure_generated` reuses a folder that holds
    the same seed, generator version and area). The data are for the parameters' own area
    (``area.la_codes``, ``area.csp_code``): Nottingham's authority keeps the calibrated
    dataset, any other partnership gets the modelled one.
    """
    spec = params.data.synthetic
    if spec is not None:
        from csplib.ingest.geography import Geography
        from csplib.synth import ensure_generated

        area = Geography(
            params.data.reference_dir,
            la_codes=list(params.area.la_codes),
            csp_code=params.area.csp_code,
            name=params.area.name,
        )
        ensure_generated(spec.seed, spec.dir, data_dir=spec.calibration_dir, area=area)


def load_context(
    params_path: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    chapter: str | None = None,
) -> Context:
    """Build the :class:`Context` for a chapter (see the module docstring)."""
    from csplib.present.html import install_display_hooks

    path = Path(params_path) if params_path else find_default_params()
    install_display_hooks()
    return Context(
        params=load_params(path),
        output_dir=Path(output_dir) if output_dir else None,
        chapter=chapter,
    )
