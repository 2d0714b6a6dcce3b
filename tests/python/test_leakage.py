"""Nothing after a backtest cutoff reaches its features or its recommendations.

The parquet sample (fixtures.py) is built twice: as it is (A), and with its lines after the
backtest cutoff rewritten (B). The sample's weeks run 1..53 and horizon_weeks is 3, so the
backtest cutoff is week 50 and the production cutoff week 53. B changes only weeks 51..53:

* some customers lose every line of those weeks;
* some customers' lines of those weeks are altered: other products (ones nobody in the sample
  bought before), three times the quantity, twice the sales value;
* new lines: a new customer who buys the sample's most bought products in each of those weeks,
  and for every other customer, a new basket in week 52 with a product they never bought.

Week 53 keeps lines, so every cutoff stays where it is (44 training, 47 and 50 backtest, 53
production). Then every feature table at cutoff 50, and the recommendations of cutoff 50, must be
identical in A and B, value for value, while the same tables at cutoff 53 must differ (or the
modification proved nothing). That includes the ranker: its training set at cutoff 50 (the
features of cutoff 47, labelled by weeks 48-50) and its scores there must not change, while the
training set of the production cutoff (labelled by weeks 51-53) must.

Every value is compared exactly, as text: DuckDB prints a double in its shortest form that reads
back to the same bits. That works because the builds are repeatable to the bit: the models sum
money and interaction weights as decimals, which add exactly in any order, where a sum of doubles
would depend on the order DuckDB's threads deliver the terms in.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[2]
EXCLUDED_DEPARTMENTS = REPO / "seeds" / "excluded_departments.csv"

# The models that may read the clean lines without the leak guard (int_cutoff_transactions), and
# why: each either defines the guard, reads after a cutoff on purpose, or is not keyed by cutoff.
UNGUARDED_LINE_READERS = {
    "int_cutoff_transactions": "the guard itself",
    "int_cutoffs": "the cutoffs come from the last week of data",
    "int_week_bands": "the bands are the weeks of data",
    "int_customer_batches": "ranges of customer ids, no feature",
    "int_window_purchases": "a backtest cutoff's test window: after the cutoff on purpose",
    "metrics_by_send": "scores the sends against the weeks after the cutoff",
    "customer_channels": "an address belongs to every customer in the data, not to a cutoff",
    "int_experiment_customer_weeks": "the experiment measures every week, before and after the start",
    "send_responses": "what customers bought after a recorded send",
    "campaign_weekly": "the campaign's weeks, after the sends",
    "real_campaigns": "the retailer's own campaigns, measured after the fact",
    "data_quality_report": "counts what cleaning kept and dropped",
}

BACKTEST_CUTOFF = 50
PRODUCTION_CUTOFF = 53

# Features keyed by cutoff_week: at the backtest cutoff they may see weeks <= 50 only.
FEATURE_TABLES = (
    "int_item_popularity", "int_item_price", "int_user_price_profile", "int_user_item_history",
    "int_interactions", "int_als_matrix", "int_user_promo_affinity", "int_recipients", "als_candidates",
    "int_item_catalog", "int_user_department_spend", "int_user_type_history",
    "int_ranker_customer_features", "int_ranker_candidates", "int_ranker_candidate_features",
    "int_ranker_item_features", "int_ranker_features", "int_email_candidates",
)

# The ranker applied at a cutoff: its training set (features and labels ending at that cutoff)
# and its probabilities.
RANKER_TABLES = ("int_ranker_training", "ranker_scores")

# Also keyed by cutoff_week and blind to the test window: what is built from the features. The promotion tables read the calendar, which B does not change,
# so they are equal at both cutoffs.
DOWNSTREAM_TABLES = ("int_email_picks", "recommendations",
                     "recommendation_coverage", "int_sends", "category_weekday_lift",
                     "int_send_audience", "int_send_recipients", "int_send_picks", "int_strategy_popularity",
                     "int_strategy_own_top", "int_strategy_als", "int_strategy_hybrid",
                     "int_strategy_ranker")
CALENDAR_TABLES = ("int_cutoffs", "int_promo_calendar", "int_promo_items")

# Keyed by cutoff_week but read from the ledger, which these builds leave empty: they have no rows
# to compare. What they may see of the ledger (send weeks before the cutoff) is the dbt test
# ledger_leaves_out_recent_sends's and tests/python/test_campaign.py's.
LEDGER_TABLES = ("int_recent_sends",)

# The evaluation: at a backtest cutoff these read the test window on purpose.
EVALUATION_TABLES = ("int_window_purchases", "ground_truth", "evaluation_customers",
                     "metrics_per_customer", "metrics_at_k", "metrics_by_slot", "metrics_by_send",
                     "calibration", "candidate_recall")

# Customers chosen by a fixed integer hash of their id, as fixtures.py chooses households.
DROPPED_CUSTOMERS = 8
ALTERED_CUSTOMERS = 8


def quoted(path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def rewrite_after_cutoff(source: str, target: str, cutoff_week: int) -> None:
    """Write ``target`` (transactions.parquet) from ``source``: the same lines up to
    ``cutoff_week``, different lines after it, as the module docstring describes."""
    con = duckdb.connect()
    con.execute(f"""
        copy (
            with source_lines as (

                select * from read_parquet({quoted(source)}, file_row_number = true)

            ),

            products as (

                select * from read_parquet({quoted(source.replace('transactions.parquet', 'products.parquet'))})

            ),

            customers as (

                select
                    source_lines.household_id,
                    row_number() over (
                        order by (source_lines.household_id * 2654435761) % 4294967296,
                            source_lines.household_id
                    ) as hash_order
                from source_lines
                group by source_lines.household_id

            ),

            customer_roles as (

                select
                    customers.household_id,
                    case
                        when customers.hash_order <= {DROPPED_CUSTOMERS} then 'dropped'
                        when customers.hash_order <= {DROPPED_CUSTOMERS + ALTERED_CUSTOMERS} then 'altered'
                        else 'extended'
                    end as role
                from customers

            ),

            -- departments that staging drops: new lines there would vanish before any model
            shelf_products as (

                select products.*
                from products
                where products.department not in (
                    select department from read_csv({quoted(EXCLUDED_DEPARTMENTS)}, header = true)
                )

            ),

            -- shelf products that no line of the sample bought, numbered
            unsold_products as (

                select
                    shelf_products.product_id,
                    row_number() over (order by shelf_products.product_id) - 1 as product_order
                from shelf_products
                anti join source_lines
                    on shelf_products.product_id = source_lines.product_id

            ),

            kept_lines as (

                select source_lines.*, 0 as part
                from source_lines
                inner join customer_roles
                    on source_lines.household_id = customer_roles.household_id
                where source_lines.week <= {cutoff_week}
                    or customer_roles.role = 'extended'

            ),

            altered_lines as (

                select
                    source_lines.* replace (
                        unsold_products.product_id as product_id,
                        source_lines.quantity * 3 as quantity,
                        source_lines.sales_value * 2 as sales_value
                    ),
                    1 as part
                from source_lines
                inner join customer_roles
                    on source_lines.household_id = customer_roles.household_id
                inner join unsold_products
                    on unsold_products.product_order
                        = source_lines.file_row_number % (select count(*) from unsold_products)
                where source_lines.week > {cutoff_week}
                    and customer_roles.role = 'altered'

            ),

            after_cutoff_weeks as (

                select
                    source_lines.week,
                    min(source_lines.transaction_timestamp) as first_timestamp,
                    min(source_lines.store_id) as store_id
                from source_lines
                where source_lines.week > {cutoff_week}
                group by source_lines.week

            ),

            best_sellers as (

                select source_lines.product_id, max(source_lines.sales_value) as sales_value
                from source_lines
                inner join shelf_products
                    on source_lines.product_id = shelf_products.product_id
                where source_lines.quantity > 0 and source_lines.sales_value > 0
                group by source_lines.product_id
                order by count(*) desc, source_lines.product_id
                limit 30

            ),

            new_customer_lines as (

                select
                    (select max(household_id) + 1 from source_lines) as household_id,
                    after_cutoff_weeks.store_id,
                    (select max(basket_id) from source_lines) + after_cutoff_weeks.week as basket_id,
                    best_sellers.product_id,
                    1 as quantity,
                    best_sellers.sales_value,
                    0.0 as retail_disc,
                    0.0 as coupon_disc,
                    0.0 as coupon_match_disc,
                    after_cutoff_weeks.week,
                    after_cutoff_weeks.first_timestamp as transaction_timestamp,
                    -1 as file_row_number,
                    2 as part
                from after_cutoff_weeks
                cross join best_sellers

            ),

            extended_customers as (

                select
                    customer_roles.household_id,
                    row_number() over (order by customer_roles.household_id) as customer_order
                from customer_roles
                where customer_roles.role = 'extended'

            ),

            -- for each extended customer, the first unsold product of the list after its number
            never_bought_lines as (

                select
                    extended_customers.household_id,
                    after_cutoff_weeks.store_id,
                    (select max(basket_id) from source_lines) + 100 + extended_customers.customer_order as basket_id,
                    unsold_products.product_id,
                    2 as quantity,
                    4.99 as sales_value,
                    1.0 as retail_disc,
                    0.0 as coupon_disc,
                    0.0 as coupon_match_disc,
                    after_cutoff_weeks.week,
                    after_cutoff_weeks.first_timestamp as transaction_timestamp,
                    -1 as file_row_number,
                    3 as part
                from extended_customers
                inner join unsold_products
                    on unsold_products.product_order = extended_customers.customer_order
                inner join after_cutoff_weeks
                    on after_cutoff_weeks.week = {cutoff_week + 2}

            ),

            all_lines as (

                select * from kept_lines
                union all by name
                select * from altered_lines
                union all by name
                select * from new_customer_lines
                union all by name
                select * from never_bought_lines

            )

            -- the columns and types of the source, A's lines in A's order, the new ones after
            select
                cast(all_lines.household_id as bigint) as household_id,
                cast(all_lines.store_id as bigint) as store_id,
                cast(all_lines.basket_id as bigint) as basket_id,
                cast(all_lines.product_id as bigint) as product_id,
                cast(all_lines.quantity as bigint) as quantity,
                cast(all_lines.sales_value as double) as sales_value,
                cast(all_lines.retail_disc as double) as retail_disc,
                cast(all_lines.coupon_disc as double) as coupon_disc,
                cast(all_lines.coupon_match_disc as double) as coupon_match_disc,
                cast(all_lines.week as bigint) as week,
                all_lines.transaction_timestamp
            from all_lines
            order by all_lines.part, all_lines.file_row_number, all_lines.household_id,
                all_lines.week, all_lines.product_id
        ) to {quoted(target)} (format parquet)
    """)
    con.close()


@pytest.fixture(scope="module")
def changed_sample_dir(parquet_sample_dir, tmp_path_factory):
    """A copy of the parquet sample whose transactions after the backtest cutoff are rewritten."""
    folder = tmp_path_factory.mktemp("leakage_sample")
    for name in ("products.parquet", "promotions.parquet"):
        shutil.copy2(parquet_sample_dir / name, folder / name)
    rewrite_after_cutoff(str(parquet_sample_dir / "transactions.parquet"),
                         str(folder / "transactions.parquet"), BACKTEST_CUTOFF)
    return folder


@pytest.fixture(scope="module")
def both_builds(new_workspace, parquet_sample_build, changed_sample_dir):
    """One connection with the build of the sample attached as `a` and of the changed sample
    as `b`."""
    con = duckdb.connect()
    changed = new_workspace("leakage_b")
    run = changed.build(changed_sample_dir)
    assert run.returncode == 0, f"build of the changed sample: {run.describe()}"
    for name, workspace in (("a", parquet_sample_build[0]), ("b", changed)):
        con.execute(f"attach {quoted(workspace.database)} as {name} (read_only)")
    yield con
    con.close()


def differences(con, table: str, where: str) -> tuple[int, int, list, list]:
    """Row counts of ``table`` in a and b under ``where``, and up to 3 rows only in a and only
    in b (duplicates counted), every column compared as text."""
    counts = con.execute(f"""
        select (select count(*) from a.main.{table} where {where}),
               (select count(*) from b.main.{table} where {where})
    """).fetchall()[0]
    only = []
    for left, right in (("a", "b"), ("b", "a")):
        only.append(con.execute(f"""
            select * from (
                select cast(columns(*) as varchar) from {left}.main.{table} where {where}
                except all
                select cast(columns(*) as varchar) from {right}.main.{table} where {where}
            )
            order by all
            limit 3
        """).fetchall())
    return counts[0], counts[1], only[0], only[1]


def test_the_sample_changed_only_after_the_cutoff(both_builds):
    con = both_builds
    assert con.execute("select * from a.int_cutoffs order by all").fetchall() \
        == con.execute("select * from b.int_cutoffs order by all").fetchall() \
        == [(BACKTEST_CUTOFF - 6, "training", BACKTEST_CUTOFF - 5, BACKTEST_CUTOFF - 3),
            (BACKTEST_CUTOFF - 3, "backtest", BACKTEST_CUTOFF - 2, BACKTEST_CUTOFF),
            (BACKTEST_CUTOFF, "backtest", BACKTEST_CUTOFF + 1, PRODUCTION_CUTOFF),
            (PRODUCTION_CUTOFF, "production", PRODUCTION_CUTOFF + 1, None)]

    a_rows, b_rows, only_a, only_b = differences(con, "stg_transactions", f"week <= {BACKTEST_CUTOFF}")
    assert a_rows == b_rows > 0 and only_a == only_b == [], (a_rows, b_rows, only_a, only_b)

    a_rows, b_rows, only_a, only_b = differences(con, "stg_transactions", f"week > {BACKTEST_CUTOFF}")
    assert only_a and only_b, "the changed sample has the same lines after the cutoff"
    lost, gained, new_customer = con.execute(f"""
        select
            (select list(user_id order by user_id) from (
                select user_id from a.stg_transactions where week > {BACKTEST_CUTOFF}
                except
                select user_id from b.stg_transactions where week > {BACKTEST_CUTOFF})),
            (select list(user_id order by user_id) from (
                select user_id from b.stg_transactions where week > {BACKTEST_CUTOFF}
                except
                select user_id from a.stg_transactions where week > {BACKTEST_CUTOFF})),
            (select max(user_id) from b.stg_transactions)
    """).fetchall()[0]
    # the dropped customers stop buying after the cutoff; the new customer starts there
    assert len(lost) == DROPPED_CUSTOMERS, lost
    assert new_customer in gained, (new_customer, gained)
    assert con.execute(f"select count(*) from a.stg_transactions where user_id = {new_customer}"
                       ).fetchall()[0][0] == 0


@pytest.mark.parametrize("table", FEATURE_TABLES + RANKER_TABLES + DOWNSTREAM_TABLES + CALENDAR_TABLES)
def test_backtest_cutoff_sees_nothing_after_it(both_builds, table):
    a_rows, b_rows, only_a, only_b = differences(both_builds, table, f"cutoff_week = {BACKTEST_CUTOFF}")
    assert a_rows > 0, f"{table} has no rows at cutoff {BACKTEST_CUTOFF}"
    assert (a_rows, only_a, only_b) == (b_rows, [], []), (
        f"{table} at cutoff {BACKTEST_CUTOFF} depends on weeks after it: {a_rows} rows in the sample, "
        f"{b_rows} in the changed sample; only in the sample: {only_a}; only in the changed: {only_b}")


@pytest.mark.parametrize("table", FEATURE_TABLES + RANKER_TABLES + ("recommendations",))
def test_production_cutoff_sees_the_change(both_builds, table):
    a_rows, b_rows, only_a, only_b = differences(both_builds, table, f"cutoff_week = {PRODUCTION_CUTOFF}")
    assert a_rows > 0 and b_rows > 0, (table, a_rows, b_rows)
    assert only_a or only_b, f"{table} at cutoff {PRODUCTION_CUTOFF} is the same in both builds"


@pytest.mark.parametrize("table", ["ground_truth", "metrics_per_customer"])
def test_evaluation_sees_the_change(both_builds, table):
    """The test window is what changed: the evaluation at the backtest cutoff must see it."""
    _, _, only_a, only_b = differences(both_builds, table, f"cutoff_week = {BACKTEST_CUTOFF}")
    assert only_a or only_b, f"{table} at cutoff {BACKTEST_CUTOFF} is the same in both builds"


def test_every_table_with_a_cutoff_is_checked(both_builds):
    """A new model keyed by cutoff_week must join one of the lists above."""
    tables = {name for (name,) in both_builds.execute("""
        select distinct table_name from information_schema.columns
        where table_catalog = 'a' and table_schema = 'main' and column_name = 'cutoff_week'
    """).fetchall()}
    known = set(FEATURE_TABLES + RANKER_TABLES + DOWNSTREAM_TABLES + CALENDAR_TABLES + LEDGER_TABLES
                + EVALUATION_TABLES)
    assert tables - known == set(), "tables keyed by cutoff_week that no leakage test covers"


def test_feature_models_read_the_lines_through_the_leak_guard():
    """Every model that reads stg_transactions directly is one of the listed exceptions, and no
    model writes the cutoff rule itself: it is the macro seen_by_cutoff, in one place."""
    readers = {path.stem for path in (REPO / "models").rglob("*.sql")
               if "ref('stg_transactions')" in path.read_text()}
    assert readers == set(UNGUARDED_LINE_READERS), (
        f"read stg_transactions without the leak guard: {sorted(readers - set(UNGUARDED_LINE_READERS))}; "
        f"listed but no longer reading it: {sorted(set(UNGUARDED_LINE_READERS) - readers)}")
    own_rule = sorted(path.stem for path in (REPO / "models").rglob("*.sql")
                      if "band_week <=" in re.sub(r"--[^\n]*", "", path.read_text()))
    assert own_rule == [], f"write the cutoff rule themselves instead of seen_by_cutoff: {own_rule}"


def test_the_leak_guard_holds_the_same_lines_up_to_the_backtest_cutoff(both_builds):
    a_rows, b_rows, only_a, only_b = differences(both_builds, "int_cutoff_transactions",
                                                 f"band_week <= {BACKTEST_CUTOFF}")
    assert a_rows > 0 and (a_rows, only_a, only_b) == (b_rows, [], [])
    a_rows, b_rows, only_a, only_b = differences(both_builds, "int_cutoff_transactions",
                                                 f"band_week > {BACKTEST_CUTOFF}")
    assert only_a and only_b, "the lines after the backtest cutoff are the same in both builds"
