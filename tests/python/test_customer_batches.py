"""The models built a batch of customers at a time give the same rows as one statement.

The embedded data is one batch (customers_per_batch is 5,000), so the full build runs each of
these models as one query. Rebuilding them on a copy of that database with 300 customers per
batch (9 batches: the first by the model's query, the rest by its post-hook) must give the same
tables, row for row and type for type (macros/customer_batches.sql).
"""

from __future__ import annotations

import re
import shutil

import pytest

from test_embedded_build import embedded_build

BATCHED_MODELS = ["int_user_item_history", "int_ranker_candidates", "int_ranker_candidate_features",
                  "int_email_candidates", "int_email_picks", "int_send_picks", "int_strategy_own_top",
                  "int_strategy_als", "int_strategy_hybrid", "int_strategy_ranker"]


@pytest.fixture(scope="module")
def batched(new_workspace, shared_build):
    """(one-statement database, batched database): the embedded build, and a copy with the
    batched models rebuilt in 300-customer batches."""
    embedded, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    workspace = new_workspace("customer_batches")
    shutil.copyfile(embedded.database, workspace.database)
    rebuilt = workspace.dbt("run", "--select", "int_customer_batches", *BATCHED_MODELS,
                            "--vars", "{customers_per_batch: 300}")
    assert rebuilt.returncode == 0, rebuilt.describe()
    return embedded, workspace


def test_each_query_holds_a_slice_of_the_customers(batched):
    """The model's own query filters every per-customer input to the first batch: at most 300 of
    the 2,467 customers (the other batches come from the post-hook, which the rows test checks)."""
    _, workspace = batched
    compiled = workspace.root / "target" / "compiled" / "recsys" / "models"
    con = workspace.connect()
    try:
        for model in BATCHED_MODELS:
            query = next(compiled.rglob(f"{model}.sql")).read_text()
            bounds = set(re.findall(r"between (\d+) and (\d+) /\* customer batch \*/", query))
            assert len(bounds) == 1, (model, bounds)
            (first, last), = bounds
            customers = con.execute(
                "select count(distinct user_id) from stg_transactions where user_id between ? and ?",
                [int(first), int(last)]).fetchone()[0]
            assert 200 <= customers <= 300, (model, customers)
    finally:
        con.close()


def test_batches_hold_every_customer_once(batched):
    """int_customer_batches: 9 ranges of user ids, each starting right after the one before, that
    hold every customer of stg_transactions, at most 300 each."""
    _, workspace = batched
    con = workspace.connect()
    try:
        batches = con.execute(
            "select batch, first_user_id, last_user_id, n_customers from int_customer_batches "
            "order by batch").fetchall()
        counted = con.execute(
            "select int_customer_batches.batch, count(distinct stg_transactions.user_id) "
            "from stg_transactions inner join int_customer_batches on stg_transactions.user_id "
            "between int_customer_batches.first_user_id and int_customer_batches.last_user_id "
            "group by all order by 1").fetchall()
        customers = con.execute("select count(distinct user_id) from stg_transactions").fetchone()[0]
    finally:
        con.close()
    assert [batch for batch, *_ in batches] == list(range(9))
    assert all(later[1] == earlier[2] + 1 for earlier, later in zip(batches, batches[1:]))
    assert counted == [(batch, n) for batch, _, _, n in batches]
    assert sum(n for *_, n in batches) == customers
    assert max(n for *_, n in batches) <= 300


@pytest.mark.parametrize("model", BATCHED_MODELS)
def test_batches_give_the_same_rows(batched, model):
    embedded, workspace = batched
    con = workspace.connect()
    try:
        con.execute(f"attach '{embedded.database}' as whole (read_only)")
        batched_only, whole_only = (
            con.execute(f"select count(*) from (from {a}.main.{model} except all from {b}.main.{model})")
            .fetchone()[0]
            for a, b in [("recsys", "whole"), ("whole", "recsys")])
        types = {catalog: con.execute(
            "select column_name, data_type from information_schema.columns "
            f"where table_catalog = '{catalog}' and table_name = '{model}' order by ordinal_position"
        ).fetchall() for catalog in ["recsys", "whole"]}
        rows = con.execute(f"select count(*) from recsys.main.{model}").fetchone()[0]
    finally:
        con.close()
    assert rows > 10_000
    assert (batched_only, whole_only) == (0, 0)
    assert types["recsys"] == types["whole"]
