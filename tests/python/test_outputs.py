"""Nothing the user owns is lost (issue 27): a build only replaces what it wrote, every database
keeps its outputs beside it under its own name, the exports are readable by other accounts, odd
or too little data gets a clear answer, and a killed `make` or wrapper stops the whole build."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

import fixtures
from recsys import build, paths

# embedded: the workspace of the session's embedded build (module-scoped, built once)
from test_embedded_build import embedded  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
IS_ROOT = os.geteuid() == 0


def wrapper(env: dict[str, str], data_dir: Path | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "recsys.build"]
    if data_dir is not None:
        command += ["--data-dir", str(data_dir)]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)


def one_error_line(run: subprocess.CompletedProcess) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr[-3000:]
    return lines[0]


def previous_database(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create table built_by as select 'the previous build' as build")
    con.close()
    return path


def still_previous(path: Path) -> bool:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select build from built_by").fetchone()[0] == "the previous build"
    finally:
        con.close()


def readable_folder() -> Path:
    """A new folder under /tmp that every account may enter (pytest's tmp folders are 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="recsys-outputs-", dir="/tmp"))
    folder.chmod(0o755)
    return folder


# --- a build replaces only what it wrote ------------------------------------------------------

def user_files(kind: str, root: Path) -> tuple[Path, dict[str, str]]:
    """The path RECSYS_EXPORTS names, holding what a user keeps there, and extra environment."""
    if kind == "file":
        path = root / "notes.txt"
        path.write_text("keep")
        return path, {}
    if kind == "folder":
        path = root / "userdocs"
    else:  # the home folder, as RECSYS_EXPORTS=$HOME would name it
        path = root / "home"
    path.mkdir()
    (path / "precious.txt").write_text("keep")
    return path, ({"HOME": str(path)} if kind == "home" else {})


@pytest.mark.parametrize("kind", ["file", "folder", "home"])
def test_build_refuses_an_exports_path_holding_user_files(kind, workspace, csv_sample_dir):
    target, extra_env = user_files(kind, workspace.root)
    before = {path: path.read_bytes() for path in [target, *target.rglob("*")] if path.is_file()}
    database = previous_database(workspace.database)
    run = wrapper({**workspace.env, **extra_env, "RECSYS_EXPORTS": str(target)}, csv_sample_dir)
    assert run.returncode == build.BAD_INPUT_EXIT, run.stderr
    line = one_error_line(run)
    what = "is a file, not a folder" if kind == "file" else "holds files this project did not write"
    assert line == f"error: RECSYS_EXPORTS={target} {what}; choose an empty folder"
    assert {path: path.read_bytes() for path in before} == before and not target.is_symlink()
    assert still_previous(database) and workspace.staging_folders() == []
    assert "Running with dbt" not in run.stdout, "refused before any work"


def test_the_repository_root_is_never_an_exports_folder(monkeypatch):
    """RECSYS_EXPORTS=. names the repository root (relative paths are read from it): refused.
    Checked without a build, so that a fault here could never touch the checkout."""
    monkeypatch.setenv("RECSYS_EXPORTS", ".")
    assert paths.exports_path(REPO / "recsys.duckdb") == REPO / "."
    assert build.output_problem(REPO / "recsys.duckdb") == (
        "RECSYS_EXPORTS=. holds files this project did not write; choose an empty folder")


def test_build_refuses_a_report_it_did_not_write(workspace, csv_sample_dir):
    report = paths.report_path(workspace.database)
    report.write_text("<html>the user's own page</html>")
    run = wrapper(workspace.env, csv_sample_dir)
    assert run.returncode == build.BAD_INPUT_EXIT
    assert one_error_line(run) == (f"error: {report} is not a report this project wrote; "
                                   "move it away or name another file")
    assert report.read_text() == "<html>the user's own page</html>"


def test_plain_dbt_refuses_an_exports_folder_holding_user_files(workspace, csv_sample_dir):
    target, _ = user_files("folder", workspace.root)
    run = subprocess.run([str(Path(sys.executable).with_name("dbt")), "build", "--vars",
                          f"{{data_dir: '{csv_sample_dir}'}}"], cwd=REPO,
                         env={**workspace.env, "RECSYS_EXPORTS": str(target)},
                         capture_output=True, text=True, timeout=600)
    assert run.returncode != 0
    first = next(line for line in run.stderr.splitlines() if line.startswith("error: "))
    assert first == (f"error: RECSYS_EXPORTS={target} holds files this project did not write; "
                     "choose an empty folder")
    assert sorted(path.name for path in target.iterdir()) == ["precious.txt"]


# --- the database path -------------------------------------------------------------------------

def test_a_database_path_that_is_a_folder_is_refused_first(workspace, csv_sample_dir):
    workspace.database.mkdir(parents=True)
    started = time.monotonic()
    run = wrapper(workspace.env, csv_sample_dir)
    assert run.returncode == build.BAD_INPUT_EXIT
    assert one_error_line(run) == f"error: RECSYS_DB={workspace.database} is a folder; name a database file"
    assert time.monotonic() - started < 60 and "Running with dbt" not in run.stdout


def test_a_database_in_a_folder_it_cannot_write_is_refused_first(workspace):
    """A read-only folder; as root, an immutable one (root may write in any folder but those)."""
    folder = workspace.root / "read-only"
    folder.mkdir()
    database = folder / "recsys.duckdb"
    lock = ["chattr", "+i", str(folder)] if IS_ROOT else ["chmod", "555", str(folder)]
    unlock = ["chattr", "-i", str(folder)] if IS_ROOT else ["chmod", "755", str(folder)]
    subprocess.run(lock, check=True)
    try:
        run = wrapper({**workspace.env, "RECSYS_DB": str(database)})
    finally:
        subprocess.run(unlock, check=True)
    assert run.returncode == build.BAD_INPUT_EXIT, run.stderr
    assert one_error_line(run) == f"error: RECSYS_DB={database}: no permission to write in {folder}"
    assert list(folder.iterdir()) == []


# --- too little data ---------------------------------------------------------------------------

def weeks_of_sample(csv_sample_dir: Path, folder: Path, weeks: range, households: int = 20) -> Path:
    """The CSV sample cut to ``households`` customers and the given weeks."""
    shutil.copytree(csv_sample_dir, folder)
    transactions = folder / "retail_train.csv"
    con = duckdb.connect()
    con.execute(f"""
        copy (
            select * from read_csv({fixtures._quoted(csv_sample_dir / 'retail_train.csv')}, header = true,
                                   all_varchar = true)
            where cast("WEEK_NO" as integer) between {weeks.start} and {weeks.stop - 1}
                and cast(household_key as bigint) in (
                    select distinct cast(household_key as bigint)
                    from read_csv({fixtures._quoted(csv_sample_dir / 'retail_train.csv')}, header = true,
                                  all_varchar = true)
                    order by 1 limit {households})
        ) to {fixtures._quoted(transactions)} (format csv, header true)
    """)
    return folder


@pytest.mark.parametrize("weeks, span", [(range(48, 51), "3 weeks (48-50)"), (range(50, 51), "1 week (50)")])
def test_too_few_weeks_is_one_line_before_any_model(weeks, span, workspace, csv_sample_dir, tmp_path):
    data_dir = weeks_of_sample(csv_sample_dir, tmp_path / "few_weeks", weeks)
    database = previous_database(workspace.database)
    run = wrapper(workspace.env, data_dir)
    assert run.returncode == build.BAD_INPUT_EXIT
    assert one_error_line(run) == (
        f"error: {data_dir / 'retail_train.csv'}: the data spans {span}; the backtest needs at least "
        "10 (horizon_weeks x (backtest_folds + 1) + 1)")
    assert still_previous(database)


def test_plain_dbt_stops_on_too_few_weeks_with_the_same_line(workspace, csv_sample_dir, tmp_path):
    data_dir = weeks_of_sample(csv_sample_dir, tmp_path / "few_weeks", range(48, 51))
    previous_database(workspace.database)
    run = workspace.dbt("build", "--vars", f"{{data_dir: '{data_dir}'}}")
    assert run.returncode == 2
    first = next(line for line in run.stderr.splitlines() if line.startswith("error: "))
    assert first.endswith("the data spans 3 weeks (48-50); the backtest needs at least 10 "
                          "(horizon_weeks x (backtest_folds + 1) + 1)")
    assert still_previous(workspace.database)


# --- two databases in one folder, odd data, exports for other accounts -------------------------

LONG_TEXT = ("WHOLE\r\nMILK\tLINE " * 60_000)[:1_000_000]  # 1 MB with line breaks and tabs


def odd_data(csv_sample_dir: Path, folder: Path) -> tuple[Path, int]:
    """The sample with a 1 MB product type full of control characters on its most bought product,
    and a promotion calendar that holds its header only (no promotions this period)."""
    shutil.copytree(csv_sample_dir, folder)
    con = duckdb.connect()
    (item_id,) = con.execute(f"""
        select cast("PRODUCT_ID" as bigint) from read_csv({fixtures._quoted(folder / 'retail_train.csv')},
                                                          header = true, all_varchar = true)
        group by all order by count(*) desc, 1 limit 1
    """).fetchone()
    products = folder / "product.csv"
    con.execute(f"""
        copy (
            select * replace (
                case when cast("PRODUCT_ID" as bigint) = {item_id} then {fixtures._quoted(LONG_TEXT)}
                     else "SUB_COMMODITY_DESC" end as "SUB_COMMODITY_DESC")
            from read_csv({fixtures._quoted(csv_sample_dir / 'product.csv')}, header = true, all_varchar = true)
        ) to {fixtures._quoted(products)} (format csv, header true)
    """)
    header = (folder / "causal_data.csv").read_text().split("\n")[0]
    (folder / "causal_data.csv").write_text(header + "\n")
    return folder, item_id


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory, csv_sample_dir):
    """Two databases in one folder (readable by every account), built at the same time by the
    wrapper with its own defaults for logs and target: `odd.duckdb` from odd data, `plain.duckdb`
    from the sample."""
    folder = readable_folder()
    data_dir, item_id = odd_data(csv_sample_dir, tmp_path_factory.mktemp("odd") / "data")
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATA_DIR", "RECSYS_EXPORTS", "DBT_LOG_PATH", "DBT_TARGET_PATH")}
    runs = {}
    for name, source in (("odd", data_dir), ("plain", csv_sample_dir)):
        runs[name] = subprocess.Popen(
            [sys.executable, "-m", "recsys.build", "--data-dir", str(source)], cwd=REPO,
            env={**env, "RECSYS_DB": str(folder / f"{name}.duckdb")},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {name: (run.communicate(timeout=1800), run.returncode) for name, run in runs.items()}
    yield folder, item_id, results
    shutil.rmtree(folder)


def test_two_databases_in_one_folder_keep_their_own_outputs(side_by_side):
    folder, _, results = side_by_side
    for name, ((stdout, stderr), code) in results.items():
        assert code == 0, stdout[-3000:] + stderr[-3000:]
        assert "Traceback" not in stderr, stderr[-3000:]
    for name in ("odd", "plain"):
        database = folder / f"{name}.duckdb"
        con = duckdb.connect(str(database), read_only=True)
        try:
            expected = con.execute("select count(*) from send_list").fetchone()[0]
        finally:
            con.close()
        exports = paths.exports_path(database)
        exported = duckdb.connect().execute(
            f"select count(*) from read_parquet('{exports}/parquet/*/*/*.parquet')").fetchone()[0]
        assert expected > 0 and exported == expected, (name, expected, exported)
        assert f"From {database.name}." in paths.report_path(database).read_text()
        assert "Running with dbt" in (paths.beside(database, "logs") / "dbt.log").read_text()
        assert (paths.beside(database, "target") / "manifest.json").is_file()
    assert not (folder / "exports").exists() and not (folder / "report.html").exists()


def test_exports_and_report_are_readable_by_other_accounts(side_by_side):
    folder, _, _ = side_by_side
    database = folder / "plain.duckdb"
    files = [*paths.exports_path(database).resolve().rglob("*.parquet"),
             *paths.exports_path(database).resolve().rglob("*.csv"), paths.report_path(database)]
    assert files and all(path.stat().st_mode & 0o777 == 0o644 for path in files)
    folders = {path.parent for path in files}
    assert all(path.stat().st_mode & 0o777 == 0o755 for path in folders)
    if IS_ROOT:  # as the account a sending system might run under
        for path in (files[0], paths.exports_path(database) / "csv"):
            command = ["cat", str(path)] if path.is_file() else ["ls", str(path)]
            run = subprocess.run(command, capture_output=True, user="nobody")
            assert run.returncode == 0, run.stderr


def test_long_text_with_control_characters_and_an_empty_calendar_build(side_by_side):
    folder, item_id, results = side_by_side
    assert results["odd"][1] == 0
    con = duckdb.connect(str(folder / "odd.duckdb"), read_only=True)
    try:
        (product_type,) = con.execute(f"select product_type from stg_products where item_id = {item_id}").fetchone()
        bad_texts = con.execute(r"""
            select count(*) from send_list
            where regexp_matches(display_text, '[\x00-\x1f\x7f-\x9f]')
        """).fetchone()[0]
        sources_of_promotions = con.execute(
            "select distinct promo_source from send_list").fetchall()
        as_candidate = con.execute(
            f"select count(*) from int_email_candidates where item_id = {item_id}").fetchone()[0]
    finally:
        con.close()
    assert product_type == ("WHOLE  MILK LINE " * 7)[:100].strip()
    assert bad_texts == 0
    # no calendar rows: the promo slot is filled as without a calendar file (store discounts)
    assert sources_of_promotions == [("retail_discount",)]
    assert as_candidate > 0, "the product with the long text went through the slot rules"


# --- processes ---------------------------------------------------------------------------------

def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, what: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def lock_is_free(database: Path) -> bool:
    try:
        with build.database_lock(database):
            return True
    except build.BuildLocked:
        return False


def dbt_is_writing(workspace) -> bool:
    return bool(list(workspace.root.glob(f".{workspace.database.name}.building/*.duckdb")))


@pytest.mark.parametrize("killed", ["make", "wrapper"])
def test_a_kill_of_make_or_the_wrapper_stops_the_whole_build(killed, workspace, csv_sample_dir):
    """kill -9 of make's own pid (or of the wrapper's), not of the process group: dbt stops too,
    the lock is free at once, and no database is published later."""
    command = (["make", "--no-print-directory", "-s", "run", f"DATA_DIR={csv_sample_dir}"]
               if killed == "make" else [sys.executable, "-m", "recsys.build", "--data-dir", str(csv_sample_dir)])
    started = subprocess.Popen(command, cwd=REPO, env=workspace.env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: dbt_is_writing(workspace), "dbt to start writing")
    wrapper_pid = children(started.pid)[0] if killed == "make" else started.pid
    dbt_pids = children(wrapper_pid)
    assert dbt_pids, "the wrapper runs dbt as its child"
    os.kill(started.pid, signal.SIGKILL)
    started.wait(timeout=60)
    wait_for(lambda: not any(alive(pid) for pid in [wrapper_pid, *dbt_pids]), "the build to stop", 60)
    wait_for(lambda: lock_is_free(workspace.database), "the lock to be free (no orphan holds it)", 30)
    time.sleep(5)
    assert not workspace.database.exists(), "nothing was published after the kill"


def test_make_run_refused_by_the_lock_shows_the_wrappers_code(workspace, csv_sample_dir):
    """GNU make exits 2 whenever a recipe fails, and prints the recipe's own code."""
    with build.database_lock(workspace.database):
        run = subprocess.run(["make", "--no-print-directory", "-s", "run", f"DATA_DIR={csv_sample_dir}"],
                             cwd=REPO, env=workspace.env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: another build of {workspace.database} is running"), run.stderr
    # make[1] when the tests themselves run under make (make test)
    assert re.match(r"make(\[\d+\])?: \*\*\* \[", lines[-1]) and lines[-1].endswith("Error 3"), run.stderr


# --- the same metrics on every build ------------------------------------------------------------

def test_metrics_at_k_do_not_depend_on_the_order_of_their_rows(embedded):
    """The same customers' metrics in three row orders give metrics_at_k's values to the bit."""
    (compiled,) = (embedded.root / "target" / "compiled").rglob("metrics_at_k.sql")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{embedded.database}' as recsys (read_only)")
        results = []
        for seed in (0.1, 0.5, 0.9):
            con.execute(f"select setseed({seed})")
            con.execute("create or replace temp table shuffled as "
                        "select * from recsys.main.metrics_per_customer order by random()")
            sql = compiled.read_text().replace('"recsys"."main"."metrics_per_customer"', "shuffled")
            assert "shuffled" in sql
            results.append(sorted(con.execute(sql).fetchall()))
    finally:
        con.close()
    assert results[0] == results[1] == results[2]
