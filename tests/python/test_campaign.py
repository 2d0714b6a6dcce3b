"""The campaign over time (issue 22), end to end on the CSV sample: `make send` records the
production week in the ledger beside the database, a second `make send` changes nothing, `make run`
again leaves the ledger and its export files as they were, a different list for a recorded week
is refused, a corrupt ledger file stops the build with one line; and `make replay` plays weeks
of the past into a ledger of its own, where no customer gets the same five items twice."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from recsys import build, ledger, paths

REPO = Path(__file__).resolve().parents[2]


def make(workspace, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-s", *args], cwd=REPO, env=workspace.env,
                          capture_output=True, text=True, timeout=1800)


def listing(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def campaign(new_workspace, csv_sample_dir):
    """A sample build whose production week `make send` has recorded."""
    workspace = new_workspace("campaign")
    built = make(workspace, "run", f"DATA_DIR={csv_sample_dir}")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    sent = make(workspace, "send")
    assert sent.returncode == 0, sent.stderr
    return workspace, sent


def test_make_send_records_the_production_week(campaign):
    workspace, sent = campaign
    where = paths.ledger_path(workspace.database)
    con = workspace.connect()
    try:
        (send_week,) = con.execute("select distinct send_week from send_plan").fetchone()
        expected = con.execute("select count(*) from send_list").fetchone()[0]
        audience = con.execute("select count(*) from send_audience").fetchone()[0]
    finally:
        con.close()
    assert sent.stdout.strip() == (f"recorded send week {send_week} (6 sends, {expected} rows) in {where}")
    assert ledger.recorded_weeks(where) == [send_week]
    folder = ledger.week_folder(where, send_week)
    rows = duckdb.connect().execute(f"select count(*), count(distinct commit), min(commit) "
                                    f"from '{folder / ledger.SENDS_FILE}'").fetchone()
    assert rows[:2] == (expected, 1) and rows[2] not in ("", "unknown")
    assert duckdb.connect().execute(f"select count(*) from '{folder / ledger.AUDIENCE_FILE}'").fetchone()[0] == audience
    # the files handed over are kept with the week, whatever later builds do to the exports
    kept = list((folder / "exports").rglob("*.parquet"))
    assert len(kept) == 6


def test_a_second_make_send_changes_nothing(campaign):
    workspace, _ = campaign
    where = paths.ledger_path(workspace.database)
    before = listing(where)
    again = make(workspace, "send")
    assert again.returncode == 0
    assert again.stdout.strip().endswith("is recorded already with the same lists; nothing changed")
    assert listing(where) == before


def test_make_run_again_leaves_the_ledger_intact_and_reads_it(campaign, csv_sample_dir):
    workspace, _ = campaign
    where = paths.ledger_path(workspace.database)
    before = listing(where)
    rebuilt = make(workspace, "run", f"DATA_DIR={csv_sample_dir}")
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-3000:]
    assert listing(where) == before
    con = workspace.connect()
    try:
        recorded = con.execute("select count(*) from ledger.sends").fetchone()[0]
        responses = con.execute("select count(*), count(*) filter (where window_complete) "
                                "from send_responses").fetchone()
        weekly = con.execute("select count(*) from campaign_weekly").fetchone()[0]
        groups = con.execute("select count(distinct (channel, experiment_group)) from ledger.audience").fetchone()[0]
    finally:
        con.close()
    # the source ledger and the responses read the recorded week; the data ends before its
    # windows, so none is complete yet
    assert recorded > 0 and responses == (recorded, 0)
    assert weekly == groups >= 3, "a row per channel and group of the recorded week"
    # the same database from the same folder again: dbt re-parsed what changed (the export
    # models, whose folder is each run's own), not the whole project
    last_run = (workspace.root / "logs" / "dbt.log").read_text().rsplit("Running with dbt", 1)[1]
    assert "Partial parsing enabled" in last_run and "Unable to do partial parsing" not in last_run


def test_a_different_list_for_a_recorded_week_is_refused(campaign, tmp_path):
    workspace, _ = campaign
    where = paths.ledger_path(workspace.database)
    before = listing(where)
    other = tmp_path / "other.duckdb"
    shutil.copyfile(workspace.database, other)
    con = duckdb.connect(str(other))
    con.execute("update send_list set item_id = item_id + 1 where position = 1 and send_id like '%wed-email'")
    con.close()
    refused = subprocess.run([sys.executable, "-m", "recsys.ledger"], cwd=REPO, capture_output=True, text=True,
                             env={**workspace.env, "RECSYS_DB": str(other), "RECSYS_LEDGER": str(where)})
    assert refused.returncode == ledger.REFUSED_EXIT
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("error: send week ") and "wed-email" in line and "REPLACE=1" in line
    assert listing(where) == before


def test_a_corrupt_ledger_file_stops_the_build_with_one_line(campaign, csv_sample_dir, tmp_path):
    workspace, _ = campaign
    broken = tmp_path / "ledger"
    shutil.copytree(paths.ledger_path(workspace.database), broken)
    (sends,) = broken.rglob(ledger.SENDS_FILE)
    sends.write_bytes(b"PAR1 not really")
    run = subprocess.run([sys.executable, "-m", "recsys.build", "--data-dir", str(csv_sample_dir)], cwd=REPO,
                         env={**workspace.env, "RECSYS_LEDGER": str(broken)}, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == build.BAD_INPUT_EXIT
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"error: {sends}: not a readable ledger file (")
    assert "Running with dbt" not in run.stdout


# --- the replay ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def replayed(new_workspace, csv_sample_dir):
    workspace = new_workspace("replay")
    run = make(workspace, "replay", "FROM=50", "WEEKS=2", f"DATA_DIR={csv_sample_dir}")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return workspace, run


def test_replay_records_every_week_in_its_own_ledger(replayed):
    workspace, run = replayed
    folder = paths.beside(workspace.database, "replay")
    assert ledger.recorded_weeks(paths.ledger_path(folder / "replay.duckdb")) == [50, 51]
    assert not paths.ledger_path(workspace.database).exists(), "the live ledger is never touched"
    assert "replayed send weeks 50-51" in run.stdout
    # the weekly table: one line per send week, each channel's hit rate (recipients)
    assert "| send week | e-mail hit rate (recipients) | push | receipt |" in run.stdout
    assert [line.split("|")[1].strip() for line in run.stdout.splitlines()
            if re.match(r"\| 5\d \|", line)] == ["50", "51"]


def test_replayed_lists_leave_out_the_week_before(replayed):
    workspace, _ = replayed
    database = paths.beside(workspace.database, "replay") / "replay.duckdb"
    con = duckdb.connect(str(database), read_only=True)
    try:
        repeats = con.execute("""
            select count(*) from stg_ledger_sends as later
            inner join stg_ledger_sends as earlier
                on later.user_id = earlier.user_id
                and later.item_id = earlier.item_id
                and earlier.send_week between later.send_week - later.novelty_weeks and later.send_week - 1
        """).fetchone()[0]
        within_week = con.execute("""
            select count(*) - count(distinct (send_week, user_id, item_id)) from stg_ledger_sends
        """).fetchone()[0]
        shares = con.execute("select min(repeat_share), max(repeat_share), count(repeat_share) "
                             "from campaign_weekly").fetchone()
        responses = con.execute("select count(*) from send_responses").fetchone()[0]
        sent = con.execute("select count(*) from stg_ledger_sends").fetchone()[0]
    finally:
        con.close()
    assert repeats == 0 and within_week == 0
    assert shares[:2] == (0.0, 0.0) and shares[2] > 0
    assert responses == sent > 0
