"""`make run`: check the raw data, then `dbt build` into a copy of the database and swap it in.

The database that analysts read is replaced only when the whole build, tests included, has
passed. A bad input file or a failing test leaves the previous database as it was, and the
command exits non-zero with one line that names the file and the problem.

    python -m recsys.build [--data-dir DIR] [--grid] [-- extra dbt arguments]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from recsys import report, sources

REPO = Path(__file__).resolve().parents[2]


def database_path() -> Path:
    """The database that profiles.yml names: RECSYS_DB, relative to the repo root, or recsys.duckdb."""
    path = Path(os.environ.get("RECSYS_DB", "recsys.duckdb"))
    return path if path.is_absolute() else REPO / path


def wal(database: Path) -> Path:
    """DuckDB's write-ahead log beside ``database``."""
    return database.with_name(database.name + ".wal")


def dbt_command(data_dir: str | None, grid: bool, extra: list[str]) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    variables = {}
    if data_dir:
        variables["data_dir"] = str(Path(data_dir).resolve())
    if grid:
        variables["run_grid"] = True
    # --grid builds everything plus als_grid, not als_grid alone: its parents must exist and come
    # from the same data folder, which a selection of als_grid alone cannot promise.
    command = [str(dbt), "build"]
    if variables:
        command += ["--vars", json.dumps(variables)]
    return command + extra


def build(data_dir: str | None, grid: bool = False, extra: list[str] = ()) -> int:
    try:
        source = sources.locate(data_dir)
        sources.check(source)
    except sources.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    target = database_path()
    staging = target.with_name(target.name + ".building")
    for leftover in (staging, wal(staging)):
        leftover.unlink(missing_ok=True)
    # the copy takes the write-ahead log along: it may hold changes not yet in the file
    for source_file, copy in ((target, staging), (wal(target), wal(staging))):
        if source_file.exists():
            shutil.copy2(source_file, copy)

    started = time.perf_counter()
    result = subprocess.run(dbt_command(data_dir, grid, list(extra)), cwd=REPO,
                            env={**os.environ, "RECSYS_DB": str(staging)})
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        # the copy's write-ahead log too: a failed dbt run can leave one beside it
        for leftover in (staging, wal(staging)):
            leftover.unlink(missing_ok=True)
        kept = f"{target} is unchanged" if target.exists() else f"{target} was not created"
        print(f"error: dbt build failed after {seconds:.1f} s (see the lines above); {kept}",
              file=sys.stderr)
        return result.returncode
    # dbt closed the copy cleanly, so its log is folded in; the old log belongs to the old file
    # and must not be replayed onto the new one
    wal(target).unlink(missing_ok=True)
    if wal(staging).exists():
        os.replace(wal(staging), wal(target))
    os.replace(staging, target)
    print(f"built {target} from {source.folder} ({source.layout}) in {seconds:.1f} s")
    return report.main(["--database", str(target)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR") or None,
                        help="folder with the raw files (default: the embedded Complete Journey data)")
    parser.add_argument("--grid", action="store_true", help="also build the opt-in ALS grid search (als_grid)")
    parser.add_argument("dbt_args", nargs="*", help="extra arguments for dbt build")
    args = parser.parse_args(argv)
    return build(args.data_dir, args.grid, args.dbt_args)


if __name__ == "__main__":
    sys.exit(main())
