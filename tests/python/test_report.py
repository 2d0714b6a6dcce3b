"""recsys.report on small hand-made databases: which sections appear, what they show, and that
the page needs nothing from the network. The browser test (test_report_browser.py) opens the
report of the real embedded build."""

from __future__ import annotations

import hashlib
import re

import duckdb
import pandas as pd
import pytest

from recsys import report

# Two backtest folds, so the metrics figure must hold a panel per fold.
TABLES = {
    "int_cutoffs": """
        select * from (values (53, 'production', 54, null), (50, 'backtest', 51, 53),
                              (47, 'backtest', 48, 50))
            as t (cutoff_week, cutoff_kind, send_week, test_last_week)""",
    "metrics_at_k": """
        select cutoff_week, strategy, k, 100 as n_users, 0.1 * k as precision, 0.0 as recall,
               0.05 * k as money_precision, 0.0 as money_recall, 0.5 as hit_rate
        from (values (47), (50)) as c (cutoff_week),
             (values ('own_top'), ('email_policy')) as s (strategy),
             (values (1), (3), (5)) as k (k)""",
    "metrics_by_slot": """
        select * from (values (50, 'promo', 10, 30, 12, 0.4, 0.41), (50, 'new', 10, 10, 1, 0.1, 0.09))
            as t (cutoff_week, slot, n_users, n_items, n_hits, hit_rate, money_hit_rate)""",
    "data_quality_report": """
        select * from (values (1, 'non_positive_quantity', 'q', 10, 0.1),
                              (2, 'unknown_product', 'u', 5, 0.05),
                              (3, 'duplicate_line', 'd', 0, 0.0),
                              (4, 'kept', 'k', 85, 0.85))
            as t (rule_order, rule, description, lines, share_of_raw)""",
    "recommendation_coverage": """
        select * from (values (50, 'own_top', 4, 9, 0.9, 0.5), (50, 'email_policy', 4, 6, 0.6, 1.0))
            as t (cutoff_week, strategy, n_users, n_distinct_items, catalog_coverage,
                  share_all_types_differ)""",
    "int_user_price_profile": """
        select 53 as cutoff_week, user_id, 10 as n_lines, 2.0 as median_price,
               3.0 as upsell_threshold
        from (values (1), (2), (3), (9)) as u (user_id)""",
    # four customers, their positions stored out of order; customer 9 has the largest id
    "email_recommendations": """
        select 54 as send_week, user_id, position, user_id * 100 + position as item_id,
               case when position = 5 then 'upsell' when position = 4 then 'new' else 'promo' end
                   as slot,
               0.5 as score, case when position = 5 then 3.5 else 1.25 end as price,
               0.5 as expected_revenue, 'because' as reason, 'GROCERY' as department,
               'SNACKS' as category, 'TYPE ' || user_id || '-' || position as product_type,
               'National' as brand, case when position = 1 then null else '16 OZ' end
                   as package_size, 53 as promo_week, 'calendar' as promo_source
        from (values (9), (2), (1), (3)) as u (user_id), (values (5), (3), (1), (2), (4)) as p (position)""",
    "evaluation_customers": """
        select * from (values (50, 4, 3, 3, 1, 0))
            as t (cutoff_week, n_recipients, n_window_buyers, n_evaluated,
                  n_left_out_no_purchase_in_window, n_left_out_no_history)""",
    "als_grid": """
        select 50 as cutoff_week, weighting, factors, 0.01 as regularization, 15 as iterations,
               100 as n_users, factors / 1000 as precision_at_5, 0.1 as money_precision_at_5,
               1.5 as fit_seconds, row_number() over (order by factors desc) as rank
        from (values ('none'), ('bm25')) as w (weighting), (values (32), (64)) as f (factors)""",
    # an extra table that no section charts yet, with a value that must be escaped
    "send_plan": """
        select * from (values ('s1', 'email', '<script>alert(1)</script>'))
            as t (send_id, channel, note)""",
}


def make_database(path, tables=TABLES):
    con = duckdb.connect(str(path))
    for name, sql in tables.items():
        con.execute(f"create table {name} as {sql}")
    con.close()
    return path


@pytest.fixture
def database(tmp_path):
    return make_database(tmp_path / "recsys.duckdb")


def section_titles(page: str) -> list[str]:
    return re.findall(r"<section><h2>(.*?)</h2>", page)


def test_funnel_stages_count_the_lines_left_after_each_rule():
    rules = pd.DataFrame({"rule_order": [3, 1, 2, 4],
                          "rule": ["duplicate_line", "non_positive_quantity", "unknown_product",
                                   "kept"],
                          "lines": [0, 10, 5, 85]})
    stages = report.funnel_stages(rules)
    assert stages["stage"].tolist() == ["raw lines", "after non_positive_quantity",
                                        "after unknown_product", "after duplicate_line"]
    assert stages["lines"].tolist() == [100, 90, 85, 85]
    assert stages["dropped"].tolist() == [0, 10, 5, 0]


def test_report_is_written_beside_the_database_and_inlines_plotly(database):
    output = report.write(database)
    assert output == database.with_name("report.html")
    assert sorted(path.name for path in database.parent.iterdir()) == ["recsys.duckdb",
                                                                       "report.html"]
    page = output.read_text()
    # plotly.js is in the page, once, and no script or stylesheet comes from elsewhere
    assert page.count(report.get_plotlyjs()[:200]) == 1
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)


def test_every_section_with_its_tables_appears_in_order(database):
    page = report.write(database).read_text()
    titles = section_titles(page)
    assert titles == [entry.title for entry in report.SECTIONS] + ["send_plan"]
    charts = re.findall(r'data-chart="([^"]+)"', page)
    assert charts == ["strategy-metrics", "slot-hit-rate", "cleaning-funnel", "price-histogram",
                      "upsell-scatter", "catalog-coverage", "als-grid"]


def test_metrics_chart_has_a_panel_per_fold(database):
    page = report.write(database).read_text()
    assert "backtest cutoff week 47" in page and "backtest cutoff week 50" in page


def test_sections_without_their_tables_are_skipped(tmp_path):
    only = {name: TABLES[name] for name in ("data_quality_report", "metrics_by_slot")}
    page = report.write(make_database(tmp_path / "partial.duckdb", only)).read_text()
    assert section_titles(page) == ["Which e-mail slots sell", "What cleaning removed"]
    empty = report.write(make_database(tmp_path / "empty.duckdb", {})).read_text()
    assert section_titles(empty) == []


def test_extra_tables_appear_as_escaped_plain_tables(database):
    page = report.write(database).read_text()
    send_plan = page.split("<h2>send_plan</h2>")[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in send_plan
    assert "<script>alert(1)" not in page
    assert "<td>email</td>" in send_plan


def test_a_long_table_is_cut_with_a_note():
    table = report.plain_table(pd.DataFrame({"n": range(60), "x": [None] * 60}),
                               max_rows=50)
    assert table.count("<tr") == 51  # the header and 50 rows
    assert "First 50 of 60 rows." in table
    assert "None" not in table and "nan" not in table


def test_a_long_extra_table_shows_its_first_rows_and_its_size(tmp_path):
    tables = dict(TABLES, send_plan="select range as send_id from range(120)")
    page = report.write(make_database(tmp_path / "long.duckdb", tables)).read_text()
    send_plan = page.split("<h2>send_plan</h2>")[1]
    assert send_plan.count("<tr") == 1 + report.MAX_TABLE_ROWS
    assert f"First {report.MAX_TABLE_ROWS} of 120 rows." in send_plan


def test_three_example_emails_in_position_order(database):
    page = report.write(database).read_text()
    assert re.findall(r'class="email" data-user="(\d+)"', page) == ["1", "2", "3"]
    first = page.split('data-user="1"')[1].split('class="email"')[0]
    names = re.findall(r"<strong>National Type 1-(\d)</strong>", first)
    assert names == ["1", "2", "3", "4", "5"]
    # the badge of each slot, the price, and no size for the item without one
    assert first.count("On promotion") == 3 and "New for you" in first and "Treat yourself" in first
    assert "$3.50" in first and "$1.25" in first
    assert "<strong>National Type 1-1</strong></span>" in first


def test_upsell_section_counts_items_below_the_threshold(database, tmp_path):
    page = report.write(database).read_text()
    assert "4 e-mails of the production cutoff have an upsell item; 0 of them lie below" in page
    cheaper = dict(TABLES, int_user_price_profile=TABLES["int_user_price_profile"].replace(
        "3.0 as upsell_threshold", "case when user_id = 2 then 4.0 else 3.0 end as upsell_threshold"))
    page = report.write(make_database(tmp_path / "below.duckdb", cheaper)).read_text()
    assert "4 e-mails of the production cutoff have an upsell item; 1 of them lie below" in page


def test_the_database_is_read_only(database):
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    report.write(database)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert not database.with_name(database.name + ".wal").exists()


def test_main_without_a_database_fails_with_one_line(tmp_path, capsys):
    missing = tmp_path / "nothing.duckdb"
    assert report.main(["--database", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(missing) in err and err.startswith("error: ")
    assert not (tmp_path / "report.html").exists()


def test_main_writes_where_asked(database, tmp_path, capsys):
    output = tmp_path / "elsewhere.html"
    assert report.main(["--database", str(database), "--output", str(output)]) == 0
    assert output.is_file() and f"wrote {output}" in capsys.readouterr().out
