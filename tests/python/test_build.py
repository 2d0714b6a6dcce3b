"""`make run` (recsys.build): one build per database, private staging, exports swapped with the
database, a file that does not grow, safe paths, and a killed build that harms nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from recsys import build, paths, processes

REPO = Path(__file__).resolve().parents[2]


def start_build(workspace, data_dir) -> subprocess.Popen:
    """`python -m recsys.build` in the background, in its own process group."""
    return subprocess.Popen([sys.executable, "-m", "recsys.build", "--data-dir", str(data_dir)],
                            cwd=REPO, env=workspace.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def fewer_products(csv_sample_dir, folder: Path, drop: int = 500) -> Path:
    """The sample with its last ``drop`` products left out: a build from it is recognisable."""
    shutil.copytree(csv_sample_dir, folder)
    lines = (folder / "product.csv").read_text().rstrip("\n").split("\n")
    (folder / "product.csv").write_text("\n".join(lines[:-drop]) + "\n")
    return folder


def product_count(data_dir: Path) -> int:
    return len((data_dir / "product.csv").read_text().rstrip("\n").split("\n")) - 1


# --- the lock ---------------------------------------------------------------------------------

def test_second_build_of_the_same_database_refuses_at_once(workspace, csv_sample_dir):
    workspace.database.write_bytes(b"the previous database")
    with build.database_lock(workspace.database):
        started = time.monotonic()
        run = workspace.build(csv_sample_dir)
        seconds = time.monotonic() - started
    assert run.returncode == build.LOCKED_EXIT, run.describe()
    assert run.stderr.strip().splitlines() == [
        f"error: another build of {workspace.database} is running (started by pid {os.getpid()}); "
        "run again when it has finished"], run.stderr
    assert "Running with dbt" not in run.stdout
    assert seconds < 60, "it refused at once, not after waiting"
    assert workspace.database.read_bytes() == b"the previous database"
    assert workspace.staging_folders() == []


def test_lock_is_free_again_when_its_holder_ends(workspace):
    with build.database_lock(workspace.database):
        with pytest.raises(build.BuildLocked):
            with build.database_lock(workspace.database):
                pass
    with build.database_lock(workspace.database):
        pass


# --- staging and the exports folder, with dbt replaced by a fake ------------------------------

class FakeDbt:
    """Stands in for the dbt subprocess: writes a database and, optionally, export files."""

    def __init__(self, returncode: int, exports: dict[str, str] | None):
        self.returncode, self.exports, self.env = returncode, exports, None

    def __call__(self, command, cwd, env, pass_fds, preexec_fn):
        self.env = env
        con = duckdb.connect(env["RECSYS_DB"])
        con.execute("create table built_by as select 'the new build' as build")
        con.close()
        if self.exports is not None:
            folder = Path(env["RECSYS_EXPORTS"])
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in self.exports.items():
                (folder / name).write_text(text)
        return subprocess.CompletedProcess(command, self.returncode)


@pytest.fixture
def live(tmp_path, monkeypatch, csv_sample_dir):
    """A folder with a live database and a live exports folder; RECSYS_DB points at it."""
    database = tmp_path / "recsys.duckdb"
    con = duckdb.connect(str(database))
    con.execute("create table built_by as select 'the old build' as build")
    con.close()
    exports = paths.exports_path(database)
    exports.mkdir()
    (exports / "old_send.csv").write_text("old")
    (exports / paths.EXPORTS_MARKER).touch()  # as a plain dbt build leaves it
    monkeypatch.setenv("RECSYS_DB", str(database))
    monkeypatch.delenv("RECSYS_EXPORTS", raising=False)
    return database, exports


def run_fake_build(monkeypatch, csv_sample_dir, fake: FakeDbt) -> int:
    monkeypatch.setattr(processes.subprocess, "run", fake)
    return build.build(str(csv_sample_dir))


def built_by(database: Path) -> str:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("select build from built_by").fetchone()[0]
    finally:
        con.close()


def test_successful_build_replaces_database_and_exports_together(live, monkeypatch, csv_sample_dir):
    database, exports = live
    fake = FakeDbt(0, {"send_1.csv": "new", "send_1.parquet": "new"})
    assert run_fake_build(monkeypatch, csv_sample_dir, fake) == 0
    # during the build both pointed into the run's own staging folders, not at the live ones
    assert Path(fake.env["RECSYS_DB"]).parent.name == ".recsys.duckdb.building"
    assert Path(fake.env["RECSYS_EXPORTS"]).parent.name.startswith(".recsys.duckdb.exports-")
    assert built_by(database) == "the new build"
    # replaced, not merged: the old export is gone
    assert sorted(path.name for path in exports.iterdir()) == [paths.EXPORTS_MARKER, "send_1.csv",
                                                              "send_1.parquet"]
    # readable by the sending systems, whatever the umask: files 0644, folders 0755
    assert {(path.stat().st_mode & 0o777) for path in exports.iterdir()} == {0o644}
    assert exports.resolve().stat().st_mode & 0o777 == 0o755
    assert exports.resolve().parent.stat().st_mode & 0o777 == 0o755
    # the files stay where the build wrote them (the export views name that folder): the live
    # path is a link to the run's exports folder, the only staging folder left
    first = Path(fake.env["RECSYS_EXPORTS"])
    assert exports.is_symlink() and exports.resolve() == first.resolve()
    assert [path.name for path in database.parent.glob(".recsys.duckdb.*")] == [first.parent.name]

    # the next build's link replaces it, and the previous build's folder goes
    again = FakeDbt(0, {"send_2.csv": "newer"})
    assert run_fake_build(monkeypatch, csv_sample_dir, again) == 0
    second = Path(again.env["RECSYS_EXPORTS"])
    assert second != first and exports.resolve() == second.resolve()
    assert sorted(path.name for path in exports.iterdir()) == [paths.EXPORTS_MARKER, "send_2.csv"]
    assert [path.name for path in database.parent.glob(".recsys.duckdb.*")] == [second.parent.name]


def test_staging_database_keeps_its_path_and_what_killed_runs_left_goes(live, monkeypatch, csv_sample_dir):
    """dbt's profile names the staging database: one path for every build of a database keeps
    dbt's partial parse. A killed run's database there, and an earlier version's per-run
    staging folder, are removed first."""
    database, _ = live
    staging = database.parent / ".recsys.duckdb.building"
    staging.mkdir()
    (staging / "recsys.duckdb").write_bytes(b"half of a killed run's database")
    older = database.parent / ".recsys.duckdb.building-x1y2z3"
    older.mkdir()
    fakes = [FakeDbt(0, None), FakeDbt(0, None)]
    for fake in fakes:
        assert run_fake_build(monkeypatch, csv_sample_dir, fake) == 0
    assert fakes[0].env["RECSYS_DB"] == fakes[1].env["RECSYS_DB"] == str(staging / "recsys.duckdb")
    assert built_by(database) == "the new build"
    assert list(database.parent.glob(".recsys.duckdb.*")) == []


def test_failed_build_leaves_database_and_exports_untouched(live, monkeypatch, csv_sample_dir):
    database, exports = live
    assert run_fake_build(monkeypatch, csv_sample_dir, FakeDbt(1, {"send_1.csv": "new"})) == 1
    assert built_by(database) == "the old build"
    assert sorted(path.name for path in exports.iterdir()) == [paths.EXPORTS_MARKER, "old_send.csv"]
    assert [path.name for path in database.parent.glob(".recsys.duckdb.*")] == []


def test_build_without_exports_leaves_the_exports_folder_alone(live, monkeypatch, csv_sample_dir):
    database, exports = live
    assert run_fake_build(monkeypatch, csv_sample_dir, FakeDbt(0, None)) == 0
    assert built_by(database) == "the new build"
    assert sorted(path.name for path in exports.iterdir()) == [paths.EXPORTS_MARKER, "old_send.csv"]


def test_recsys_exports_names_the_live_folder(live, monkeypatch, csv_sample_dir, tmp_path):
    database, _ = live
    elsewhere = tmp_path / "elsewhere" / "mail"
    monkeypatch.setenv("RECSYS_EXPORTS", str(elsewhere))
    assert run_fake_build(monkeypatch, csv_sample_dir, FakeDbt(0, {"send_1.csv": "new"})) == 0
    assert sorted(path.name for path in elsewhere.iterdir()) == [paths.EXPORTS_MARKER, "send_1.csv"]
    # the link and the folder it points to, beside each other in the named folder's parent
    assert sorted(path.name for path in elsewhere.parent.iterdir()) == sorted([
        elsewhere.resolve().parent.name, "mail"])
    assert elsewhere.resolve().parent.name.startswith(".recsys.duckdb.exports-")


# --- real builds ------------------------------------------------------------------------------

def test_two_builds_at_once(workspace, csv_sample_dir, tmp_path):
    """Two builds of one database from two folders: one builds, the other refuses at once; the
    database is entirely the successful run's."""
    folders = [csv_sample_dir, fewer_products(csv_sample_dir, tmp_path / "fewer")]
    runs = [start_build(workspace, folder) for folder in folders]
    outputs = [run.communicate(timeout=1800) for run in runs]
    codes = [run.returncode for run in runs]
    assert 0 in codes, outputs
    for code, (_, stderr) in zip(codes, outputs):
        if code != 0:
            assert code == build.LOCKED_EXIT, stderr
            assert stderr.strip().splitlines()[-1].startswith(
                f"error: another build of {workspace.database} is running"), stderr
    winner = folders[codes.index(0)]
    counts = workspace.table_counts()
    assert counts["stg_products"] == product_count(winner), (counts, winner)
    assert counts["email_recommendations"] > 0
    assert workspace.staging_folders() == []


def test_killed_build_harms_nothing_and_the_next_make_run_takes_any_path_and_cleans_up(
        workspace, csv_sample_dir, csv_sample_build, tmp_path):
    """A build killed while it writes leaves the live database as it was; the next `make run`,
    from a folder whose name has a quote, a double quote, a backtick, a $ and spaces, builds
    from exactly that folder, removes what the killed one left, and the file keeps its size (one
    test: each half needs a full build of the sample)."""
    workspace.copy_database(csv_sample_build[0])  # the live database, as a first build leaves it
    counts = workspace.table_counts()
    size = workspace.database.stat().st_size

    killed = start_build(workspace, csv_sample_dir)
    # kill it once dbt is writing the new database (as a closed terminal or the OOM killer would)
    wait_for(lambda: list(workspace.root.glob(f".{workspace.database.name}.building/*.duckdb")),
             "the build to start writing")
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(timeout=60)
    assert killed.returncode == -signal.SIGKILL
    assert workspace.table_counts() == counts
    assert workspace.staging_folders() != [], "the kill happened after the build had started"

    data_dir = tmp_path / "it's a \"dir\" `echo pwned` $HOME $(x)"
    shutil.copytree(csv_sample_dir, data_dir)
    again = subprocess.run(["make", "--no-print-directory", "-s", "run", f"DATA_DIR={data_dir}"],
                           cwd=REPO, env=workspace.env, capture_output=True, text=True, timeout=1800)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"built {workspace.database} from {data_dir} (csv)" in again.stdout, again.stdout[-2000:]
    assert workspace.table_counts() == counts
    assert workspace.staging_folders() == [], "the next build removed what the killed one left"
    assert 0.9 * size <= workspace.database.stat().st_size <= 1.1 * size, (size, workspace.database.stat().st_size)
