"""The 1x build against the course notebook's pipeline, side by side in one run.

    .venv/bin/python bench/build_vs_notebook.py [--pairs N]

Target (issue 24): a second `make run` on the embedded data (environment installed, database and
dbt's partial parse in place) within 10x the notebook pipeline for one ALS configuration
(bench/notebook.py); it was 4x before the ranker, the sends and the experiment. The two run in turn, build then notebook, N times, and
the ratio is taken pair by pair, so that load from other processes falls on both alike; the
median ratio is the figure to quote. One unmeasured `make run` first brings the database and
the partial parse to the "second run" state.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv" / "bin" / "python"


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5)
    args = parser.parse_args(argv)

    build = ["make", "--no-print-directory", "run"]
    notebook = [str(PYTHON), "bench/notebook.py"]
    seconds(build)      # warm: the second-run state
    seconds(notebook)   # writes bench/data/csv1x once, outside the timed runs
    pairs = [(seconds(build), seconds(notebook)) for _ in range(args.pairs)]
    ratios = sorted(b / n for b, n in pairs)
    for number, (b, n) in enumerate(pairs, 1):
        print(f"pair {number}: make run {b:.1f} s, notebook {n:.1f} s, ratio {b / n:.2f}")
    print(f"median: make run {statistics.median(b for b, _ in pairs):.1f} s, notebook "
          f"{statistics.median(n for _, n in pairs):.1f} s, ratio {statistics.median(ratios):.2f} "
          f"(min {ratios[0]:.2f}, max {ratios[-1]:.2f}); target <= 10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
