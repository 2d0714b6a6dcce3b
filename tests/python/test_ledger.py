"""The campaign ledger (recsys.ledger): recording is atomic and idempotent, other lists for a
recorded week are refused unless replaced (and the replaced rows stay), a corrupt or foreign
ledger is refused with one line. On small hand-made databases; the embedded build's `make send`
is in test_campaign.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from recsys import ledger, paths

REPO = Path(__file__).resolve().parents[2]


def make_database(path: Path, items: list[int], send_week: int = 54) -> Path:
    """A database with what `make send` reads: two sends of one week, one customer each, and
    their export files beside it."""
    con = duckdb.connect(str(path))
    con.execute(f"""
        create or replace table send_plan as
        select * from (values
            ('w{send_week}-wed-email', 'email', {send_week}, 'Wednesday', '14:30', date '2018-01-03',
             date '2018-01-05'),
            ('w{send_week}-fri-email', 'email', {send_week}, 'Friday', '18:00', date '2018-01-05',
             date '2018-01-10')
        ) as plan (send_id, channel, send_week, send_weekday, send_time, send_date, window_end_date)
    """)
    con.execute(f"""
        create or replace table send_list as
        select
            plan.send_id, plan.channel, plan.send_week, 7 as user_id,
            cast(item.position as integer) as position, item.item_id, 'promo' as slot, 0.5 as score,
            2.0 as price, 1.0 as expected_revenue, 'on promotion' as reason,
            'ITEM ' || item.item_id || ' $2.00' as display_text
        from send_plan as plan
        cross join (select unnest({items}) as item_id, generate_subscripts({items}, 1) as position) as item
    """)
    con.execute("""
        create or replace table send_audience as
        select * from (values ('email', 7, 'treatment', 3), ('email', 8, 'control', 5))
            as audience (channel, user_id, experiment_group, stratum)
    """)
    con.execute("create or replace table build_info as select 'abc123' as commit, 'data42' as data_fingerprint, "
                "1 as novelty_weeks")
    con.close()
    exports = paths.exports_path(path)
    for send in (f"w{send_week}-wed-email", f"w{send_week}-fri-email"):
        folder = exports / "csv" / "email" / f"send_id={send}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data_0.csv").write_text(f"{send} {items}\n")
    return path


def listing(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture
def book(tmp_path):
    """(database, ledger path) in a fresh folder."""
    database = make_database(tmp_path / "recsys.duckdb", [11, 12, 13, 14, 15])
    return database, paths.ledger_path(database)


def test_record_writes_one_folder_per_send_week(book):
    database, where = book
    message = ledger.record(where, ledger.read_week(database))
    assert message == f"recorded send week 54 (2 sends, 10 rows) in {where}"
    assert ledger.recorded_weeks(where) == [54]
    folder = ledger.week_folder(where, 54)
    sends = pq.read_table(folder / ledger.SENDS_FILE)
    assert sends.column_names == list(ledger.SEND_COLUMNS)
    assert sorted(sends["item_id"].to_pylist()) == sorted([11, 12, 13, 14, 15] * 2)
    assert set(sends["commit"].to_pylist()) == {"abc123"} and sends["replaced_at"].null_count == 10
    audience = pq.read_table(folder / ledger.AUDIENCE_FILE)
    assert sorted(zip(audience["user_id"].to_pylist(), audience["experiment_group"].to_pylist())) == [
        (7, "treatment"), (8, "control")]
    # the export files as handed over, under the week's list fingerprint
    (kept,) = (folder / "exports").iterdir()
    assert sorted(str(path.relative_to(kept)) for path in kept.rglob("*.csv")) == [
        "csv/email/send_id=w54-fri-email/data_0.csv", "csv/email/send_id=w54-wed-email/data_0.csv"]
    # DuckDB reads it as a hive-partitioned dataset
    (weeks,) = duckdb.connect().execute(
        f"select list(distinct send_week) from read_parquet('{where}/send_week=*/sends.parquet', "
        "hive_partitioning = true)").fetchone()
    assert weeks == [54]


def test_recording_the_same_lists_again_changes_nothing(book):
    database, where = book
    ledger.record(where, ledger.read_week(database))
    before = listing(where)
    message = ledger.record(where, ledger.read_week(database))
    assert message == "send week 54 (2 sends, 10 rows) is recorded already with the same lists; nothing changed"
    assert listing(where) == before


def test_other_lists_for_a_recorded_week_are_refused_unless_replaced(book, tmp_path):
    database, where = book
    first = datetime(2018, 1, 2, 9, tzinfo=timezone.utc)
    ledger.record(where, ledger.read_week(database), now=first)
    before = listing(where)
    make_database(database, [11, 12, 13, 14, 99])
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.record(where, ledger.read_week(database))
    assert str(refused.value) == ("send week 54 is recorded already with other lists (w54-fri-email, "
                                  "w54-wed-email); `make send REPLACE=1` replaces them and keeps the old rows")
    assert listing(where) == before

    second = datetime(2018, 1, 2, 10, tzinfo=timezone.utc)
    assert ledger.record(where, ledger.read_week(database), replace=True, now=second).startswith(
        "replaced send week 54")
    sends = pq.read_table(ledger.week_folder(where, 54) / ledger.SENDS_FILE).to_pylist()
    current = sorted(row["item_id"] for row in sends if row["replaced_at"] is None)
    replaced = [row for row in sends if row["replaced_at"] is not None]
    assert current == sorted([11, 12, 13, 14, 99] * 2)
    assert sorted(row["item_id"] for row in replaced) == sorted([11, 12, 13, 14, 15] * 2)
    assert {row["replaced_at"] for row in replaced} == {second}
    assert {row["recorded_at"] for row in replaced} == {first}
    # both versions' export files are kept
    assert len(list((ledger.week_folder(where, 54) / "exports").iterdir())) == 2
    assert not [path for path in where.iterdir() if path.name.startswith(".") and path.is_dir()]


def test_a_replacement_killed_between_its_renames_is_rolled_back(book):
    """SIGKILL after the recorded week was parked and before the new one took its place: the
    next `make send` finds the ledger as it was."""
    database, where = book
    ledger.record(where, ledger.read_week(database))
    before = listing(where)
    make_database(database, [21, 22, 23, 24, 25])
    script = textwrap.dedent(f"""
        import os, signal
        from recsys import ledger
        rename = os.rename
        def dies_on_the_second(source, target, calls=[]):
            calls.append(target)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            rename(source, target)
        os.rename = dies_on_the_second
        ledger.main(["--replace"])
    """)
    env = {**os.environ, "RECSYS_DB": str(database)}
    killed = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env)
    assert killed.returncode == -signal.SIGKILL
    assert ledger.recorded_weeks(where) == [], "killed with the week parked aside"
    # the next writer finishes the journal: the parked week comes back
    with ledger.writing(where):
        pass
    assert listing(where) == before


def test_a_write_killed_before_its_rename_leaves_nothing_behind(book):
    database, where = book
    script = textwrap.dedent("""
        import os, signal
        import pyarrow.parquet as pq
        from recsys import ledger
        write = pq.write_table
        def dies_after_the_first(table, path, calls=[]):
            write(table, path)
            calls.append(path)
            os.kill(os.getpid(), signal.SIGKILL)
        pq.write_table = dies_after_the_first
        ledger.main([])
    """)
    env = {**os.environ, "RECSYS_DB": str(database)}
    assert subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env).returncode == -signal.SIGKILL
    assert ledger.recorded_weeks(where) == []
    with ledger.writing(where):
        pass
    assert sorted(path.name for path in where.iterdir()) == [paths.LEDGER_MARKER]


def test_a_corrupt_ledger_file_is_named(book):
    database, where = book
    ledger.record(where, ledger.read_week(database))
    broken = ledger.week_folder(where, 54) / ledger.SENDS_FILE
    broken.write_bytes(broken.read_bytes()[:100])
    with pytest.raises(ledger.LedgerError) as refused:
        ledger.check(where)
    assert str(refused.value).startswith(f"{broken}: not a readable ledger file (")


def test_the_command_refuses_a_ledger_path_holding_user_files(book):
    database, _ = book
    user = database.parent / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep")
    run = subprocess.run([sys.executable, "-m", "recsys.ledger"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "RECSYS_DB": str(database), "RECSYS_LEDGER": str(user)})
    assert run.returncode == ledger.REFUSED_EXIT
    assert run.stderr.strip().splitlines() == [
        f"error: RECSYS_LEDGER={user} holds files this project did not write; choose an empty folder"]
    assert sorted(path.name for path in user.iterdir()) == ["notes.txt"]


def test_the_command_records_and_says_so_in_one_line(book):
    database, where = book
    env = {**os.environ, "RECSYS_DB": str(database)}
    env.pop("RECSYS_LEDGER", None)
    runs = [subprocess.run([sys.executable, "-m", "recsys.ledger"], cwd=REPO, capture_output=True, text=True,
                           env=env) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0]
    assert runs[0].stdout.strip() == f"recorded send week 54 (2 sends, 10 rows) in {where}"
    assert runs[1].stdout.strip().endswith("is recorded already with the same lists; nothing changed")
