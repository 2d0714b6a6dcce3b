"""The e-mail's slot counts are data: change the email_slots seed, rebuild, and every e-mail follows.

The dbt project is copied to a tmp folder, its seed set to 2 promo / 2 new / 1 upsell, and built
with plain `dbt build --vars '{data_dir: ...}'` (the README's form) on the CSV sample. Every dbt
test must pass there, and every e-mail must hold 2 promo, 2 new and 1 upsell item: five different
items of five different product types. The repository's own seed (3 / 1 / 1) built on the same
sample must still give 3 / 1 / 1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from test_embedded_build import node_problems

REPO = Path(__file__).resolve().parents[2]

PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
PROJECT_FOLDERS = ("models", "seeds", "tests", "macros")

CHANGED_SLOTS = {"promo": 2, "new": 2, "upsell": 1}
DEFAULT_SLOTS = {"promo": 3, "new": 1, "upsell": 1}


def copy_project(folder: Path) -> Path:
    """The dbt project (not the Python package, which the venv imports) copied into ``folder``."""
    folder.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, folder / name)
    for name in PROJECT_FOLDERS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, folder / name,
                            ignore=shutil.ignore_patterns("__pycache__", "python"))
        else:
            (folder / name).mkdir()   # macros/ may be empty, and git keeps no empty folder
    return folder


def write_slots(seed: Path, slots: dict[str, int]) -> None:
    seed.write_text("slot,n_items\n" + "".join(f"{slot},{n}\n" for slot, n in slots.items()))


def email_violations(con: duckdb.DuckDBPyConnection, table: str, group: str,
                     slots: dict[str, int]) -> list[tuple]:
    """E-mails of ``table`` (one per ``group`` columns) whose slot counts are not ``slots`` or
    whose items are not all different items of different product types. An item without a
    product type is a type of its own, as int_email_picks treats it."""
    return con.execute(f"""
        with email as (

            select {table}.*, coalesce(products.product_type, 'item ' || {table}.item_id) as type_key
            from {table}
            inner join stg_products as products
                on {table}.item_id = products.item_id
            {"where " + table + ".strategy = 'email_policy'" if table == "recommendations" else ""}

        ),

        per_email as (

            select
                {group},
                count(*) as n_items,
                count(*) filter (where slot = 'promo') as n_promo,
                count(*) filter (where slot = 'new') as n_new,
                count(*) filter (where slot = 'upsell') as n_upsell,
                count(distinct item_id) as n_distinct_items,
                count(distinct type_key) as n_distinct_types
            from email
            group by {group}

        )

        select *
        from per_email
        where not (n_promo = $promo and n_new = $new and n_upsell = $upsell
            and n_items = $total and n_distinct_items = $total and n_distinct_types = $total)
        order by all
        limit 5
    """, {**slots, "total": sum(slots.values())}).fetchall()


def emails_per_cutoff(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    return dict(con.execute("""
        select cutoff_week, count(distinct user_id)
        from recommendations
        where strategy = 'email_policy'
        group by cutoff_week
    """).fetchall())


@pytest.fixture(scope="module")
def changed_slots_build(tmp_path_factory, new_workspace, csv_sample_dir):
    """The copied project with seed 2 / 2 / 1, built by plain dbt; yields (workspace, connection)."""
    project = copy_project(tmp_path_factory.mktemp("slot_project") / "project")
    write_slots(project / "seeds" / "email_slots.csv", CHANGED_SLOTS)
    workspace = new_workspace("slot_seed")
    dbt = str(Path(sys.executable).with_name("dbt"))
    result = subprocess.run(
        [dbt, "build", "--vars", json.dumps({"data_dir": str(csv_sample_dir)})],
        cwd=project, env=workspace.env, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, (f"exit {result.returncode}\n{result.stdout[-4000:]}"
                                    f"\n{result.stderr[-4000:]}")
    con = workspace.connect()
    yield workspace, con
    con.close()


@pytest.fixture(scope="module")
def default_slots_build(csv_sample_build):
    """The repository's project (seed 3 / 1 / 1) built on the same sample."""
    workspace, _ = csv_sample_build
    con = workspace.connect()
    yield workspace, con
    con.close()


def test_changed_seed_builds_with_every_test_passing(changed_slots_build):
    workspace, con = changed_slots_build
    problems = node_problems(workspace.root / "target")
    assert problems == [], "\n".join(problems)
    # the build used the copy's seed, not the repository's
    assert dict(con.execute("select slot, n_items from email_slots").fetchall()) == CHANGED_SLOTS


@pytest.mark.parametrize("table, group", [("recommendations", "cutoff_week, user_id"),
                                          ("email_recommendations", "send_id, user_id")])
def test_changed_seed_gives_two_promo_two_new_one_upsell(changed_slots_build, table, group):
    _, con = changed_slots_build
    broken = email_violations(con, table, group, CHANGED_SLOTS)
    assert broken == [], f"{table}: e-mails that are not 2 promo / 2 new / 1 upsell: {broken}"
    emails = emails_per_cutoff(con)
    # every cutoff with a ranker sends e-mails: the backtests (47, 50) and the production cutoff
    # (53); the training cutoff (44) only trains the ranker of 47
    assert sorted(emails) == [47, 50, 53] and min(emails.values()) > 0, emails


@pytest.mark.parametrize("table, group", [("recommendations", "cutoff_week, user_id"),
                                          ("email_recommendations", "send_id, user_id")])
def test_default_seed_gives_three_promo_one_new_one_upsell(default_slots_build, table, group):
    workspace, con = default_slots_build
    problems = node_problems(workspace.root / "target")
    assert problems == [], "\n".join(problems)
    assert dict(con.execute("select slot, n_items from email_slots").fetchall()) == DEFAULT_SLOTS
    broken = email_violations(con, table, group, DEFAULT_SLOTS)
    assert broken == [], f"{table}: e-mails that are not 3 promo / 1 new / 1 upsell: {broken}"
    emails = emails_per_cutoff(con)
    assert sorted(emails) == [47, 50, 53] and min(emails.values()) > 0, emails
