"""The course's CSV layout and the parquet layout give the same clean staging data.

The same sample (fixtures.py) is written in both layouts and built into two databases. The
raw readers differ in every detail (headers, discount signs, DAY and TRANS_TIME against a
timestamp, a blank description as a space against null); from staging on nothing may differ.
"""

from __future__ import annotations

import duckdb
import pytest

import fixtures

STAGING_TABLES = ("stg_transactions", "stg_products", "stg_promotions", "data_quality_report")


@pytest.fixture(scope="module")
def both_layouts(csv_sample_build, parquet_sample_build):
    """One connection with the CSV-built database attached as `from_csv` and the parquet-built
    one as `from_parquet`."""
    databases = {}
    for name, (workspace, run) in (("from_csv", csv_sample_build), ("from_parquet", parquet_sample_build)):
        assert f"({'csv' if name == 'from_csv' else 'parquet'})" in run.stdout
        databases[name] = workspace.database
    con = duckdb.connect()
    for name, database in databases.items():
        con.execute(f"attach '{database}' as {name} (read_only)")
    yield con
    con.close()


def columns_of(con, database: str, table: str) -> list[tuple[str, str]]:
    return con.execute("""
        select column_name, data_type
        from information_schema.columns
        where table_catalog = ? and table_name = ?
        order by ordinal_position
    """, [database, table]).fetchall()


@pytest.mark.parametrize("table", STAGING_TABLES)
def test_staging_is_identical(both_layouts, table):
    con = both_layouts
    columns = columns_of(con, "from_csv", table)
    assert columns, f"{table} is missing"
    assert columns == columns_of(con, "from_parquet", table)

    counts = con.execute(f"""
        select (select count(*) from from_csv.main.{table}),
               (select count(*) from from_parquet.main.{table})
    """).fetchall()[0]
    assert counts[0] == counts[1] > 0, counts

    # Every value as text: DuckDB prints a double in its shortest exact form, so this compares
    # bit for bit (0.0 and -0.0 would differ) and as multisets (duplicates count).
    for left, right in (("from_csv", "from_parquet"), ("from_parquet", "from_csv")):
        only_left = con.execute(f"""
            select * from (
                select cast(columns(*) as varchar) from {left}.main.{table}
                except all
                select cast(columns(*) as varchar) from {right}.main.{table}
            )
            order by all
            limit 5
        """).fetchall()
        assert only_left == [], f"{table}: rows only in {left}: {only_left}"


def test_data_quality_report_counts_the_dirt(both_layouts, sample_con):
    sample = fixtures.sample_counts(sample_con)
    for database in ("from_csv", "from_parquet"):
        lines = dict(both_layouts.execute(
            f"select rule, lines from {database}.main.data_quality_report").fetchall())
        assert sum(lines.values()) == sample["transaction_lines"], (database, lines)
        assert lines["duplicate_line"] == sample["duplicate_lines"] == 1, (database, lines)
        # zero quantity is the first rule, so it sees every zero-quantity line of the sample
        assert lines["non_positive_quantity"] >= sample["zero_quantity"] > 0, (database, lines)
        assert lines["unknown_product"] > 0, (database, lines)
        assert lines["excluded_department"] > 0 and sample["fuel"] > 0, (database, lines)


def test_discounts_are_positive_amounts(both_layouts):
    negative, positive, negative_zero = both_layouts.execute("""
        select
            count(*) filter (where retail_disc < 0),
            count(*) filter (where retail_disc > 0),
            count(*) filter (where cast(retail_disc as varchar) = '-0.0')
        from from_csv.main.stg_transactions
    """).fetchall()[0]
    assert positive > 1000
    assert negative_zero == 0
    # the Complete Journey data has a handful of negative retail discounts (price corrections);
    # they must stay rare after the sign flip, not become the rule
    assert negative < positive / 100
