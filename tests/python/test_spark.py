"""The Spark target (README "Running on Spark"): the project builds on Spark, the tables before the
ALS step are DuckDB's, and Spark's e-mails and sends keep the e-mail's rules.

Once per module, the whole project, with its dbt tests, is built from the parquet sample on Spark
inside this process (dbt's own runner), so that the Spark tables can be read afterwards through
the same live SparkSession, and compared with the session's DuckDB build of the same sample. The
Spark build runs on a standalone cluster on this machine (bench/spark_cluster.sh: a master and
two one-core workers, the executors in their own JVMs, the driver capped at 1 GB), as on a real
cluster.
Every dbt test must pass on Spark; every table and view that does not depend on a fit (ALS, the
ranker) must hold exactly DuckDB's rows: same columns, and no row, nor any repeat of a row, on one
side only (doubles within 1e-9, relative to their size). That includes the experiment's groups:
both engines draw them from the same md5.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from fixtures import BAD_CSV_CASES, make_bad_csv_case

from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession

CLUSTER_SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "spark_cluster.sh"


def stop_spark_session() -> None:
    """Stop this process's SparkContext, if one runs, so that the next session is built afresh
    with the environment's master (another test module may have started a local one)."""
    from pyspark import SparkContext

    if SparkContext._active_spark_context is not None:
        SparkContext._active_spark_context.stop()


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory):
    """A Spark standalone master and two workers (one core each) on this machine, started and
    stopped by bench/spark_cluster.sh; the environment that points a build at it."""
    folder = tmp_path_factory.mktemp("spark_cluster")
    started = subprocess.run([str(CLUSTER_SCRIPT), "start", str(folder)], capture_output=True, text=True)
    try:
        assert started.returncode == 0, started.stderr
        env = dict(line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines()
                   if line.startswith("export "))
        env["RECSYS_SPARK_DRIVER_MEMORY"] = "1g"
        yield env
    finally:
        subprocess.run([str(CLUSTER_SCRIPT), "stop", str(folder)], capture_output=True)


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory, spark_cluster):
    """This module's Spark warehouse and dbt folders, set for the in-process dbt runs, which run
    on the standalone cluster: the executors in their own JVMs, the driver (this process) capped
    at 1 GB."""
    root = tmp_path_factory.mktemp("spark")
    stop_spark_session()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**spark_cluster,
                            "RECSYS_SPARK_WAREHOUSE": root / "spark-warehouse",
                            "DBT_TARGET_PATH": root / "target", "DBT_LOG_PATH": root / "logs",
                            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}.items():
            patch.setenv(name, str(value))
        yield root
        stop_spark_session()  # before the cluster stops: a later module starts its own


def spark_dbt(*args: str):
    return dbtRunner().invoke([*args, "--target", "spark"])


def failures(result) -> str:
    """What failed in a dbt run, for assertion messages."""
    if result.exception is not None:
        return repr(result.exception)
    return "\n".join(f"{node.node.name}: {node.status} {node.message}"
                     for node in (result.result or []) if str(node.status) not in ("pass", "success"))


@pytest.fixture(scope="module")
def built(request, spark_env, copy_for_dbt, parquet_sample_dir):
    """The Spark build's result, and a workspace holding a copy of the session's DuckDB build of
    the same sample (parquet_sample_build). That one is asked for after the Spark build, so that
    the other worker has usually made it meanwhile, for the tests that share it."""
    result = spark_dbt("build", "--vars", json.dumps({"data_dir": str(parquet_sample_dir)}))
    duckdb_build, _ = request.getfixturevalue("parquet_sample_build")
    return copy_for_dbt(duckdb_build, "spark_duckdb"), result


def test_every_dbt_test_passes_on_spark(built, spark_cluster):
    _, result = built
    assert result.success, failures(result)
    # the build ran on the standalone cluster, not in a local Spark
    assert SparkSession.builder.getOrCreate().sparkContext.master == spark_cluster["RECSYS_SPARK_MASTER"]
    statuses = {node.node.name: str(node.status) for node in result.result}
    # the seed with an apostrophe ("store's restaurant") loads, the staging models read the
    # source raw, which the on-run-start hook loaded; MLlib's ALS and the ranker fit on Spark
    assert statuses["excluded_departments"] == "success"
    assert statuses["stg_transactions"] == "success"
    assert statuses["als_candidates"] == statuses["ranker_scores"] == "success"
    assert statuses["rows_per_group_als_candidates_cutoff_week__user_id___var_als_candidates_"] == "pass"
    assert statuses["als_matrix_keys_are_dense"] == "pass"
    # the weekly e-mail's slot rules, the top-k baselines, the sends' lists, their exports (tables on
    # Spark) and the metrics
    for model in ("int_email_picks", "int_strategy_own_top", "int_strategy_hybrid", "int_strategy_ranker",
                  "recommendations", "int_send_picks", "send_list", "send_plan", "export_email_csv",
                  "export_receipt_parquet", "metrics_at_k", "metrics_by_slot", "metrics_by_send",
                  "recommendation_coverage"):
        assert statuses[model] == "success", model
    assert statuses["metrics_every_strategy_scored"] == "pass"
    # a send never repeats an item of an earlier send that week on its channel, or that day
    assert statuses["send_picks_no_item_twice_a_week"] == "pass"
    tests = [name for name, status in statuses.items() if status in ("pass", "warn")]
    assert len(tests) >= 150, statuses


# What differs between the engines by design: the fits (MLlib's ALS is not implicit's, and the
# ranker learns from its candidates).
ENGINE_SPECIFIC = ["als_candidates+"]


def relation_names(workspace, *selection: str) -> set[str]:
    run = workspace.dbt("ls", *selection, "--resource-type", "model", "--resource-type", "seed",
                        "--output", "name", "--quiet")
    assert run.returncode == 0, run.describe()
    return set(run.stdout.split())


def pre_als_relations(workspace) -> list[str]:
    return sorted(relation_names(workspace)
                  - relation_names(workspace, "--select", *ENGINE_SPECIFIC))


# When each build ran and which copy of the sample it read are its own: the session's DuckDB build
# reads the copy of whichever test worker made it first (the data_fingerprint column, compared,
# holds the copies equal; the Spark build's folder is checked on its own below).
PER_BUILD = {"build_info": ["built_at", "data_folder"]}
# Empty on both engines here: the sample has no ledger (nothing was sent yet), none of the
# retailer's campaign files and no customer_channels.csv. Every other table must hold rows.
EMPTY_IN_THE_SAMPLE = {"campaign_weekly", "int_recent_sends", "int_recorded_weeks", "real_campaigns",
                       "send_responses", "stg_campaigns", "stg_coupon_redemptions", "stg_coupons",
                       "stg_customer_channels", "stg_ledger_audience", "stg_ledger_sends"}


def test_spark_tables_equal_duckdb_tables(built, parquet_sample_dir):
    workspace, result = built
    assert result.success, failures(result)
    con = workspace.connect()
    # ephemeral models (int_backtest_recipients) have no relation on either engine
    stored = {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
    con.close()
    names = [name for name in pre_als_relations(workspace) if name in stored]
    assert {"stg_transactions", "stg_transaction_checks", "int_item_price", "int_user_item_weeks",
            "int_user_price_profile", "int_promo_calendar", "excluded_departments", "int_sends",
            "customer_channels", "int_als_matrix", "ground_truth", "int_days",
            "int_strategy_popularity", "int_strategy_own_top", "experiment_groups",
            "int_experiment_aa_sums", "experiment_readout"} <= set(names)
    assert "als_candidates" not in names
    spark = SparkSession.builder.getOrCreate()
    assert spark.table("recsys.build_info").toArrow()["data_folder"].to_pylist() == [str(parquet_sample_dir)]
    con = duckdb.connect(str(workspace.database), read_only=True)
    for name in names:
        duck = con.sql(f"select * from main.{name}").to_arrow_table()
        spark_rows = spark.table(f"recsys.{name}").toArrow()
        duck, spark_rows = (table.drop_columns([column for column in PER_BUILD.get(name, [])])
                            for table in (duck, spark_rows))
        assert spark_rows.column_names == duck.column_names, name
        assert spark_rows.num_rows == duck.num_rows, name
        assert (duck.num_rows == 0) == (name in EMPTY_IN_THE_SAMPLE), (name, duck.num_rows)
        compare = duckdb.connect()
        compare.register("duck", duck)
        compare.register("spark_rows", spark_rows)
        # Row by row in one order (the exact columns first, then the doubles). Doubles agree within
        # 1e-9 (relative above 1) rather than after rounding: the engines add a sum in different
        # orders (its last bits move, as between two DuckDB builds; a sum of squared revenue is in
        # the billions), and Spark's mean of decimals keeps 10 places, so a value on a rounding
        # boundary would round apart.
        floating = [field.name for field in duck.schema if pa.types.is_floating(field.type)]
        order = ", ".join(f'"{column}"' for column in
                          [column for column in duck.column_names if column not in floating] + floating)
        # (equal values first: an infinite or NaN statistic of a sample's tiny group is equal on
        # both sides, but its difference is NaN, which DuckDB orders above every number)
        differs = " or ".join(
            f'(duck_row."{column}" is distinct from spark_row."{column}"'
            f' and not coalesce(abs(duck_row."{column}" - spark_row."{column}")'
            f' <= 1e-9 * greatest(1, least(abs(duck_row."{column}"), abs(spark_row."{column}"))),'
            f' false))' if column in floating
            else f'duck_row."{column}" is distinct from spark_row."{column}"'
            for column in duck.column_names)
        differing = compare.execute(
            f"select count(*) from"
            f" (select *, row_number() over (order by {order}) as row_number from duck) as duck_row"
            f" inner join (select *, row_number() over (order by {order}) as row_number from spark_rows)"
            f" as spark_row on duck_row.row_number = spark_row.row_number"
            f" where {differs}").fetchone()[0]
        assert differing == 0, f"{name}: {differing} of {duck.num_rows} rows differ between DuckDB and Spark"


def test_experiment_groups_are_the_same_on_both_engines(built):
    """The group hash (macro uniform_draw: md5 of salt and customer id) is computed alike by
    DuckDB and Spark: every customer of every channel is in the same group, and every A/A salt
    draws the same control group (same size and revenue per channel)."""
    workspace, result = built
    assert result.success, failures(result)
    con = duckdb.connect(str(workspace.database), read_only=True)
    duck_groups = con.execute(
        "select channel, user_id, experiment_group from experiment_groups").fetchall()
    duck_salts = con.execute("""
        select aa_salt, channel, n, round(sum_y, 2) from int_experiment_aa_sums
        where metric = 'revenue_per_customer'""").fetchall()
    con.close()
    spark = SparkSession.builder.getOrCreate()
    spark_groups = [tuple(row) for row in spark.sql(
        "select channel, user_id, experiment_group from recsys.experiment_groups").collect()]
    spark_salts = [tuple(row) for row in spark.sql("""
        select aa_salt, channel, n, round(sum_y, 2) from recsys.int_experiment_aa_sums
        where metric = 'revenue_per_customer'""").collect()]
    assert sorted(spark_groups) == sorted(duck_groups)
    assert {group for _, _, group in duck_groups} == {"treatment", "control"}
    assert len(duck_salts) > 1000 and sorted(spark_salts) == sorted(duck_salts)


@pytest.mark.parametrize("lists, keys", [("int_email_picks", "cutoff_week, user_id"),
                                         ("int_send_picks", "cutoff_week, send_id, user_id")])
def test_email_rules_hold_on_spark_lists(built, lists, keys):
    """Spark's weekly e-mails (int_email_picks) and sends (int_send_picks), every cutoff, read as
    Spark wrote them: every list holds the slots of the email_slots seed (3 promo, 1 new, 1 upsell),
    five different items at positions 1..5 by falling expected revenue, no product type twice, a
    new item the customer never bought up to the cutoff, an upsell item at or above the customer's
    threshold and not on promotion."""
    _, result = built
    assert result.success, failures(result)
    spark = SparkSession.builder.getOrCreate()
    seed = dict(spark.sql("select slot, n_items from recsys.email_slots").collect())
    assert seed == {"promo": 3, "new": 1, "upsell": 1}
    filled_lists = spark.sql(f"""
        select
            {keys}, count(*) as n_items, count(distinct item_id) as n_distinct_items,
            count(distinct position) as n_positions, min(position) as first_position,
            max(position) as last_position,
            count(product_type) - count(distinct product_type) as repeated_types,
            count_if(slot = 'promo') as promo, count_if(slot = 'new') as new,
            count_if(slot = 'upsell') as upsell
        from recsys.{lists}
        group by {keys}
    """).toArrow().to_pylist()
    assert len(filled_lists) > 100
    assert len({row["cutoff_week"] for row in filled_lists}) == 3  # the backtest and production cutoffs
    broken = [row for row in filled_lists
              if (row["n_items"], row["n_distinct_items"], row["n_positions"], row["first_position"],
                  row["last_position"], row["repeated_types"], row["promo"], row["new"], row["upsell"])
              != (5, 5, 5, 1, 5, 0, seed["promo"], seed["new"], seed["upsell"])]
    assert broken == [], broken[:5]

    def violations(sql: str) -> list:
        return [row.asDict() for row in spark.sql(sql).limit(5).collect()]

    assert violations(f"""
        select {keys}, position from (
            select {keys}, position, expected_revenue,
                lag(expected_revenue) over (partition by {keys} order by position) as previous
            from recsys.{lists})
        where expected_revenue > previous""") == []
    assert violations(f"""
        select picks.cutoff_week, picks.user_id, picks.item_id
        from recsys.{lists} as picks
        inner join recsys.stg_transaction_checks as bought
            on picks.user_id = bought.user_id and picks.item_id = bought.item_id
            and bought.week <= picks.cutoff_week and bought.quantity > 0
        where picks.slot = 'new'""") == []
    assert violations(f"""
        select picks.cutoff_week, picks.user_id, picks.item_id
        from recsys.{lists} as picks
        left join recsys.int_user_price_profile as profile
            on picks.cutoff_week = profile.cutoff_week and picks.user_id = profile.user_id
        left join recsys.int_promo_items as promo
            on picks.cutoff_week = promo.cutoff_week and picks.item_id = promo.item_id
        where picks.slot = 'upsell'
            and (profile.user_id is null or picks.price < profile.upsell_threshold
                or promo.item_id is not null)""") == []


def test_spark_send_list_is_the_production_sends(built):
    """Spark's send list holds exactly the production cutoff's sends of int_send_picks, whose rules
    the test above checks: the same send, customer, position, item and slot in every row."""
    _, result = built
    assert result.success, failures(result)
    spark = SparkSession.builder.getOrCreate()
    picks = """
        select picks.send_id, picks.user_id, picks.position, picks.item_id, picks.slot
        from recsys.int_send_picks as picks
        inner join recsys.int_cutoffs as cutoffs
            on picks.cutoff_week = cutoffs.cutoff_week and cutoffs.cutoff_kind = 'production'"""
    listed = "select send_id, user_id, position, item_id, slot from recsys.send_list"
    assert spark.sql(f"select count(*) from ({listed} except all {picks})").first()[0] == 0
    assert spark.sql(f"select count(*) from ({picks} except all {listed})").first()[0] == 0
    channels = {row[0] for row in spark.sql("select distinct channel from recsys.send_list").collect()}
    scheduled = {row[0] for row in spark.sql("select distinct channel from recsys.send_schedule").collect()}
    # everyone reachable gets the receipt; the sample may have no e-mail or push customer
    assert "receipt" in channels and channels <= scheduled, (channels, scheduled)


def test_bad_input_on_spark_gives_the_same_line(built, spark_env, csv_sample_dir, tmp_path, capfd):
    """The on-run-start check runs on Spark too: the first error line names the file and the
    problem, and no model runs."""
    expected = BAD_CSV_CASES["text_in_number"]
    data_dir = make_bad_csv_case("text_in_number", csv_sample_dir, tmp_path / "data")

    result = spark_dbt("build", "--vars", json.dumps({"data_dir": str(data_dir)}))

    assert not result.success
    errors = [line for line in capfd.readouterr().err.splitlines() if line.startswith("error: ")]
    assert errors, "no error line"
    assert expected.file in errors[0] and expected.problem in errors[0], errors[0]
    ran = [node.node.name for node in result.result or [] if str(node.status) != "skipped"]
    assert ran == [], ran


def test_session_helper_is_the_default_only_for_session_connections():
    """dbt_recsys_spark adds the session method and leaves Databricks' methods as they were."""
    from types import SimpleNamespace

    import dbt_recsys_spark
    from dbt.adapters.spark.impl import SparkAdapter

    def adapter(method: str):
        return SimpleNamespace(config=SimpleNamespace(credentials=SimpleNamespace(method=method)))

    helpers = SparkAdapter.python_submission_helpers.fget(None)
    assert helpers["session"] is dbt_recsys_spark.SessionPythonJobHelper
    assert {"job_cluster", "all_purpose_cluster"} <= set(helpers)
    default = SparkAdapter.default_python_submission_method.fget
    assert default(adapter("session")) == "session"
    assert default(adapter("http")) == "all_purpose_cluster"
    assert "recsys_input_problem" in SparkAdapter._available_


def test_mllib_als_gives_every_customer_n_candidates_without_the_placeholder():
    """recsys.als's one interface fits MLlib's ALS when handed a Spark DataFrame: every customer
    gets exactly n items ranked 1..n by score, never the placeholder item, and a second fit with
    the same seed gives the same table."""
    from recsys import als

    spark = SparkSession.builder.getOrCreate()
    bucket = 999
    items = list(range(1, 7)) + [bucket]
    # dense keys as int_als_matrix has them: customer u -> u - 1, the k-th item -> k
    cells = [(7, user * 10, item, user - 1, key, 1.0 + (user * item) % 3)
             for user in range(1, 13) for key, item in enumerate(items) if (user + item) % 3]
    matrix = spark.createDataFrame(
        cells, "cutoff_week int, user_id bigint, item_id bigint, user_key int, item_key int, weight double")
    params = als.AlsParams(factors=4, iterations=3, regularization=0.1)

    first = als.candidates_per_cutoff(matrix, params, n="3", bucket_item_id=str(bucket)).toArrow()
    second = als.candidates_per_cutoff(matrix, params, n=3, bucket_item_id=bucket).toArrow()

    rows = first.to_pylist()
    assert {row["user_id"] for row in rows} == {user * 10 for user in range(1, 13)}
    assert all(row["item_id"] != bucket for row in rows)
    for user in {row["user_id"] for row in rows}:
        mine = sorted((row["als_rank"], row["als_score"]) for row in rows if row["user_id"] == user)
        assert [rank for rank, _ in mine] == [1, 2, 3]
        assert [score for _, score in mine] == sorted((score for _, score in mine), reverse=True)
    assert first.sort_by([("user_id", "ascending"), ("als_rank", "ascending")]).equals(
        second.sort_by([("user_id", "ascending"), ("als_rank", "ascending")]))
    with pytest.raises(ValueError, match="MLlib"):
        als.candidates_per_cutoff(matrix, als.AlsParams(weighting="bm25"), n=3, bucket_item_id=bucket)


def test_mllib_grid_ranks_every_configuration_and_scores_its_own_fit():
    """recsys.grid's one interface runs MLlib's grid when handed a Spark DataFrame: one row per
    configuration, ranked by precision@5 then money precision@5, and the best row's scores are
    those of a fresh fit of its configuration, ranked on the driver from the fit's factors."""
    from dataclasses import replace
    from itertools import product

    import numpy as np

    from recsys import als, grid
    from test_als import BUCKET
    from test_grid import grid_inputs

    spark = SparkSession.builder.getOrCreate()
    history, ground_truth, prices = grid_inputs()
    base = als.AlsParams(random_state=9)
    result = grid.grid_search(spark.createDataFrame(history), ground_truth, prices, base, BUCKET,
                              cutoff_week=50, factors=(4, 8), regularizations=(0.01, 1.0),
                              iterations=(3,), alphas=(1.0, 10.0))
    assert result.schema == grid.GRID_SCHEMA
    rows = result.to_pylist()
    assert sorted((row["factors"], row["regularization"], row["alpha"]) for row in rows) == sorted(
        product((4, 8), (0.01, 1.0), (1.0, 10.0)))
    assert {(row["weighting"], row["iterations"], row["n_users"], row["cutoff_week"]) for row in rows} == {
        ("none", 3, 90, 50)}
    assert [row["rank"] for row in rows] == list(range(1, 9))
    scores = [(row["precision_at_5"], row["money_precision_at_5"]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) > 1, "different configurations should score differently"
    assert all(row["fit_seconds"] > 0 for row in rows)

    best = rows[0]
    test = grid.backtest(history, ground_truth, prices)
    model, _ = als.mllib_fit(als.mllib_cells(spark, test.built.matrix), replace(
        base, factors=best["factors"], regularization=best["regularization"], alpha=best["alpha"],
        iterations=best["iterations"]))

    def factors(frame):  # the keys are the matrix's rows and columns, 0 .. n - 1
        table = frame.toArrow().sort_by("id")
        assert table["id"].to_pylist() == list(range(table.num_rows))
        return np.array(table["features"].to_pylist())

    predicted = factors(model.userFactors)[test.evaluated_rows] @ factors(model.itemFactors).T
    predicted[:, test.built.item_index([BUCKET])] = -np.inf
    top = np.argsort(-predicted, axis=1, kind="stable")[:, :5]
    assert BUCKET not in test.built.item_ids[top]
    assert (best["precision_at_5"], best["money_precision_at_5"]) == pytest.approx(test.score(top), abs=1e-12)
