"""Time and peak memory of one ALS cutoff's matrix at 100x: read from DuckDB and built.

    .venv/bin/python bench/als_matrix.py [--runs 3] [--src DIR] [--fit [--cutoffs N] [--write]]

At 100x the build's peak memory came while `als_candidates` built a cutoff's matrix beside
DuckDB's pool (issue 24). This measures that step alone: a DuckDB file (made once, under
bench/data/) holds one cutoff shaped like 100x (246,700 customers x 190 of 5,001 items, about 46 M
cells, as int_als_matrix's columns); each run, in a fresh process, reads it as `als_candidates`
does (`frames.to_arrow_beside`) and builds the matrix (`recsys.als.build_matrix`), and reports the
seconds and the process's peak resident memory (ru_maxrss, DuckDB included; GB of 1024^3
bytes, as in scale.md). `--src` takes the `src` folder of another checkout, to measure the code
before a change, e.g. `git archive REV src | tar -x -C /tmp/before` and `--src /tmp/before/src`.
`--fit` goes on as `als_candidates` does: fits the cutoff (dbt_project.yml's ALS vars) and reads
every batch of its candidates (`recsys.als.candidate_stream`), so that the peak is the whole
model's Python side beside a DuckDB that has cached nothing else. `--cutoffs N` (with `--fit`)
fits the cutoff N times in one stream, as `als_candidates` fits its four, with DuckDB's limit
lowered as the model lowers it, and reports the resident memory as each cutoff's read begins:
what the cutoffs before left behind. `--write` (with `--fit`) stores the stream in a table of a
copy of the file, as dbt-duckdb stores a Python model's result (a second cursor, one `create
table as`), so that DuckDB's side of the write is in the peak too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATABASE = REPO / "bench" / "data" / "als_matrix_100x.duckdb"
CUTOFF_WEEK = 100

MAKE = f"""
create or replace table int_als_matrix as
select cutoff_week, user_id, item_id, max(weight) as weight  -- one row per customer and item
from (
    select {CUTOFF_WEEK} as cutoff_week, customer * 7 + 1000000 as user_id,
           cast((hash(customer, line) % 5001) * 3 + 5 as bigint) as item_id,
           cast(1 + hash(line, customer) % 10 as double) as weight
    from range(246700) as customers(customer), range(190) as lines(line)
)
group by all
"""

# one run, in a fresh process, so that ru_maxrss is this run's peak alone
RUN = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
import duckdb
from recsys import als, frames
config = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}  # --fit: the vars as JSON
session = duckdb.connect(sys.argv[2], read_only=not config.get("write"), config={"memory_limit": "5GB"})
started = time.perf_counter()
cells = session.table("int_als_matrix").filter(f"cutoff_week = {sys.argv[3]}").select("user_id", "item_id", "weight")
resident_at_reads = []
if config:
    def read(week):
        with open("/proc/self/statm") as statm:
            resident_at_reads.append(int(statm.read().split()[1]) * resource.getpagesize() / 1024 ** 3)
        return frames.to_arrow_beside(cells, session)
    stream = als.candidate_stream([int(sys.argv[3])] * config["cutoffs"], read,
                                  als.AlsParams.from_config(config["params"]),
                                  config["als_candidates"], config["bucket_item_id"])
    stream = frames.with_memory_limit(stream, session, config["als_duckdb_memory_limit"], "5GB")
    if config["write"]:  # as dbt-duckdb stores a Python model's result: a second cursor, one statement
        cursor = session.cursor()
        cursor.register("candidates_stream", stream)
        cursor.execute("create or replace table candidates as select * from candidates_stream")
        count = session.execute("select count(*) from candidates").fetchone()[0]
    else:
        count = sum(batch.num_rows for batch in stream)
else:
    count = als.build_matrix(frames.to_arrow_beside(cells, session)).matrix.nnz
print(json.dumps({"seconds": time.perf_counter() - started, "count": count, "resident_at_reads": resident_at_reads,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2}))  # KiB
"""


def als_vars() -> dict:
    """implicit's parameters, the candidates per customer and the bucket item, as dbt_project.yml
    sets them."""
    import yaml

    project_vars = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    names = ("factors", "regularization", "iterations", "alpha", "weighting", "random_state", "threads")
    return {"params": {name: project_vars[f"als_{name}"] for name in names},
            **{name: project_vars[name]
               for name in ("als_candidates", "bucket_item_id", "als_duckdb_memory_limit")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the src folder whose recsys to measure")
    parser.add_argument("--fit", action="store_true", help="fit the cutoff and read its candidates too")
    parser.add_argument("--cutoffs", type=int, default=1,
                        help="with --fit: fit the cutoff this many times in one stream")
    parser.add_argument("--write", action="store_true",
                        help="with --fit: store the candidates in a table of a copy of the file, as dbt does")
    args = parser.parse_args(argv)
    if (args.cutoffs > 1 or args.write) and not args.fit:
        parser.error("--cutoffs and --write need --fit")

    if not DATABASE.exists():
        import duckdb

        DATABASE.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(DATABASE)) as con:
            con.execute(MAKE)
    database = DATABASE
    if args.write:  # the stored candidates (1.5 GB for four cutoffs) go to a copy, removed after
        database = DATABASE.with_name("als_matrix_written.duckdb")
        shutil.copyfile(DATABASE, database)
    try:
        for _ in range(args.runs):
            run_once(args, database)
    finally:
        if args.write:
            database.unlink(missing_ok=True)
            database.with_name(database.name + ".wal").unlink(missing_ok=True)
    return 0


def run_once(args: argparse.Namespace, database: Path) -> None:
    command = [sys.executable, "-c", RUN, str(args.src.resolve()), str(database), str(CUTOFF_WEEK)]
    fit = [json.dumps({**als_vars(), "cutoffs": args.cutoffs, "write": args.write})] if args.fit else []
    run = json.loads(subprocess.run(command + fit, check=True, capture_output=True, text=True).stdout)
    what = f"candidates of {args.cutoffs} fitted cutoff(s)" if args.fit else "cells"
    print(f"{run['count']:,} {what}: {run['seconds']:.1f} s, peak {run['peak_gb']:.2f} GB (ru_maxrss)")
    if len(run["resident_at_reads"]) > 1:
        print("resident as each cutoff's read began: "
              + ", ".join(f"{gb:.2f}" for gb in run["resident_at_reads"]) + " GB")


if __name__ == "__main__":
    sys.exit(main())
