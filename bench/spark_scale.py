"""The Spark build on a standalone cluster at several data sizes: is the driver's memory flat?

    python bench/spark_scale.py [--sizes 1 4] [--work /tmp/spark_scale] [--select SELECTOR ...]
    python bench/spark_scale.py --report-only --work /tmp/spark_scale

For each size N it builds the project (or the selection) with `dbt build --target spark` on a
Spark standalone master and two one-core workers on this machine (bench/spark_cluster.sh, started
once for all sizes and stopped at the end), the driver's JVM capped at --driver-memory (1g). 1x
reads the embedded data; N > 1 is N copies of it (bench/generate.py, into WORK/data/xN). Every
file it writes is under WORK: the warehouse, dbt's target and log folders, the cluster's folder.

Measured, sampling /proc every 0.25 s:

* wall time of the dbt command;
* driver Python: the dbt process (dbt, the Python models, DuckDB reading the raw files). Its
  peak is the kernel's high-water mark (VmHWM of /proc/<pid>/status), read at every sample;
* driver JVM: the Java process that pyspark starts under dbt (Spark's driver): its VmHWM (the
  largest of the Java processes under dbt);
* executors: the sum of the resident memory of every process under the two workers (executor
  JVMs and their Python workers), peak of that sum; the workers' own daemons are not counted.

It writes one JSON per size (WORK/xN.json) and prints a markdown table of all sizes measured so
far in WORK, with the driver's peak at each size against its peak at 1x (target: 1.3x at 4x), for
bench/spark_scale.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
CLUSTER = BENCH / "spark_cluster.sh"
POLL = 0.25
PAGE = os.sysconf("SC_PAGE_SIZE")
TARGET_RATIO = 1.3


def children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_bytes()
            except OSError:
                continue
            parent = int(stat[stat.rindex(b")") + 2:].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int, tree: dict[int, list[int]]) -> list[int]:
    found, stack = [], list(tree.get(pid, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(tree.get(child, []))
    return found


def status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    except OSError:
        return 0


def is_java(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "java"
    except OSError:
        return False


def cluster(command: str, folder: Path) -> str:
    done = subprocess.run([str(CLUSTER), command, str(folder)], capture_output=True, text=True)
    if done.returncode != 0 and command != "stop":
        raise SystemExit(f"spark_cluster.sh {command} failed: {done.stderr}")
    return done.stdout


def measure(size: int, data_dir: Path | None, work: Path, cluster_env: dict[str, str],
            worker_pids: list[int], select: list[str], driver_memory: str) -> dict:
    run = work / f"x{size}"
    subprocess.run(["rm", "-rf", str(run)], check=True)
    run.mkdir(parents=True)
    env = {**os.environ, **cluster_env, "RECSYS_SPARK_WAREHOUSE": str(run / "spark-warehouse"),
           "RECSYS_SPARK_DRIVER_MEMORY": driver_memory, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "PYSPARK_PYTHON": sys.executable}
    variables = {"data_dir": str(data_dir)} if data_dir else {}
    command = [str(Path(sys.executable).with_name("dbt")), "build", "--target", "spark",
               "--target-path", str(run / "target"), "--log-path", str(run / "logs"),
               *(["--vars", json.dumps(variables)] if variables else []),
               # a selection builds only the tests of selected models whose every parent is selected
               *(["--select", *select, "--indirect-selection", "cautious"] if select else [])]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with open(run / "dbt.log", "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    python_peak = jvm_peak = executors_peak = 0
    while process.poll() is None:
        tree = children()
        python_peak = max(python_peak, status_kb(process.pid, "VmHWM") * 1024)
        # the driver's JVM; spark-submit's short-lived launcher JVM comes first and stays small
        jvm_peak = max([jvm_peak] + [status_kb(pid, "VmHWM") * 1024
                                     for pid in descendants(process.pid, tree) if is_java(pid)])
        executors_peak = max(executors_peak, sum(rss(pid) for worker in worker_pids
                                                 for pid in descendants(worker, tree)))
        time.sleep(POLL)
    seconds = time.perf_counter() - started
    summary = (run / "dbt.log").read_text().splitlines()
    done = next((line for line in reversed(summary) if "Done. PASS=" in line), "")
    return {"size": size, "seconds": round(seconds, 1), "returncode": process.returncode,
            "driver_python_peak_gb": round(python_peak / 1e9, 3),
            "driver_jvm_peak_gb": round(jvm_peak / 1e9, 3),
            "driver_peak_gb": round((python_peak + jvm_peak) / 1e9, 3),
            "executors_peak_gb": round(executors_peak / 1e9, 3),
            "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1),
            "dbt": done.split("Done. ", 1)[-1].strip(), "select": select,
            "driver_memory": driver_memory,
            "measured_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def report(work: Path) -> None:
    results = sorted((json.loads(path.read_text()) for path in work.glob("x*.json")),
                     key=lambda row: row["size"])
    base = next((row for row in results if row["size"] == 1), None)
    lines = ["| size | wall s | driver Python peak GB | driver JVM peak GB | driver peak GB | "
             "driver peak / 1x | executors peak GB | load before/after | dbt | status |",
             "|---:|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for row in results:
        ratio = f"{row['driver_peak_gb'] / base['driver_peak_gb']:.2f}" if base else ""
        status = "ok" if row["returncode"] == 0 else f"exit {row['returncode']}"
        lines.append(f"| {row['size']}x | {row['seconds']:.1f} | {row['driver_python_peak_gb']:.2f} | "
                     f"{row['driver_jvm_peak_gb']:.2f} | {row['driver_peak_gb']:.2f} | {ratio} | "
                     f"{row['executors_peak_gb']:.2f} | {row['load_before']} / {row['load_after']} | "
                     f"{row['dbt']} | {status} |")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--work", type=Path, default=Path("/tmp/spark_scale"))
    parser.add_argument("--select", nargs="*", default=[], help="dbt selection (default: everything)")
    parser.add_argument("--driver-memory", default="1g")
    parser.add_argument("--report-only", action="store_true", help="print the table of WORK's results")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        report(work)
        return 0
    sys.path.insert(0, str(BENCH))
    import generate  # bench/generate.py

    folder = work / "cluster"
    cluster("stop", folder)
    started = cluster("start", folder)
    try:
        cluster_env = dict(line.removeprefix("export ").split("=", 1) for line in started.splitlines()
                           if line.startswith("export ") and not line.startswith("export RECSYS_SPARK_DRIVER"))
        worker_pids = [int((folder / f"worker-{n}.pid").read_text()) for n in (1, 2)]
        for size in args.sizes:
            data_dir = None
            if size > 1:
                data_dir = work / "data" / f"x{size}"
                generate.main([str(size), str(data_dir)])
            result = measure(size, data_dir, work, cluster_env, worker_pids, args.select, args.driver_memory)
            (work / f"x{size}.json").write_text(json.dumps(result, indent=2) + "\n")
            print(json.dumps(result), flush=True)
    finally:
        cluster("stop", folder)
    report(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
