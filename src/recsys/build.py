"""`make run`: check the raw data, then `dbt build` into a new database and swap it in.

The database that analysts read is replaced only when the whole build, tests included, has
passed. A bad input file or a failing test leaves the previous database as it was, and the
command exits non-zero with one line that names the file and the problem.

One build per database at a time: a second build of the same database refuses at once (exit 3)
while the first runs. Each run works in its own staging folder beside the database, so a run
never touches another run's files, and the database is built from empty, so it does not grow
from one build to the next. Export files that the build writes are staged the same way and
replace the live exports folder together with the database. What lies beside the database, and
what a build may replace, is in :mod:`recsys.paths`.

A build dies with whoever started it: killing `make`, this process or its process group stops
dbt too (see :mod:`recsys.processes`), so no orphan keeps the lock or publishes a database later.

    python -m recsys.build [--data-dir DIR] [--grid] [-- extra dbt arguments]
    python -m recsys.build --target spark [--data-dir DIR]   (docs/spark.md)
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import yaml

from recsys import ledger, paths, report, sources
from recsys.paths import REPO
from recsys.processes import run_child, stop_with_parent

BAD_INPUT_EXIT = 2
LOCKED_EXIT = 3


def wal(database: Path) -> Path:
    """DuckDB's write-ahead log beside ``database``."""
    return database.with_name(database.name + ".wal")


class BuildLocked(Exception):
    """Another build of the same database is running."""


@contextmanager
def database_lock(database: Path) -> Iterator[int]:
    """Hold the build lock of ``database`` (the file ``<database>.lock``) and yield its descriptor.

    flock: the kernel releases the lock when every process holding it has ended, even after a
    SIGKILL, so a lock never outlives its build. The lock file itself stays: deleting it would
    let two runs lock two different files of the same name.
    """
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(paths.beside(database, "lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise BuildLocked(f"another build of {database} is running (started by pid {holder}); "
                              "run again when it has finished") from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, str(os.getpid()).encode(), 0)
        yield descriptor
    finally:
        os.close(descriptor)


# --- staging ----------------------------------------------------------------------------------

def remove_path(path: Path) -> None:
    """Remove a folder with what it holds, a file, or a link (not what it points to: a link to
    an export folder that died before it was swapped in); nothing if there is none."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def staging_folder(database: Path) -> Path:
    """Where a build writes the new ``database`` until it replaces the live one (one per
    database: see :class:`Staging`)."""
    return database.with_name(f".{database.name}.building")


class Staging:
    """One run's private folders: the new database and its exports, swapped in by :meth:`publish`.

    Both lie beside their live counterparts (same file system, so the swap is a rename): the
    database in ``.<db name>.building/``, the exports under a name unique to the run (the live
    link points into the previous run's until the swap). Create it only while holding
    :func:`database_lock`.

    The export files stay where the build wrote them, because the database's export views
    (dbt-duckdb's external materialization) name that folder: the live exports path becomes a
    symbolic link to it, swapped in one rename. The folder carries the exports marker
    (:mod:`recsys.paths`), so that the next build knows it may replace it, and is readable by
    every account (0755 folders, 0644 files): the sending systems may run as other users.
    """

    def __init__(self, database: Path, exports: Path):
        self.live_database, self.live_exports = database, exports
        # One staging database path per database, not per run: it is the profile's path, and a
        # new one made dbt parse the whole project on every build (9.8 s) instead of the files
        # that changed (bench/history.md). Under the lock, what is there is a killed run's.
        self.database_folder = staging_folder(database)
        remove_path(self.database_folder)
        self.database_folder.mkdir()
        exports.parent.mkdir(parents=True, exist_ok=True)
        self.exports_folder = Path(tempfile.mkdtemp(prefix=self._run_prefix("exports"), dir=exports.parent))
        # the same file name as the live database: dbt-duckdb names the catalog after it
        self.database = self.database_folder / database.name
        self.exports = self.exports_folder / exports.name
        paths.claim_folder(self.exports, paths.EXPORTS_MARKER, "RECSYS_EXPORTS")
        self.exports_published = False

    def _name(self, kind: str) -> str:
        return f".{self.live_database.name}.{kind}"

    def _run_prefix(self, kind: str) -> str:
        """What the names of folders made anew by each run start with."""
        return self._name(kind) + "-"

    def leftovers(self) -> list[Path]:
        """Staging folders of earlier runs of this database that died before cleaning up.

        Only valid under the lock: every live run of this database holds it, so no other run
        owns any of these.
        """
        # (.<db>.building-* are the staging folders of earlier versions, one per run)
        found = [*self.live_database.parent.glob(self._run_prefix("building") + "*"),
                 *self.live_exports.parent.glob(self._run_prefix("exports") + "*")]
        keep = {self.database_folder, self.exports_folder, self._live_exports_folder()}
        return [path for path in found if path not in keep]

    def _live_exports_folder(self) -> Path | None:
        """The staging folder of the run whose exports are live, where the live link points."""
        if not self.live_exports.is_symlink():
            return None
        folder = self.live_exports.resolve().parent
        return folder if folder.name.startswith(self._run_prefix("exports")) else None

    def seed_from_live(self) -> None:
        """Start from a compacted copy of the live database (for a build of selected models only)."""
        if not self.live_database.exists():
            return
        con = duckdb.connect(str(self.database))
        try:
            con.execute(f"attach {sources.sql_string(self.live_database)} as live (read_only)")
            (name,) = con.execute("select current_database()").fetchone()
            con.execute(f'copy from database live to "{name}"')
        finally:
            con.close()

    def publish(self) -> None:
        """Replace the live database, and the live exports if this build wrote any."""
        # Opening and closing folds any write-ahead log into the new file, so only the file
        # moves; the live file's old log belongs to the old file and must not be replayed.
        duckdb.connect(str(self.database)).close()
        wal(self.live_database).unlink(missing_ok=True)
        os.replace(self.database, self.live_database)
        if self.exports.is_dir() and any(path.name != paths.EXPORTS_MARKER for path in self.exports.iterdir()):
            self._link_exports()

    def _link_exports(self) -> None:
        paths.readable_by_all(self.exports_folder)
        previous = self._live_exports_folder()
        if self.live_exports.is_dir() and not self.live_exports.is_symlink():
            # a folder a plain dbt build wrote (it carries the marker; paths.folder_problem
            # refused anything else before the build): it goes with this run's staging folder
            os.rename(self.live_exports, self.database_folder / "previous-exports")
        link = self.exports_folder.with_name(self.exports_folder.name + ".link")
        os.symlink(os.path.relpath(self.exports, self.live_exports.parent), link)
        os.replace(link, self.live_exports)
        self.exports_published = True
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def remove(self) -> None:
        shutil.rmtree(self.database_folder, ignore_errors=True)
        if not self.exports_published:
            shutil.rmtree(self.exports_folder, ignore_errors=True)


# --- the build --------------------------------------------------------------------------------

def output_problem(database: Path) -> str:
    """'' when a build may write ``database`` and replace what lies beside it, else why not."""
    return (paths.database_problem(database)
            or paths.folder_problem(paths.exports_path(database), paths.EXPORTS_MARKER, "RECSYS_EXPORTS")
            or paths.report_problem(paths.report_path(database)))


def project_vars(extra: list[str]) -> dict:
    """The project's vars (dbt_project.yml), with a `--vars` among the extra dbt arguments on top."""
    variables = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    for flag, value in zip(extra, extra[1:]):
        if flag == "--vars":
            variables.update(yaml.safe_load(value))
    return variables


def check_data(data_dir: str | None, extra: list[str]) -> sources.DataSource:
    """Locate and check the input files, and that they span the weeks the build needs (the same
    checks as dbt's on-run-start hook, so that a problem is one line before dbt starts)."""
    source = sources.locate(data_dir)
    sources.check(source)
    variables = project_vars(extra)
    sources.check_weeks(source, variables["horizon_weeks"], variables["backtest_folds"])
    return source


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


def dbt_environment(database: Path, **settings: str) -> dict[str, str]:
    """dbt's environment for a build of ``database``: its log and target folders beside it
    (unless DBT_LOG_PATH or DBT_TARGET_PATH name others), so that builds of two databases never
    share them, and ``settings`` on top."""
    env = {"DBT_LOG_PATH": str(paths.beside(database, "logs")),
           "DBT_TARGET_PATH": str(paths.beside(database, "target")), **os.environ}
    return {**env, **settings}


def build(data_dir: str | None, grid: bool = False, extra: list[str] = ()) -> int:
    target = paths.database_path()
    try:
        problem = output_problem(target)
        if problem:
            raise paths.OutputError(problem)
        source = check_data(data_dir, list(extra))
        ledger.check(paths.ledger_path(target))
    except (sources.DataError, paths.OutputError, ledger.LedgerError) as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT_EXIT

    try:
        with database_lock(target) as lock:
            staging = Staging(target, paths.exports_path(target))
            try:
                for leftover in staging.leftovers():
                    remove_path(leftover)
                returncode, seconds = run_dbt(staging, lock, dbt_command(data_dir, grid, list(extra)),
                                              keep_tables=bool(extra))
                if returncode != 0:
                    kept = f"{target} is unchanged" if target.exists() else f"{target} was not created"
                    print(f"error: dbt build failed after {seconds:.1f} s (see the lines above); {kept}",
                          file=sys.stderr)
                    return returncode
                staging.publish()
            finally:
                staging.remove()
            print(f"built {target} from {source.folder} ({source.layout}) in {seconds:.1f} s")
            # under the lock, so that the report describes the database it was written beside
            return report.main(["--database", str(target)])
    except BuildLocked as error:
        print(f"error: {error}", file=sys.stderr)
        return LOCKED_EXIT


def build_spark(data_dir: str | None, grid: bool = False, extra: list[str] = ()) -> int:
    """`make run TARGET=spark`: the whole project on the profile's spark target. Spark replaces
    its tables one at a time, like plain dbt."""
    try:
        check_data(data_dir, list(extra))
    except sources.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_INPUT_EXIT
    started = time.perf_counter()
    returncode = run_child(dbt_command(data_dir, grid, ["--target", "spark", *extra]))
    seconds = time.perf_counter() - started
    if returncode != 0:
        print(f"error: dbt build on Spark failed after {seconds:.1f} s (see the lines above)", file=sys.stderr)
        return returncode
    print(f"built the project on Spark in {seconds:.1f} s")
    return 0


def run_dbt(staging: Staging, lock: int, command: list[str], keep_tables: bool) -> tuple[int, float]:
    """Run dbt into the staging database; return its exit code and the seconds it took.

    A full build starts from an empty database: starting from a copy would leave the old
    tables' free space in the file, which then doubles in size. A build of selected models
    (extra dbt arguments) needs the other tables and starts from a compacted copy.
    """
    started = time.perf_counter()
    if keep_tables:
        staging.seed_from_live()
    env = dbt_environment(staging.live_database, RECSYS_DB=str(staging.database),
                          RECSYS_EXPORTS=str(staging.exports),
                          RECSYS_LEDGER=str(paths.ledger_path(staging.live_database)))
    returncode = run_child(command, env, pass_fds=(lock,))
    return returncode, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    stop_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR") or None,
                        help="folder with the raw files (default: the embedded Complete Journey data)")
    parser.add_argument("--grid", action="store_true", help="also build the opt-in ALS grid search (als_grid)")
    parser.add_argument("--target", choices=("duckdb", "spark"), default="duckdb",
                        help="spark: build the project on the profile's spark target")
    parser.add_argument("dbt_args", nargs="*", help="extra arguments for dbt build")
    args = parser.parse_args(argv)
    if args.target == "spark":
        return build_spark(args.data_dir, args.grid, args.dbt_args)
    return build(args.data_dir, args.grid, args.dbt_args)


if __name__ == "__main__":
    sys.exit(main())
