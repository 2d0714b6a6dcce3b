"""Scale benchmark: the full build on 1x, 4x, 16x and 40x the embedded data.

    python bench/run.py [--sizes 1 4 16 40] [--out bench/scale.md] [--commit REV | --snapshot]

For each size N the runner generates N copies of the Complete Journey data (bench/generate.py,
into bench/data/xN; 1x reads the embedded data directly), deletes the previous benchmark
database, and runs ``python -m recsys.build`` with its own database (bench/runs/xN.duckdb) and
dbt target folder (bench/runs/xN/target), so it never touches anyone's working database. It
measures:

* wall time of the whole build command;
* peak memory of the whole process tree. Every 0.2 s the runner reads /proc/<pid>/stat of every
  process to find the descendants of the build (build.py -> dbt -> anything dbt starts) and sums
  their resident pages from /proc/<pid>/statm; the peak of that sum is "peak RSS". Shared pages
  are counted once per process (a few hundred MB at most), and a spike shorter than 0.2 s can be
  missed. As a cross-check the kernel's own high-water mark of the largest single process in the
  tree comes from wait4()'s ru_maxrss ("largest process");
* per-node times from target/run_results.json;
* rows of the main tables in the built database.

``--commit REV`` builds a clean export of that commit (``git archive``, into bench/runs/tree)
instead of the working tree: in a tree that several people edit at once, a half-written model
elsewhere would otherwise stop the benchmark. ``--snapshot`` builds a copy of the working tree
taken at the start, so that every size runs the same code.

It writes a markdown report (default bench/scale.md) and keeps each size's raw measurements in
bench/runs/xN/result.json. Growth is judged from 4x up, where the fixed cost of starting dbt no
longer dominates: time(N) / time(4x) must stay at or below N / 4.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from recsys import build  # the staging folder a build leaves

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402  (bench/generate.py, a sibling script)

POLL_SECONDS = 0.2
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# Tables whose row counts are reported when the build has them.
COUNTED_TABLES = ("raw_transactions", "stg_transactions", "users", "recommendations",
                  "email_recommendations", "metrics_at_k")
SLOWEST_NODES = 10
# issue 13: time per 1x of data at a larger size within this factor of that at 4x
LINEAR_WITHIN = 1.2


# ---------------------------------------------------------------- memory of a process tree

def _parent_of_every_process() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # the process ended while we looked
            continue
        # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
        fields = stat[stat.rindex(b")") + 2:].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def tree_pids(root: int) -> list[int]:
    """``root`` and all its living descendants."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parent_of_every_process().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def rss_kb(pid: int) -> int:
    """Resident memory of one process in kB (0 if it has ended)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _load_average() -> float:
    """The one-minute load average: above the core count, other work slowed the build down."""
    with open("/proc/loadavg") as handle:
        return float(handle.read().split()[0])


def _free_disk_gb(folder: Path) -> float:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize / 1024**3


def run_measured(command: list[str], cwd: Path, env: dict, log_path: Path,
                 memory_cap_gb: float | None = None, min_free_disk_gb: float = 20.0) -> dict:
    """Run ``command``; return its exit code, wall time and memory peaks.

    Above ``memory_cap_gb`` of tree RSS the build is stopped (its whole process group), so that a
    size that does not fit cannot push the shared machine into swapping or the OOM killer. It is
    also stopped when the disk of the benchmark database has less than ``min_free_disk_gb`` left:
    DuckDB spills to a folder beside the database and can fill the disk for everyone.
    """
    load_before = _load_average()
    started = time.perf_counter()
    with log_path.open("wb") as log:
        # A session of its own: the cap can stop the build and everything it started, and nothing else.
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        peak_kb, peak_processes, samples, capped, low_disk = 0, 0, [], False, None
        start_free = min_free = _free_disk_gb(log_path.parent)
        while True:
            # wait4 reaps the child itself, so Popen.poll() is not used.
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            pids = tree_pids(process.pid)
            total = sum(rss_kb(pid) for pid in pids)
            samples.append((time.time(), total))
            if total > peak_kb:
                peak_kb, peak_processes = total, len(pids)
            free_gb = _free_disk_gb(log_path.parent)
            min_free = min(min_free, free_gb)
            if not capped and not low_disk:
                if memory_cap_gb and total > memory_cap_gb * 1024**2:
                    capped = True
                elif free_gb < min_free_disk_gb:
                    low_disk = free_gb
                if capped or low_disk:
                    os.killpg(process.pid, signal.SIGKILL)
            time.sleep(POLL_SECONDS)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {
        "exit_code": process.returncode,
        "wall_seconds": time.perf_counter() - started,
        "peak_rss_gb": peak_kb / 1024**2,
        "processes_at_peak": peak_processes,
        # Linux reports ru_maxrss in kB: the largest single process of the reaped tree.
        "largest_process_gb": usage.ru_maxrss / 1024**2,
        # CPU seconds of the whole tree: steadier than wall time when others share the machine.
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "load_before": load_before,
        "load_after": _load_average(),
        # (unix time, kB) of every sample: lets each dbt node be matched with the memory it used.
        "rss_samples": samples,
        "stopped_at_cap_gb": memory_cap_gb if capped else None,
        "stopped_low_disk_gb": low_disk,
        # The most disk the build took at any sample: database plus DuckDB's spill files (plus
        # whatever else wrote to the disk meanwhile).
        "peak_disk_gb": start_free - min_free,
    }


# ---------------------------------------------------------------- one size

def _unix_time(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def node_times(target_path: Path, samples: list[tuple[float, int]],
               log_path: Path | None = None) -> list[dict]:
    """dbt's nodes, slowest first, each with the peak tree RSS sampled while it executed.

    Without run_results.json (a build stopped at the memory cap) the times come from the log.

    Two dbt threads run side by side, so a node's peak may belong to its neighbour; the report
    names the nodes that were running at the overall peak.
    """
    results = target_path / "run_results.json"
    if results.is_file():
        nodes = json.loads(results.read_text())["results"]
    else:
        nodes = []
    timed = []
    for node in nodes:
        execute = next((step for step in node.get("timing", ()) if step["name"] == "execute"), None)
        window = (_unix_time(execute["started_at"]), _unix_time(execute["completed_at"])) \
            if execute and execute.get("started_at") else None
        during = [kb for at, kb in samples if window and window[0] <= at <= window[1]]
        timed.append({"node": node["unique_id"], "status": node["status"],
                      "seconds": node.get("execution_time") or 0.0, "window": window,
                      "peak_rss_gb": max(during) / 1024**2 if during else None})
    if not nodes and log_path is not None and log_path.is_file() and samples:
        timed = node_times_from_log(log_path, samples[0][0], samples[-1][0])
        for node in timed:
            during = [kb for at, kb in samples if node["window"][0] <= at <= node["window"][1]]
            node["peak_rss_gb"] = max(during) / 1024**2 if during else None
    return sorted(timed, key=lambda node: node["seconds"], reverse=True)


_LOG_LINE = re.compile(
    r"(\d\d:\d\d:\d\d)\s+\d+ of \d+ (START|OK created|OK loaded|PASS|WARN \d+|FAIL \d+|ERROR creating|ERROR)\s+"
    r"(?:(?:sql|python) (?:table|view|incremental|ephemeral) model |seed file |test )?(\S+)"
    r"[ .]*(?:\[.*? in ([\d.]+)s\])?")


def node_times_from_log(log_path: Path, started_at: float, ended_at: float) -> list[dict]:
    """Node times from dbt's console lines, for a build stopped before it wrote run_results.json.

    Seconds come from "... in 1.23s"; a node that started but never finished is listed with the
    time from its start to ``ended_at`` and the status "running when stopped".
    """
    day = dt.datetime.fromtimestamp(started_at, dt.timezone.utc).date()
    text = re.sub(r"\x1b\[[0-9;]*m", "", log_path.read_text(errors="replace"))
    started, finished = {}, {}
    for match in _LOG_LINE.finditer(text):
        clock, word, name, seconds = match.groups()
        at = dt.datetime.combine(day, dt.time.fromisoformat(clock), dt.timezone.utc).timestamp()
        if word == "START":
            started[name] = at
        else:
            finished[name] = (word.split()[0].lower(), float(seconds or 0), at)
    nodes = []
    for name, start in started.items():
        status, seconds, end = finished.get(name, ("running when stopped", ended_at - start, ended_at))
        nodes.append({"node": name, "status": status, "seconds": seconds, "window": (start, end + 1)})
    return nodes


def running_at_peak(result: dict) -> list[str]:
    if not result["rss_samples"]:
        return []
    at, _ = max(result["rss_samples"], key=lambda sample: sample[1])
    return [node["node"] for node in result["nodes"]
            if node["window"] and node["window"][0] <= at <= node["window"][1]]


def input_lines(data_dir: Path) -> int:
    """Transaction lines of the input, from the parquet footer (known even if the build stops)."""
    path = str(data_dir / "transactions.parquet").replace("'", "''")
    return duckdb.execute(f"select count(*) from read_parquet('{path}')").fetchall()[0][0]


def table_rows(database: Path) -> dict:
    counts = {}
    if not database.is_file():
        return counts
    con = duckdb.connect(str(database), read_only=True)
    try:
        present = {name for (name,) in con.execute(
            "select table_name from information_schema.tables").fetchall()}
        for table in COUNTED_TABLES:
            if table in present:
                counts[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        if "stg_transactions" in present:
            counts["customers"] = con.execute(
                "select count(distinct user_id) from stg_transactions").fetchall()[0][0]
    finally:
        con.close()
    return counts


def export_commit(revision: str) -> tuple[Path, str]:
    """A clean copy of ``revision`` under bench/runs/tree; returns the folder and the commit."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{revision}^{{commit}}"], cwd=REPO,
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"error: {revision!r} is not a commit of {REPO}")
    sha = commit.stdout.strip()
    tree = BENCH / "runs" / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", sha], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree, sha


def snapshot_working_tree() -> Path:
    """A copy of the working tree as it is now (uncommitted files included, ignored ones not)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    tree = BENCH / "runs" / "tree"
    shutil.rmtree(tree, ignore_errors=True)
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if name.startswith("bench/runs/") or not source.is_file():
            continue  # deleted but not yet committed, or our own output
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, tree / name)
    return tree


def remove_database(database: Path) -> None:
    database.unlink(missing_ok=True)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
    shutil.rmtree(build.staging_folder(database), ignore_errors=True)


def run_size(copies: int, tree: Path = REPO, memory_cap_gb: float | None = None,
             drop_database: bool = False, min_free_disk_gb: float = 20.0) -> dict:
    runs = BENCH / "runs"
    run_dir = runs / f"x{copies}"
    database = runs / f"x{copies}.duckdb"
    target_path = run_dir / "target"
    # A fresh build every time: no database to copy, no partial parse from an older tree.
    remove_database(database)
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)

    command = [sys.executable, "-m", "recsys.build"]
    generated = None
    if copies > 1:
        data_dir = BENCH / "data" / f"x{copies}"
        if generate.is_current(copies, data_dir):
            print(f"x{copies}: data in {data_dir.relative_to(REPO)} is current", flush=True)
        else:
            generated = generate.generate(copies, data_dir)
            print(f"x{copies}: generated {generated['lines']:,} lines in "
                  f"{generated['seconds']:.1f} s", flush=True)
        command += ["--data-dir", str(data_dir)]

    env = {**os.environ, "RECSYS_DB": str(database), "DBT_TARGET_PATH": str(target_path),
           "DBT_LOG_PATH": str(run_dir / "logs")}
    env.pop("DATA_DIR", None)  # build.py would read it as --data-dir
    if tree != REPO:
        # recsys is installed editable from this tree: put the export's package first instead.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(tree / "src"), os.environ.get("PYTHONPATH")]))
    print(f"x{copies}: {' '.join(command[1:])} (log: {(run_dir / 'build.log').relative_to(REPO)})",
          flush=True)
    measured = run_measured(command, tree, env, run_dir / "build.log", memory_cap_gb,
                            min_free_disk_gb)
    result = {
        "copies": copies,
        "command": command[1:],
        "tree": str(tree),
        **measured,
        "generate_seconds": generated["seconds"] if generated else None,
        "input_lines": input_lines(data_dir if copies > 1 else generate.embedded_data_dir()),
        "rows": table_rows(database),
        "database_gb": database.stat().st_size / 1024**3 if database.is_file() else None,
        "nodes": node_times(target_path, measured["rss_samples"], run_dir / "build.log"),
    }
    if result["exit_code"] != 0:
        # The lines that say why, so the report explains a failed size without the log.
        log_lines = (run_dir / "build.log").read_text(errors="replace").splitlines()
        result["error"] = [re.sub(r"\x1b\[[0-9;]*m", "", line)
                           for line in log_lines[-12:] if line.strip()][-4:]
    (run_dir / "result.json").write_text(json.dumps(result, indent=2) + "\n")
    # A build stopped by the disk or memory guard leaves its staging database (59 GB at 100x),
    # which only the next build of this size would remove.
    shutil.rmtree(build.staging_folder(database), ignore_errors=True)
    if drop_database:
        # Measured and counted: give the disk back to the next, larger size.
        remove_database(database)
    state = "ok" if result["exit_code"] == 0 else f"FAILED (exit {result['exit_code']})"
    if result["stopped_at_cap_gb"]:
        state = f"STOPPED above the memory cap of {result['stopped_at_cap_gb']:g} GB"
    if result["stopped_low_disk_gb"]:
        state = f"STOPPED with {result['stopped_low_disk_gb']:.0f} GB of disk left (spill files)"
    print(f"x{copies}: {state}, {result['wall_seconds']:.1f} s, peak RSS "
          f"{result['peak_rss_gb']:.2f} GB, largest process {result['largest_process_gb']:.2f} GB",
          flush=True)
    return result


# ---------------------------------------------------------------- report

def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as handle:
        total_kb = next(int(line.split()[1]) for line in handle if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores ({model}), {total_kb / 1024**2:.1f} GB memory, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
            f"DuckDB {duckdb.__version__}")


def _git_describe(revision: str) -> str:
    try:
        return subprocess.run(["git", "log", "-1", "--format=%h %s", revision], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _number(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def growth_lines(results: list[dict]) -> list[str]:
    base = next((r for r in results if r["copies"] == 4 and r["exit_code"] == 0), None)
    larger = [r for r in results if r["copies"] > 4 and r["exit_code"] == 0]
    if base is None or not larger:
        return ["Growth from 4x: needs a successful 4x run and a larger one."]
    lines = ["| size | size / 4x | time / time(4x) | time per 1x / that at 4x | CPU / CPU(4x) | "
             "peak RSS / peak(4x) | time growth |", "|---:|---:|---:|---:|---:|---:|---|"]
    for result in larger:
        size_ratio = result["copies"] / 4
        time_ratio = result["wall_seconds"] / base["wall_seconds"]
        cpu_ratio = result["cpu_seconds"] / base["cpu_seconds"]
        memory_ratio = result["peak_rss_gb"] / base["peak_rss_gb"]
        per_copy = time_ratio / size_ratio
        verdict = (f"linear (within {LINEAR_WITHIN}x)" if per_copy <= LINEAR_WITHIN
                   else "**worse than linear**")
        lines.append(f"| {result['copies']}x | {size_ratio:.1f} | {time_ratio:.2f} | {per_copy:.2f} | "
                     f"{cpu_ratio:.2f} | {memory_ratio:.2f} | {verdict} |")
    return lines


def node_growth_lines(results: list[dict]) -> list[str]:
    """The nodes whose time grew faster than the data from 4x to the largest successful size:
    where to look first (seconds beyond linear growth, largest first)."""
    base = next((r for r in results if r["copies"] == 4 and r["exit_code"] == 0), None)
    # a failed larger build still timed the nodes it finished
    largest = max((r for r in results if r["copies"] > 4), key=lambda r: r["copies"], default=None)
    if base is None or largest is None:
        return []
    size_ratio = largest["copies"] / 4
    at_base = {node["node"]: node["seconds"] for node in base["nodes"]}
    grown = []
    for node in largest["nodes"]:
        before = at_base.get(node["node"])
        # nodes under a second are noise
        if before and node["seconds"] >= 1 and node["seconds"] > LINEAR_WITHIN * size_ratio * before:
            grown.append((node["seconds"] - size_ratio * before, node["node"], before, node["seconds"]))
    lines = ["", f"## Nodes that grew faster than the data (4x to {largest['copies']}x)", "",
             f"Time at {largest['copies']}x against {size_ratio:g} times the time at 4x, for the nodes "
             f"more than {LINEAR_WITHIN}x above that and at least 1 s; seconds beyond linear, largest first"
             + (" (the larger build failed: the nodes it finished)" if largest["exit_code"] else "") + ".", ""]
    if not grown:
        return lines + ["None."]
    lines += [f"| node | 4x s | {largest['copies']}x s | growth / data growth | seconds beyond linear |",
              "|---|---:|---:|---:|---:|"]
    for excess, name, before, after in sorted(grown, reverse=True)[:SLOWEST_NODES]:
        lines.append(f"| `{name}` | {before:.1f} | {after:.1f} | {after / before / size_ratio:.2f} | "
                     f"{excess:.1f} |")
    return lines


def report(results: list[dict], started: dt.datetime, commit: str | None,
           snapshot: bool = False) -> str:
    if commit:
        code = f"commit `{_git_describe(commit)}` (clean export)"
    else:
        code = (f"{'a snapshot of ' if snapshot else ''}the working tree at "
                f"`{_git_describe('HEAD')}` (with any uncommitted changes)")
    out = [
        "# Scale benchmark",
        "",
        f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}.",
        f"Code: {code}.",
        "",
        "Command: `python bench/run.py --sizes "
        + " ".join(str(r["copies"]) for r in results) + "` (or `make bench`). Each size N is "
        "the embedded Complete Journey data copied N times with new household and basket ids "
        "(`bench/generate.py`); products and the promotion calendar stay as they are. Each build "
        "is `python -m recsys.build` from an empty database.",
        "",
        "Peak RSS: the largest sum of resident memory over the build's whole process tree, "
        f"sampled from /proc every {POLL_SECONDS} s. Largest process: the kernel's high-water "
        "mark of the single biggest process (wait4 ru_maxrss). Time per 1x: wall time / N. "
        "CPU s: user + system time of the whole tree. Load: the one-minute load average before "
        f"and after the build; above {os.cpu_count()} (the core count) other work on the "
        "machine stretched the wall times. Peak disk: the most disk space the build held at "
        "once (database and DuckDB spill files).",
        "",
        "| size | lines | customers | wall s | peak RSS GB | largest process GB | time per 1x s | "
        "CPU s | load before/after | database GB | peak disk GB | status |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        rows = r["rows"]
        status = "ok" if r["exit_code"] == 0 else f"failed (exit {r['exit_code']})"
        # A stopped build's dbt process was never reaped, so the kernel's figures miss it.
        stopped = r.get("stopped_at_cap_gb") or r.get("stopped_low_disk_gb")
        if r.get("stopped_at_cap_gb"):
            status = f"stopped above {r['stopped_at_cap_gb']:g} GB"
        if r.get("stopped_low_disk_gb"):
            status = f"stopped: disk down to {r['stopped_low_disk_gb']:.0f} GB free"
        out.append(
            f"| {r['copies']}x | {_number(r.get('input_lines', rows.get('raw_transactions')))} | "
            f"{_number(rows.get('users', rows.get('customers')))} | {r['wall_seconds']:.1f} | "
            f"{r['peak_rss_gb']:.2f} | {_number(None if stopped else r['largest_process_gb'], 2)} | "
            f"{_number(None if stopped else r['wall_seconds'] / r['copies'], 1)} | "
            f"{_number(None if stopped else r['cpu_seconds'])} | "
            f"{r['load_before']:.1f} / {r['load_after']:.1f} | {_number(r['database_gb'], 2)} | "
            f"{_number(r.get('peak_disk_gb'), 1)} | {status} |")
    out += ["", "## Growth from 4x", "",
            f"The target: time per 1x of data at most {LINEAR_WITHIN} times that at 4x (below 4x "
            "the fixed cost of starting dbt and parsing the project dominates).", ""]
    out += growth_lines(results)
    out += node_growth_lines(results)

    tables = sorted({name for r in results for name in r["rows"]},
                    key=lambda name: (COUNTED_TABLES + ("customers",)).index(name))
    if tables:
        out += ["", "## Rows in the main tables", "",
                "| size | " + " | ".join(tables) + " |",
                "|---:|" + "---:|" * len(tables)]
        for r in results:
            out.append(f"| {r['copies']}x | "
                       + " | ".join(_number(r["rows"].get(name)) for name in tables) + " |")

    out += ["", f"## Slowest nodes (top {SLOWEST_NODES} per size, from run_results.json)", ""]
    for r in results:
        total = sum(node["seconds"] for node in r["nodes"])
        out += [f"**{r['copies']}x** ({len(r['nodes'])} nodes, {total:.1f} s summed over "
                "nodes; two dbt threads run in parallel)", "",
                "| node | status | seconds | share of wall | peak RSS GB while it ran |",
                "|---|---|---:|---:|---:|"]
        for node in r["nodes"][:SLOWEST_NODES]:
            out.append(f"| `{node['node']}` | {node['status']} | {node['seconds']:.1f} | "
                       f"{node['seconds'] / r['wall_seconds']:.0%} | "
                       f"{_number(node['peak_rss_gb'], 2)} |")
        if r.get("error"):
            out += ["", "The build failed; the end of its log:", "", "```"] + r["error"] + ["```"]
        at_peak = running_at_peak(r)
        out += ["", f"At the peak of {r['peak_rss_gb']:.2f} GB dbt was running: "
                + (", ".join(f"`{name}`" for name in at_peak) if at_peak
                   else "no node (start-up, checks or the final swap)") + ".", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16, 40],
                        help="how many copies of the embedded data to build (default: 1 4 16 40)")
    parser.add_argument("--out", type=Path, default=BENCH / "scale.md",
                        help="markdown report to write (default: bench/scale.md)")
    parser.add_argument("--commit", metavar="REV",
                        help="build a clean export of this commit instead of the working tree")
    parser.add_argument("--snapshot", action="store_true",
                        help="build a copy of the working tree taken at the start, so that edits "
                             "made during the run do not mix sizes of different code")
    parser.add_argument("--memory-cap-gb", type=float, default=16.0,
                        help="stop a build whose process tree holds more than this (default 16; "
                             "0: no cap)")
    parser.add_argument("--min-free-disk-gb", type=float, default=20.0,
                        help="stop a build when its disk has less than this left (default 20)")
    parser.add_argument("--drop-databases", action="store_true",
                        help="delete each size's database once it is measured, so that the disk "
                             "holds one size at a time (100x needs about 60 GB)")
    parser.add_argument("--report-only", action="store_true",
                        help="build nothing: write the report from the sizes' saved "
                             "bench/runs/xN/result.json")
    args = parser.parse_args(argv)
    if args.report_only:
        saved = [BENCH / "runs" / f"x{size}" / "result.json" for size in sorted(set(args.sizes))]
        missing = [str(path.relative_to(REPO)) for path in saved if not path.is_file()]
        if missing:
            parser.error(f"no saved result in {', '.join(missing)}")
        results = [json.loads(path.read_text()) for path in saved]
        started = dt.datetime.fromtimestamp(min(r["rss_samples"][0][0] for r in results
                                                if r["rss_samples"]), dt.timezone.utc)
        args.out.write_text(report(results, started, results[0].get("commit"),
                                   results[0].get("snapshot", False)))
        print(f"wrote {args.out}")
        return 0
    if args.commit and args.snapshot:
        parser.error("--commit and --snapshot exclude each other")
    if any(size < 1 for size in args.sizes):
        parser.error("every size must be at least 1")

    started = dt.datetime.now(dt.timezone.utc)
    tree, commit = export_commit(args.commit) if args.commit else (REPO, None)
    if commit:
        print(f"building commit {commit[:10]} exported to {tree.relative_to(REPO)}", flush=True)
    if args.snapshot:
        tree = snapshot_working_tree()
        print(f"building a snapshot of the working tree in {tree.relative_to(REPO)}", flush=True)
    results = []
    for size in sorted(set(args.sizes)):
        result = run_size(size, tree, args.memory_cap_gb or None, args.drop_databases,
                          args.min_free_disk_gb)
        # What was built, so that --report-only can describe it later.
        result.update(commit=commit, snapshot=args.snapshot)
        (BENCH / "runs" / f"x{size}" / "result.json").write_text(json.dumps(result, indent=2) + "\n")
        results.append(result)
    args.out.write_text(report(results, started, commit, args.snapshot))
    print(f"wrote {args.out}")
    for line in growth_lines(results):
        print(line)
    return 0 if all(r["exit_code"] == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
