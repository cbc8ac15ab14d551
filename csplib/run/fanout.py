"""Every partnership's assessment at once, fanned out on ``dask.distributed`` (``csp assess-all``).

An analyst for a force, a PCC or a region needs many assessments at once. :func:`assess_all`
submits each partnership's parameters file as one task to a dask cluster (a ``LocalCluster``
of single-threaded worker processes by default, or any scheduler by its address). Each task
runs that partnership's chapters one at a time (:func:`assess_one`; the cluster supplies the
parallelism), so two workers run two partnerships side by side. What is national is computed
once and shared: the police.uk read's parquet cache (the first task to read a download
caches it, atomically, and the others use it) and the national store of ``csp national``
that each parameters file may name.

Failures are contained: a task whose worker dies (killed, out of memory) is rescheduled by
the scheduler on another worker (up to ``distributed.scheduler.allowed-failures`` times); a
task that raises is retried ``retries`` times; a partnership that still fails is reported
and never stops the others. A line is printed as each partnership finishes, and
``index.html`` in the output folder links every partnership's contents page with its status.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["assess_all", "assess_one", "national_index"]


def _slug(path: Path) -> str:
    return re.sub(r"[^a-z0-9]+", "-", Path(path).stem.casefold()).strip("-")


def assess_one(params_file: str, out_dir: str, chapters: Sequence[str] | None = None) -> dict:
    """One partnership's assessment, its chapters one at a time (a dask task).

    Returns
    -------
    dict
        ``name``, ``params``, ``out``, ``status`` (``"ok"``, or ``"failed"``: a chapter
        failed, or the run's checks found a problem), ``failed`` (the chapters),
        ``problems`` (what the checks found), ``summary`` and ``seconds``.
    """
    from csplib.methods.measures import load_framework
    from csplib.params import load_params
    from csplib.run.runner import run_assessment

    started = time.monotonic()
    params = load_params(params_file)
    load_framework(params.framework)
    result = run_assessment(
        params, out_dir=out_dir, chapters=list(chapters) if chapters else None, progress=None
    )
    return {
        "name": params.area.name,
        "params": str(params_file),
        "out": str(result.out_dir),
        "status": "ok" if result.ok else "failed",
        "failed": [r.name for r in result.failed],
        "problems": [
            *(["interrupted"] if result.interrupted else []),
            *result.sharing_problems,
            *result.disclosure_problems,
        ],
        "summary": result.summary(),
        "seconds": round(time.monotonic() - started, 1),
    }


def assess_all(
    params_files: Sequence[str | Path],
    out_root: str | Path,
    *,
    scheduler: str | None = None,
    workers: int = 2,
    retries: int = 1,
    chapters: Sequence[str] | None = None,
    task: Callable[..., dict] = assess_one,
    say: Callable[[str], None] = print,
) -> list[dict]:
    """Run every partnership's assessment on a dask cluster (see the module notes).

    Parameters
    ----------
    params_files : sequence of path
        One parameters file per partnership (``csp init``).
    out_root : path
        Each partnership writes ``<out_root>/<file stem>/``; the national index is
        ``<out_root>/index.html``.
    scheduler : str, optional
        A running scheduler's address; default a ``LocalCluster`` of ``workers``
        single-threaded worker processes, closed at the end.
    workers : int
        Workers of the local cluster (2).
    retries : int
        Retries of a task that raised (a dead worker's task is rescheduled by the
        scheduler, whatever this says).
    chapters : sequence of str, optional
        Only these chapters of each assessment (default all).
    task : callable
        The task run for each partnership (:func:`assess_one`).
    say : callable
        Called with one line as each partnership finishes.

    Returns
    -------
    list of dict
        One per partnership, in the order given: :func:`assess_one`'s result, or
        ``status`` ``"error"`` and ``error`` for a partnership whose task failed for good.
    """
    from distributed import Client, LocalCluster, as_completed

    out_root = Path(out_root)
    out_root.mkdir(parents=True, exist_ok=True)
    files = [Path(p) for p in params_files]
    slugs = [_slug(p) for p in files]
    if len(set(slugs)) != len(slugs):
        raise ValueError("two parameters files have the same name; each needs its own folder")
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    results: dict[str, dict] = {}
    try:
        with Client(scheduler or cluster) as client:
            futures = {
                client.submit(
                    task,
                    str(path),
                    str(out_root / slug),
                    chapters,
                    key=f"assess-{slug}",
                    retries=retries,
                    pure=False,
                ): (slug, path)
                for slug, path in zip(slugs, files, strict=True)
            }
            for done, (slug, path) in ((f, futures[f]) for f in as_completed(futures)):
                try:
                    result = done.result()
                except Exception as exc:  # one partnership's failure never stops the others
                    result = {
                        "name": slug,
                        "params": str(path),
                        "out": str(out_root / slug),
                        "status": "error",
                        "error": f"{type(exc).__name__}: {exc}",
                    }
                results[slug] = result
                text = result.get("summary") or result.get("error", "")
                say(f"{len(results)}/{len(files)} {result['name']}: {result['status']} ({text})")
    finally:
        if cluster is not None:
            cluster.close()
    ordered = [results[slug] for slug in slugs]
    (out_root / "index.html").write_text(national_index(ordered, out_root), encoding="utf-8")
    return ordered


def national_index(results: Sequence[dict], out_root: Path) -> str:
    """The page linking every partnership's contents page with its status (text escaped).

    Examples
    --------
    >>> page = national_index([{"name": "A & B", "out": "/x/a", "status": "ok"}], Path("/x"))
    >>> '<a href="a/index.html">A &amp; B</a>' in page and "<td>ok</td>" in page
    True
    """
    rows = []
    for r in results:
        target = Path(r["out"]) / "index.html"
        try:
            href = target.relative_to(out_root).as_posix()
        except ValueError:
            href = target.as_posix()
        why = r.get("error") or "; ".join([*r.get("failed", []), *r.get("problems", [])])
        status = r["status"] if r["status"] == "ok" else f"{r['status']}: {why}"
        rows.append(
            f'<tr><th scope="row"><a href="{html.escape(href)}">{html.escape(r["name"])}</a></th>'
            f"<td>{html.escape(status)}</td></tr>"
        )
    ok = sum(r["status"] == "ok" for r in results)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        "<title>Every partnership's assessment</title>\n<style>\n"
        "  body { font: 1rem/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;"
        " padding: 0 1rem; color: #1a1a1a; }\n"
        "  table { border-collapse: collapse; width: 100%; }\n"
        "  th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #ddd; }\n"
        "  a { color: #1d4f91; }\n</style>\n</head>\n<body>\n<main>\n"
        "<h1>Every partnership's assessment</h1>\n"
        f"<p>{ok} of {len(results)} assessments finished without a failed chapter.</p>\n"
        "<table>\n<caption>Each partnership's contents page and how its run ended</caption>\n"
        '<thead><tr><th scope="col">Partnership</th><th scope="col">Status</th></tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody>\n</table>\n</main>\n</body>\n</html>\n"
    )
