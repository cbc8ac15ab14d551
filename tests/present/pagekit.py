"""Small constructed chapter pages for the page and browser tests (no assessment run)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from csplib.present.html import findings_html, table
from csplib.present.pages import export_html


def png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    ax.plot([1, 2, 3], [3, 1, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def wide_frame(rows: int = 6) -> pd.DataFrame:
    """A 13-column threat-screen-like table with long names, tiny p values and gaps."""
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        {
            "category": ["Violence and sexual offences", "Possession of weapons"] * (rows // 2),
            "ward": ["Hyson Green & Arboretum", "Bridlington-upon-Sea North"] * (rows // 2),
            "recent": rng.integers(10, 5000, rows),
            "expected": rng.uniform(10, 5000, rows),
            "rate_ratio": rng.uniform(0.5, 2, rows),
            "rr_lower": rng.uniform(0.4, 1, rows),
            "rr_upper": [np.nan] + list(rng.uniform(1, 3, rows - 1)),
            "pct_change": rng.uniform(-50, 80, rows),
            "p_value": 10.0 ** -rng.uniform(1, 40, rows),
            "q_value": 10.0 ** -rng.uniform(1, 30, rows),
            "mk_p_value": 10.0 ** -rng.uniform(1, 9, rows),
            "flagged": [True, False] * (rows // 2),
            "months_with_data": [83] * rows,
        },
        index=pd.Index(range(1, rows + 1), name="rank"),
    )


def notebook(outputs_html: list[str], heading: str = "Threat: what is changing"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(f"# {heading}"))
    nb.cells.append(nbformat.v4.new_markdown_cell("## The series that stand out"))
    for k, html in enumerate(outputs_html):
        cell = nbformat.v4.new_code_cell("show()", execution_count=k + 1)
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
        nb.cells.append(cell)
    chart = nbformat.v4.new_code_cell("chart()", execution_count=99)
    chart.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/png": png()},
            metadata={"image/png": {"alt": "Chart: weapons rose in St. Ann's."}},
        )
    ]
    nb.cells.append(nbformat.v4.new_markdown_cell("## Forecast for the next 12 months"))
    nb.cells.append(chart)
    return nb


def good_page(folder: Path, name: str = "02_threat") -> Path:
    """A chapter page built the house way: html.table, findings_html, export_html."""
    from csplib.chapters.findings import Finding

    frame = wide_frame()
    outputs = [
        findings_html(
            [Finding("Weapons possession rose (p = 3.2e-9).", "02_threat")], heading="Key findings"
        ).data,
        table(frame, caption="Series that changed", formats={"p_value": "{:.2g}"}).data,
        table(frame.iloc[:, 2:11], caption="Numbers only: a wide grid").data,
        table(frame.iloc[:, :3], caption="A narrow table").data,
    ]
    source = folder / f"{name}.ipynb"
    nbformat.write(notebook(outputs), source)
    target = folder / "html" / f"{name}.html"
    export_html(source, target, with_code=False, title="Threat", banner="Synthetic data.")
    return target


def bad_page(folder: Path) -> Path:
    """A page with what the check must find: a raw pandas table, an image without alt, and
    links too small to tap."""
    frame = wide_frame(12)
    raw = frame.to_html()  # code names, 5e-29 style numbers, NaN, 13 unwrappable columns
    img = f'<img src="data:image/png;base64,{png()}">'
    page = folder / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bad</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        f'<body><main><h1>Bad</h1><div style="white-space:nowrap">{raw}</div>{img}'
        # links 10 px tall, side by side: too small to tap (a WCAG 2.2 rule, target size)
        '<p style="font-size:8px;line-height:10px"><a href="#a" style="display:inline-block;'
        'height:10px">a</a><a href="#b" style="display:inline-block;height:10px">b</a></p>'
        "<p>None</p></main></body></html>",
        encoding="utf-8",
    )
    return page
