"""Benchmark the synthetic dataset generator: one full generation, timed.

Writes the whole synthetic dataset (April 2014 to March 2025: police.uk street files,
partner extract, indicators, truth file) into a temporary folder, and prints the seconds
taken, the rows written and the peak memory (RSS high-water mark of this process).

Target (2-core machine): under 30 seconds for the full set.

Usage::

    python benchmarks/synth.py                 # seed 1, temporary folder
    python benchmarks/synth.py --seed 7 --repeat 3
    python benchmarks/synth.py --out /tmp/synth  # keep the files
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from csplib.synth import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="generations to time")
    parser.add_argument("--data-dir", default="data", help="the project's data folder")
    parser.add_argument("--out", default=None, help="folder to keep the files in")
    args = parser.parse_args()

    base = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="csplib-synth-"))
    try:
        times = []
        for i in range(args.repeat):
            start = time.perf_counter()
            res = generate(args.seed, base, data_dir=args.data_dir, overwrite=True)
            times.append(time.perf_counter() - start)
            note = " (includes reading the real inputs)" if i == 0 else " (real inputs cached)"
            print(f"run {i + 1}: {times[-1]:.2f} s{note}")
        size = sum(p.stat().st_size for p in base.rglob("*") if p.is_file())
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = res.rows
        total = sum(rows.values())
        print(f"seconds (first run): {times[0]:.2f}")
        print(f"seconds (best run):  {min(times):.2f}")
        print(
            f"rows: police.uk {rows['police_uk']:,} in "
            f"{res.truth['files']['police_uk']['files']} files; partner {rows['partner']:,}; "
            f"indicators {rows['indicators']:,}; total {total:,}"
        )
        print(f"rows per second: {total / times[0]:,.0f}")
        print(f"written: {size / 1e6:.1f} MB; peak memory: {peak_mb:.0f} MB")
        print(f"target: full set under 30 s -> {'met' if times[0] < 30 else 'NOT met'}")
    finally:
        if not args.out:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
