"""Shared fixtures: the sample data in both layouts, and isolated builds.

Several people build in this tree at once, so a test never touches the repository's database or
dbt's target folder: every build runs with its own RECSYS_DB, DBT_TARGET_PATH and DBT_LOG_PATH
under a tmp folder (see :class:`Workspace`).

`make test` runs the test files on two pytest-xdist workers (pyproject.toml): a build is mostly
one-threaded work (dbt's parse, Python models, subprocess start-up), so one worker leaves a core
idle. The builds that many files read (the samples', the embedded one) are made once for both
workers: :func:`shared_build`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable, NamedTuple

import duckdb
import pytest

import fixtures
from recsys import paths

REPO = Path(__file__).resolve().parents[2]

# Extra dbt arguments for every test build. Empty: the full project is built, tests included.
# Narrow it (e.g. ["--select", "+stg_transactions"]) only while a model in progress breaks the
# full build.
BUILD_DBT_ARGS: list[str] = []


class Run(NamedTuple):
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        """The tail of the run's output, for assertion messages."""
        return (f"exit {self.returncode}\n--- stdout\n{self.stdout[-4000:]}"
                f"\n--- stderr\n{self.stderr[-4000:]}")


class Workspace:
    """A tmp folder with its own database, dbt target and log folders."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.database = self.root / "recsys.duckdb"

    @property
    def env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key != "DATA_DIR"}
        env.update(RECSYS_DB=str(self.database), DBT_TARGET_PATH=str(self.root / "target"),
                   DBT_LOG_PATH=str(self.root / "logs"), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
                   DBT_USE_COLORS="false")
        return env

    def _run(self, command: list[str]) -> Run:
        result = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True,
                                timeout=1800)
        return Run(result.returncode, result.stdout, result.stderr)

    def build(self, data_dir: str | Path | None, *dbt_args: str) -> Run:
        """``python -m recsys.build --data-dir data_dir [-- dbt_args]``, as `make run` does."""
        command = [sys.executable, "-m", "recsys.build"]
        if data_dir is not None:
            command += ["--data-dir", str(data_dir)]
        extra = [*BUILD_DBT_ARGS, *dbt_args]
        if extra:
            command += ["--", *extra]
        return self._run(command)

    def dbt(self, *args: str) -> Run:
        """Plain ``dbt ARGS`` against this workspace's database, without the build wrapper."""
        return self._run([str(Path(sys.executable).with_name("dbt")), *args])

    def staging_folders(self) -> list[str]:
        """The staging folders of builds of this database, live or left behind; not the folder
        that holds the live exports (the exports link points into it)."""
        live_exports = paths.exports_path(self.database)
        assert not live_exports.exists() or live_exports.is_symlink(), live_exports
        live = live_exports.resolve().parent.name if live_exports.exists() else None
        return sorted(path.name for path in self.root.glob(f".{self.database.name}.*")
                      if path.name != live)

    def copy_database(self, other: Workspace) -> None:
        """Start from a copy of ``other``'s database, for a test that writes to it."""
        shutil.copyfile(other.database, self.database)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.database), read_only=True)

    def table_counts(self) -> dict[str, int]:
        """Row count of every table and view in the database; raises if it does not open."""
        con = self.connect()
        try:
            names = [name for (name,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' order by table_name").fetchall()]
            return {name: con.execute(f'select count(*) from "{name}"').fetchall()[0][0]
                    for name in names}
        finally:
            con.close()


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    """An empty workspace for one test."""
    return Workspace(tmp_path / "workspace")


@pytest.fixture(scope="session")
def new_workspace(tmp_path_factory):
    """Make a workspace in a new tmp folder named ``name``; for module-scoped builds."""
    def make(name: str) -> Workspace:
        return Workspace(tmp_path_factory.mktemp(name) / "workspace")
    return make


@pytest.fixture(scope="session")
def copy_for_dbt(new_workspace):
    """``copy_for_dbt(workspace, name)``: a new workspace holding a copy of ``workspace``'s
    database, for a dbt command against a shared build. dbt opens its database for writing, which
    DuckDB refuses while another process has the file open, and the other worker may be reading
    the shared one (and a writer would lock out its readers)."""
    def copy(workspace: Workspace, name: str) -> Workspace:
        new = new_workspace(name)
        new.copy_database(workspace)
        return new
    return copy


def _session_root(tmp_path_factory) -> Path:
    """The tmp folder of the whole session: under pytest-xdist each worker's basetemp is a folder
    inside it (popen-gw0, ...), without xdist it is the basetemp itself."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def shared_build(tmp_path_factory):
    """``shared_build(name, build)``: the (Workspace, Run) of ``build(workspace)`` in a workspace
    called ``name``, run by the first worker that asks, under a file lock; the others wait for it
    and read its Run from a file. Treat the database as read-only (Workspace.copy_database)."""
    def get(name: str, build: Callable[[Workspace], Run]) -> tuple[Workspace, Run]:
        workspace = Workspace(_session_root(tmp_path_factory) / name / "workspace")
        record = workspace.root.parent / "run.json"
        with open(workspace.root.parent / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not record.exists():
                record.write_text(json.dumps(build(workspace)._asdict()))
        return workspace, Run(**json.loads(record.read_text()))
    return get


@pytest.fixture(scope="session")
def sample_con():
    """The sample of the embedded data (see fixtures.py), computed once per session."""
    con = fixtures.sample_connection()
    yield con
    con.close()


@pytest.fixture(scope="session")
def csv_sample_dir(tmp_path_factory, sample_con) -> Path:
    """The sample in the course's CSV layout, written once per worker. Treat it as read-only:
    tests that break files copy it first (fixtures.make_bad_csv_case)."""
    return fixtures.write_csv_layout(tmp_path_factory.mktemp("csv_sample"), con=sample_con)


@pytest.fixture(scope="session")
def parquet_sample_dir(tmp_path_factory, sample_con) -> Path:
    """The same sample in the parquet layout, written once per worker."""
    return fixtures.write_parquet_layout(tmp_path_factory.mktemp("parquet_sample"), con=sample_con)


def _sample_build(shared_build, name: str, data_dir: Path) -> tuple[Workspace, Run]:
    workspace, run = shared_build(name, lambda workspace: workspace.build(data_dir))
    assert run.returncode == 0, run.describe()
    return workspace, run


@pytest.fixture(scope="session")
def csv_sample_build(shared_build, csv_sample_dir) -> tuple[Workspace, Run]:
    """The wrapper's build of the CSV sample, once per session for every test that reads it. Treat
    it as read-only: a test that writes to a database starts from a copy (Workspace.copy_database)."""
    return _sample_build(shared_build, "csv_sample_build", csv_sample_dir)


@pytest.fixture(scope="session")
def parquet_sample_build(shared_build, parquet_sample_dir) -> tuple[Workspace, Run]:
    """The same for the parquet sample (read-only)."""
    return _sample_build(shared_build, "parquet_sample_build", parquet_sample_dir)


# The longest test files, run first so that the two xdist workers (which take files in collection
# order) end close together instead of one waiting for the other's last long file.
SLOW_FILES_FIRST = ("test_spark.py", "test_build.py", "test_campaign.py", "test_embedded_build.py",
                    "test_outputs.py")


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        name = item.path.name
        return SLOW_FILES_FIRST.index(name) if name in SLOW_FILES_FIRST else len(SLOW_FILES_FIRST)
    items.sort(key=rank)
