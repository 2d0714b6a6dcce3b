"""Dirty lines in a good file: each kind is dropped and counted under its own rule in
data_quality_report, and the build passes with every dbt test.

The file-breaking kinds (NaN, infinity, numbers beyond their type, non-UTF-8 text) are cases of
fixtures.BAD_CSV_CASES, tested in test_sources.py and test_bad_input.py.
"""

from __future__ import annotations

import shutil

import pytest

import fixtures

# Each planted line is a copy of one clean line with one field changed, and the rule that must
# drop it.
PLANTED = (
    ("SALES_VALUE", "", "missing_value"),
    ("WEEK_NO", " ", "missing_value"),
    ("WEEK_NO", "-3", "date_out_of_range"),
    ("DAY", "99999", "date_out_of_range"),
    ("TRANS_TIME", "2500", "date_out_of_range"),
    ("QUANTITY", "5000000", "implausible_amount"),
    ("SALES_VALUE", "1e9", "implausible_amount"),
)


def clean_line(con) -> dict[str, str]:
    """One kept line of the good build, as a line of retail_train.csv (course signs)."""
    row = con.execute("""
        select user_id, basket_id, day, item_id, quantity, sales_value, store_id,
               0 - retail_disc, trans_time, week, 0 - coupon_disc, 0 - coupon_match_disc
        from stg_transactions
        order by all
        limit 1
    """).fetchone()
    return dict(zip(fixtures.CSV_TRANSACTIONS_HEADER, (str(value) for value in row)))


def report(con) -> dict[str, int]:
    return dict(con.execute("select rule, lines from data_quality_report").fetchall())


@pytest.fixture(scope="module")
def builds(new_workspace, csv_sample_dir, csv_sample_build, tmp_path_factory):
    """The data_quality_report of the sample, then of the sample with the planted lines and a
    calendar row of week -1; and the dirty build's connection."""
    con = csv_sample_build[0].connect()
    before, line = report(con), clean_line(con)
    con.close()
    workspace = new_workspace("dirty_values")

    folder = tmp_path_factory.mktemp("dirty") / "data"
    shutil.copytree(csv_sample_dir, folder)
    planted = []
    for column, value, _ in PLANTED:
        fields = {**line, column: value}
        planted.append(",".join(fields[name] for name in fixtures.CSV_TRANSACTIONS_HEADER))
    with (folder / "retail_train.csv").open("a") as handle:
        handle.write("\n".join(planted) + "\n")
    with (folder / "causal_data.csv").open("a") as handle:
        handle.write(f"{line['PRODUCT_ID']},{line['STORE_ID']},-1,A,0\n")

    run = workspace.build(folder)
    assert run.returncode == 0, run.describe()
    con = workspace.connect()
    yield before, report(con), con
    con.close()


def test_sample_file_ends_with_a_newline(csv_sample_dir):
    # the planted lines are appended: they must start on a line of their own
    assert (csv_sample_dir / "retail_train.csv").read_bytes().endswith(b"\n")


def test_each_dirty_line_is_dropped_under_its_own_rule(builds):
    before, after, _ = builds
    expected = {rule: sum(1 for *_, planted_rule in PLANTED if planted_rule == rule)
                for *_, rule in PLANTED}
    for rule in ("missing_value", "date_out_of_range", "implausible_amount"):
        assert before[rule] == 0, before
        assert after[rule] == expected[rule], after
    # nothing else moved: the other rules and the kept lines count what they counted before
    unchanged = {rule: lines for rule, lines in after.items() if rule not in expected}
    assert unchanged == {rule: lines for rule, lines in before.items() if rule not in expected}


def test_no_dirty_value_reaches_staging(builds):
    *_, con = builds
    bad = con.execute("""
        select
            count(*) filter (where sales_value is null or week is null),
            count(*) filter (where week < 1 or day > 7000 or trans_time > 2359),
            count(*) filter (where quantity > 10000 or sales_value > 10000)
        from stg_transactions
    """).fetchone()
    assert bad == (0, 0, 0)
    assert con.execute("select min(week) from stg_promotions").fetchone()[0] >= 1
