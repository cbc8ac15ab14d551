"""The ``csp`` command.

``csp assess``        run the assessment's chapters and write ``outputs/<year>/``
``csp init NAME``     write a parameters file for any partnership (``--list`` lists them)
``csp params check``  validate a parameters file
``csp synth``         write a synthetic dataset (police.uk files, partner extract,
                      indicators, truth.json): Nottingham's, or any area's with ``--area``

User mistakes (a bad parameters file, an unreadable data file) print one line per problem
and exit with status 2; a chapter that fails makes ``csp assess`` exit with status 1; a
Ctrl-C stops the run (a second one at once) and exits with status 130.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from csplib.core.errors import CspError

__all__ = ["main"]


def _assess(args: argparse.Namespace) -> int:
    from csplib.methods.measures import load_framework
    from csplib.params import find_default_params, load_params
    from csplib.run.runner import run_assessment

    params = load_params(args.params or find_default_params())
    load_framework(params.framework)  # a mistake in it stops the run before any chapter
    chapters = [c.strip() for c in args.chapters.split(",") if c.strip()] if args.chapters else None
    packs = None
    if args.packs is not None:
        packs = (
            [] if args.packs == "none" else [t.strip() for t in args.packs.split(",") if t.strip()]
        )
    result = run_assessment(
        params,
        out_dir=args.out,
        chapters=chapters,
        packs=packs,
        jobs=args.jobs,
        notebooks_dir=args.notebooks,
    )
    index = result.out_dir / "index.html"
    for run in result.failed:
        if run.status == "failed":
            print(f"csp: {run.name}: {run.status_text}", file=sys.stderr)
    for problem in result.sharing_problems:
        print(f"csp: record-level data in a shared output: {problem}", file=sys.stderr)
    for problem in result.disclosure_problems:
        print(f"csp: a hidden count can be worked out across tables: {problem}", file=sys.stderr)
    print(result.summary(), file=sys.stderr)
    if result.interrupted:
        print(f"The finished chapters are in {result.out_dir}; the run log is run.log there.")
        return 130
    if result.ok:
        print(f"Assessment written to {result.out_dir} (open {index})")
        return 0
    print(f"Other chapters' outputs were kept in {result.out_dir} (the run log is run.log)")
    return 1


def _params_check(args: argparse.Namespace) -> int:
    from csplib.methods.measures import load_framework
    from csplib.params import load_params

    params = load_params(args.file)
    framework = load_framework(params.framework)  # its sections, targets and own measures
    a = params.assessment
    print(f"{args.file}: ok ({params.area.name}, {a.year}, period {a.period.label})")
    plan = "generic police.uk measures" if framework.generic else framework.name
    n, t = len(framework.measure_ids), len(framework.targets)
    counts = f"{n} measure{'s' * (n != 1)}, {t} target{'s' * (t != 1)}"
    print(f"  framework: {plan} ({counts})")
    return 0


def _synth(args: argparse.Namespace) -> int:
    from csplib.synth import generate

    area = None
    if args.area:
        from csplib.ingest.geography import Geography, find_partnership

        reference = args.data_dir / "reference"
        partnership = find_partnership(reference, args.area)
        area = Geography(reference, la_codes=list(partnership.la_codes), name=partnership.name)
    result = generate(
        args.seed, args.out, data_dir=args.data_dir, overwrite=args.overwrite, area=area
    )
    recorded = result.truth["area"]
    codes = ", ".join(recorded.get("la_codes") or [recorded["la_code"]])
    csp = f"{recorded['csp_code']}: " if recorded.get("csp_code") else ""
    model = "modelled" if "model_version" in recorded else "calibrated"
    print(f"Area: {recorded['name']} ({csp}{codes}), {recorded['force']}; {model} volumes")
    rows = ", ".join(f"{k} {v:,}" for k, v in result.rows.items())
    print(
        f"Synthetic data (seed {result.seed}) written to {result.out_dir} in "
        f"{result.seconds:.1f} s: {rows} rows; planted effects in {result.truth_file}"
    )
    return 0


def _assess_all(args: argparse.Namespace) -> int:
    from csplib.run.fanout import assess_all

    files = sorted(args.params_dir.glob("*.yaml")) if args.params_dir.is_dir() else []
    if not files:
        raise CspError(f"{args.params_dir}: no parameters files (*.yaml) to assess")
    chapters = [c.strip() for c in args.chapters.split(",") if c.strip()] if args.chapters else None
    results = assess_all(
        files,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        chapters=chapters,
    )
    ok = sum(r["status"] == "ok" for r in results)
    print(f"{ok} of {len(results)} assessments finished; index: {args.out / 'index.html'}")
    return 0 if ok == len(results) else 1


def _national(args: argparse.Namespace) -> int:
    from csplib.ingest.national import national_counts, summary_lines, write_national
    from csplib.ingest.policeuk import read_policeuk

    for path in args.police_uk:
        if not path.exists():
            raise CspError(f"{path}: no such file or folder (a police.uk download was expected)")
    read = read_policeuk(args.police_uk, cache_dir=args.cache_dir)
    result = national_counts(read, args.data_dir / "reference")
    written = write_national(result, args.out)
    for line in summary_lines(result):
        print(line)
    print(f"National store written to {args.out} ({', '.join(p.name for p in written)})")
    return 0


def _init(args: argparse.Namespace) -> int:
    from csplib.run.init import init_parameters, partnerships_text, project_reference

    if args.list:
        print(partnerships_text(project_reference()))
        return 0
    if not args.name:
        print(
            "csp: error: name a partnership, e.g. csp init Leeds (or csp init --list)",
            file=sys.stderr,
        )
        return 2
    out, area, period = init_parameters(
        " ".join(args.name),
        out=args.out,
        police_uk=args.police_uk,
        synthetic_seed=args.synthetic,
        overwrite=args.force,
    )
    where = ", ".join(area.la_names)
    print(f"{area.name} ({area.csp_code or area.la_codes[0]}: {where}; {area.force_name})")
    print(f"Parameters written to {out}")
    if period is not None:
        print(f"Assessed period {period.label}: chosen from the months in the download")
    if args.police_uk is None and args.synthetic is None:
        print("Next: put your police.uk download where data.police_uk says, then")
    print(f"  csp params check {out}\n  csp assess --params {out}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csp", description="Community Safety Partnership strategic assessment toolkit."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    assess = sub.add_parser("assess", help="run the assessment and write outputs/<year>/")
    assess.add_argument(
        "--params",
        type=Path,
        help="parameters file (default: $CSP_PARAMS or parameters/default.yaml)",
    )
    assess.add_argument("--out", type=Path, help="output folder (default: outputs/<year>)")
    assess.add_argument("--chapters", help="comma-separated chapter names, e.g. 01_volume")
    assess.add_argument(
        "--packs",
        help="comma-separated theme ids whose packs to write, or "
        "'none' (default: every theme when all chapters run)",
    )
    assess.add_argument("--jobs", type=int, default=1, help="chapters to run at once (default 1)")
    assess.add_argument(
        "--notebooks",
        type=Path,
        help="folder of the chapter notebooks (default: the project's notebooks/)",
    )
    assess.set_defaults(func=_assess)

    init = sub.add_parser("init", help="write a parameters file for a partnership")
    init.add_argument("name", nargs="*", help="a CSP or local authority name or code")
    init.add_argument("--list", action="store_true", help="list every partnership and stop")
    init.add_argument("--out", type=Path, help="file to write (default parameters/<name>.yaml)")
    init.add_argument(
        "--police-uk",
        type=Path,
        nargs="+",
        help="your police.uk download(s); the assessed period is chosen from their months",
    )
    init.add_argument("--synthetic", type=int, metavar="SEED", help="use synthetic data instead")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(func=_init)

    every = sub.add_parser(
        "assess-all", help="run many partnerships' assessments at once on a dask cluster"
    )
    every.add_argument(
        "--params-dir", type=Path, required=True, help="a folder of parameters files (csp init)"
    )
    every.add_argument("--out", type=Path, default=Path("outputs/all"), help="folder to write into")
    every.add_argument(
        "--workers", type=int, default=2, help="workers of the local cluster (default 2)"
    )
    every.add_argument("--scheduler", help="address of a running dask scheduler instead")
    every.add_argument("--chapters", help="comma-separated chapter names (default: all)")
    every.set_defaults(func=_assess_all)

    national = sub.add_parser(
        "national",
        help="read a whole national police.uk download into monthly counts per partnership",
    )
    national.add_argument(
        "--police-uk", type=Path, nargs="+", required=True, help="the national download(s)"
    )
    national.add_argument(
        "--out", type=Path, default=Path("outputs/national"), help="folder to write into"
    )
    national.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="the reference data (lookups) to place LSOAs in partnerships (default: data)",
    )
    national.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(".cache/csplib"),
        help="the police.uk read's parquet cache (default: .cache/csplib)",
    )
    national.set_defaults(func=_national)

    params = sub.add_parser("params", help="work with parameters files")
    psub = params.add_subparsers(dest="params_command", required=True)
    check = psub.add_parser("check", help="validate a parameters file")
    check.add_argument("file", type=Path)
    check.set_defaults(func=_params_check)

    synth = sub.add_parser("synth", help="write the synthetic dataset (deterministic per seed)")
    synth.add_argument("--seed", type=int, required=True, help="seed of every random draw")
    synth.add_argument("--out", type=Path, required=True, help="folder to write into")
    synth.add_argument(
        "--area",
        help="a partnership or local authority of England and Wales, by name or code "
        "(default: Nottingham, the calibrated dataset)",
    )
    synth.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="the real data the generator is calibrated on (default: data)",
    )
    synth.add_argument(
        "--overwrite", action="store_true", help="replace a dataset already in --out"
    )
    synth.set_defaults(func=_synth)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``csp`` console script; returns the exit status."""
    args = _parser().parse_args(argv)
    if getattr(args, "jobs", 1) < 1:
        print("csp: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except CspError as exc:
        for line in str(exc).splitlines():
            print(f"csp: error: {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("csp: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
