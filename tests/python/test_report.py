"""recsys.report on small hand-made databases: which sections appear, what they show, and that
the page needs nothing from the network. The browser test (test_report_browser.py) opens the
report of the real embedded build."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re

import duckdb
import pandas as pd
import pytest

from recsys import paths, report

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
    # four customers, two e-mails each (Friday's stored first), their positions stored out of
    # order; customer 9 has the largest id; customer 1's Friday types carry an ampersand
    "email_recommendations": """
        select send_id, 54 as send_week, user_id, position,
               user_id * 100 + position + (send_id = 'w54-fri-email')::int * 10 as item_id,
               case when position = 5 then 'upsell' when position = 4 then 'new' else 'promo' end
                   as slot,
               0.5 as score, case when position = 5 then 3.5 else 1.25 end as price,
               0.5 as expected_revenue, 'because' as reason, 'GROCERY' as department,
               'SNACKS' as category,
               case when send_id = 'w54-fri-email' and user_id = 1 then 'BULK&BAG ' else 'TYPE ' end
                   || user_id || '-' || position as product_type,
               'National' as brand, case when position = 1 then null else '16 OZ' end
                   as package_size, 53 as promo_week, 'calendar' as promo_source
        from (values ('w54-fri-email'), ('w54-wed-email')) as s (send_id), (values (9), (2), (1), (3)) as u (user_id),
             (values (5), (3), (1), (2), (4)) as p (position)""",
    "evaluation_customers": """
        select * from (values (50, 4, 3, 3, 1, 0))
            as t (cutoff_week, n_recipients, n_window_buyers, n_evaluated,
                  n_left_out_no_purchase_in_window, n_left_out_no_history)""",
    "als_grid": """
        select 50 as cutoff_week, weighting, factors, 0.01 as regularization, 15 as iterations,
               100 as n_users, factors / 1000 as precision_at_5, 0.1 as money_precision_at_5,
               1.5 as fit_seconds, row_number() over (order by factors desc) as rank
        from (values ('none'), ('bm25')) as w (weighting), (values (32), (64)) as f (factors)""",
    # stored with Friday first, and without dates, as from the course's CSV files
    "send_plan": """
        select send_id, channel, 54 as send_week, send_weekday, send_time,
               cast(null as date) as send_date, n_recipients, window_days,
               cast(null as date) as window_end_date
        from (values ('w54-fri-receipt', 'receipt', 'Friday', '07:00', 30, 5),
                     ('w54-wed-email', 'email', 'Wednesday', '14:30', 10, 2),
                     ('w54-fri-email', 'email', 'Friday', '18:00', 12, 5),
                     ('w54-wed-receipt', 'receipt', 'Wednesday', '07:00', 30, 2))
            as t (send_id, channel, send_weekday, send_time, n_recipients, window_days)""",
    # the latest fold (50): three sends, one without an evaluated customer
    "metrics_by_send": """
        select cutoff_week, send_id, channel, send_weekday, cast(null as date) as send_date,
               cast(null as date) as window_end_date, 50 as n_recipients, n_users, precision,
               precision as money_precision, hit_rate, single_list_precision,
               single_list_precision as single_list_money_precision, single_list_hit_rate
        from (values (50, 'w51-wed-email', 'email', 'Wednesday', 10, 0.2, 0.5, 0.1, 0.3),
                     (50, 'w51-fri-email', 'email', 'Friday', 30, 0.1, 0.4, 0.3, 0.6),
                     (50, 'w51-fri-push', 'push', 'Friday', 0, null, null, null, null),
                     (47, 'w48-wed-email', 'email', 'Wednesday', 99, 0.9, 0.9, 0.9, 0.9))
            as t (cutoff_week, send_id, channel, send_weekday, n_users, precision, hit_rate,
                  single_list_precision, single_list_hit_rate)""",
    "candidate_recall": """
        select cutoff_week, source, 200 as n_purchases, n_found, n_found / 200 as recall
        from (values (47, 'own', 60), (47, 'all', 90), (50, 'own', 40), (50, 'als', 30),
                     (50, 'all', 50)) as t (cutoff_week, source, n_found)""",
    "calibration": """
        select cutoff_week, decile, 1000 as n_candidates, mean_probability, purchase_rate,
               mean_probability as min_probability, mean_probability as max_probability
        from (values (50, 3, 0.2, 0.15), (50, 1, 0.001, 0.002), (50, 2, 0.01, 0.012),
                     (47, 1, 0.003, 0.004), (47, 2, 0.3, 0.25))
            as t (cutoff_week, decile, mean_probability, purchase_rate)""",
    # required_uplift = goal / revenue_share, as the model computes it
    "experiment_goal": """
        select channels, length(channels) - length(replace(channels, '+', '')) + 1 as n_channels,
               20 as first_week, 36 as last_week, reachable_customers,
               reachable_customers as reachable_buying_customers,
               0.5 as buying_customer_share, 1000 * revenue_share as revenue, revenue_share,
               0.06 as total_revenue_goal, 0.06 / revenue_share as required_uplift,
               0.06 / (revenue_share * 0.9) as required_uplift_during_test, 'in words' as in_words
        from (values ('receipt', 90, 0.96), ('email', 10, 0.05), ('push', 25, 0.2),
                     ('email + push + receipt', 100, 1.0))
            as t (channels, reachable_customers, revenue_share)""",
    # receipt revenue is the one pair detectable with CUPED
    "experiment_power": """
        select channel, metric, 100 as n_customers, 10 as n_control, 1.0 as baseline, mde,
               mde_cuped, 0.5 as cuped_variance_reduction, goal_uplift,
               mde <= goal_uplift as detectable, mde_cuped <= goal_uplift as detectable_cuped,
               cast(null as double) as required_control_share, required_customers
        from (values ('email', 'revenue_per_customer', 0.8, 0.4, 0.06, 8000.0),
                     ('receipt', 'revenue_per_customer', 0.1, 0.05, 0.06, 1500.0),
                     ('email', 'retention', 0.4, 0.35, 0.03, 20000.0),
                     ('receipt', 'retention', 0.09, 0.08, 0.03, 9000.0))
            as t (channel, metric, mde, mde_cuped, goal_uplift, required_customers)""",
    # standard error 0.01: the band is 5 % +- 3.5 points; e-mail's CUPED rate 9 % lies outside,
    # but e-mail's groups are too small for a p-value: it does not count against the readout
    "experiment_aa": """
        select channel, metric, status, 475 as n_salts, 100 as n_customers, 10.0 as mean_control_customers,
               false_positive_rate, false_positive_rate_cuped, 0.01 as binomial_standard_error,
               0.0 as mean_effect, 0.0 as mean_effect_cuped, 0.1 as effect_sd,
               0.05 as effect_sd_cuped, 0.5 as cuped_variance_reduction
        from (values ('email', 'revenue_per_customer', 'too few customers', 0.05, 0.09),
                     ('receipt', 'revenue_per_customer', 'ok', 0.04, 0.02),
                     ('receipt', 'retention', 'ok', 0.05, 0.12))
            as t (channel, metric, status, false_positive_rate, false_positive_rate_cuped)""",
    # a campaign of weeks 37-53: e-mail too small to read; the receipt's revenue +3 % (-5 % to +10 %,
    # p 0.4), its control group out of share, its guardrail fallen
    "experiment_readout": """
        select channel, metric, status, role, 37 as outcome_first_week, 53 as outcome_last_week,
               900 as n_treatment, 100 as n_control, 1.0 as treatment_mean, 1.0 as control_mean,
               1.0 as treatment_pre_mean, 1.0 as control_pre_mean, effect, ci_low, ci_high,
               0.5 as p_value, 1.0 as treatment_mean_cuped, 1.0 as control_mean_cuped,
               effect_cuped, ci_low_cuped, ci_high_cuped, p_value_cuped, 0.5 as variance_reduction,
               p_value_cuped as p_value_holm, channel = 'receipt' as srm_mismatch,
               case when role = 'guardrail' then ci_high_cuped < 0 end as guardrail_breached
        from (values ('email', 'revenue_per_customer', 'too few customers', 'primary', 0.3, null, null,
                      0.2, null, null, null),
                     ('receipt', 'revenue_per_customer', 'ok', 'primary', 0.02, -0.06, 0.1, 0.03,
                      -0.05, 0.1, 0.4),
                     ('receipt', 'baskets_per_customer', 'ok', 'guardrail', -0.05, -0.09, -0.01,
                      -0.04, -0.07, -0.01, 0.01))
            as t (channel, metric, status, role, effect, ci_low, ci_high, effect_cuped, ci_low_cuped,
                  ci_high_cuped, p_value_cuped)""",
    # three looks of the receipt: the third week's p-value is below 0.05 but not below its level
    "experiment_readout_weekly": """
        select look, 36 + look as send_week, 'receipt' as channel, 'revenue_per_customer' as metric,
               'ok' as status, 900 as n_treatment, 100 as n_control, 0.05 as effect_cuped,
               p_value_cuped, nominal_alpha, p_value_cuped <= nominal_alpha as significant,
               false as effect_claimed, 'primary' as role, 0.5 as srm_p_value, false as srm_mismatch,
               p_value_cuped as p_value_holm
        from (values (1, 0.5, 0.000001), (2, 0.2, 0.0002), (3, 0.04, 0.002))
            as t (look, p_value_cuped, nominal_alpha)""",
    "experiment_power_weekly": """
        select weeks, channel, 'revenue_per_customer' as metric, status, 2000 as n_customers,
               200 as n_control, 1.0 as baseline, mde_cuped * 1.5 as mde, mde_cuped,
               mde_cuped * 1.05 as mde_cuped_sequential, 0.5 as cuped_variance_reduction,
               0.06 as goal_uplift, false as detectable, false as detectable_cuped,
               cast(null as double) as required_control_share, 9000.0 as required_customers
        from (values (1, 'receipt', 'ok', 0.3), (2, 'receipt', 'ok', 0.2), (3, 'receipt', 'ok', 0.1),
                     (1, 'email', 'too few customers', 0.9), (2, 'email', 'too few customers', 0.7),
                     (3, 'email', 'too few customers', 0.6))
            as t (weeks, channel, status, mde_cuped)""",
    # two recorded weeks: the second repeats nothing (novelty rule), control has no recipients
    "campaign_weekly": """
        select send_week, channel, experiment_group, audience, recipients, buyers,
               buyers / nullif(recipients, 0) as hit_rate, 0.02 as item_hit_rate,
               revenue_per_customer, repeat_share, recipients > 0 as windows_complete
        from (values (50, 'email', 'treatment', 90, 90, 18, 40.0, null),
                     (50, 'email', 'control', 10, 0, 0, 39.0, null),
                     (51, 'email', 'treatment', 90, 88, 11, 41.0, 0.0),
                     (51, 'email', 'control', 10, 0, 0, 38.0, null))
            as t (send_week, channel, experiment_group, audience, recipients, buyers,
                  revenue_per_customer, repeat_share)""",
    # one campaign inside the data's dates, one outside (left out of the chart)
    "real_campaigns": """
        select * from (values
            (8, 'Type A', date '2017-05-08', date '2017-06-25', 100, 15, 0.15, 0.9, 0.8, true),
            (24, 'Type C', date '2016-11-14', date '2017-01-16', 12, 0, 0.0, 0.25, 0.0, false))
            as t (campaign_id, campaign_type, start_date, end_date, households, redeemers,
                  redemption_rate, coupon_buy_rate, coupon_buy_rate_before, windows_in_data)""",
    # with a value that must be escaped
    "customer_channels": """
        select * from (values (1, 'email', '<script>alert(1)</script>'), (2, 'email', 'simulated'),
                              (3, 'email', 'simulated'), (1, 'receipt', 'transactions'))
            as t (user_id, channel, source)""",
    # two customers of the Wednesday e-mail, five items each; nobody in the other sends
    "send_list": """
        select 'w54-wed-email' as send_id, user_id, position, position * 10 + user_id as item_id
        from range(1, 3) as u (user_id) cross join range(1, 6) as p (position)""",
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
    return [html.unescape(title) for title in re.findall(r"<section><h2>(.*?)</h2>", page)]


def section_body(page: str, title: str) -> str:
    """The HTML of the section titled ``title``, entities unescaped (a paragraph's quotes)."""
    start = page.index(f"<h2>{html.escape(title)}</h2>")
    return html.unescape(page[start:page.index("</section>", start)])


def chart_json(body: str) -> str:
    """The plotly figure of the first chart in ``body``, as the page's script holds it."""
    return re.search(r"Plotly.newPlot\((.*?)\)\s*};", body, re.S).group(1)


def chart_figures(page: str) -> dict[str, tuple[list, dict]]:
    """Every chart of the page by name: its plotly traces and layout, as the page's script
    passes them to Plotly.newPlot."""
    decoder, figures = json.JSONDecoder(), {}
    for match in re.finditer(r'Plotly\.newPlot\(\s*"chart-([^"]+)",\s*', page):
        data, end = decoder.raw_decode(page, match.end())
        layout, _ = decoder.raw_decode(page, end + len(page[end:]) - len(page[end:].lstrip(", \n")))
        figures[match.group(1)] = (data, layout)
    return figures


def raw_names(data: list, layout: dict, columns: set[str]) -> list[str]:
    """What a reader sees of a figure (axis, legend and facet titles, legend entries, category
    ticks) that is a column name or a code: with an underscore, or a column of the database that
    report.WORDS does not hold as a word already; and a missing x or y axis title."""
    axes = {key: (value.get("title") or {}).get("text") for key, value in layout.items()
            if re.fullmatch(r"[xy]axis\d*", key)}
    shown = [title for title in axes.values() if title]
    shown += [(layout.get("legend", {}).get("title") or {}).get("text") or ""]
    shown += [note.get("text", "") for note in layout.get("annotations", [])]
    for trace in data:
        shown.append(trace.get("name") or "")
        shown += [value for axis in ("x", "y") if isinstance(trace.get(axis), list)
                  for value in trace[axis] if isinstance(value, str)]
    raw = sorted({text for text in shown if "_" in text
                  or (text in columns and report.WORDS.get(text) != text)})
    missing = [f"no {axis} axis title" for axis in "xy"
               if not any(title for key, title in axes.items() if key.startswith(axis))]
    return raw + missing


def chart_takeaways(page: str) -> dict[str, str]:
    """Each chart's name and the takeaway right under it (none: the chart is missing here)."""
    return dict(re.findall(r'data-chart="([^"]+)">(?:(?!data-chart=).)*?</div></div>'
                           r'<p class="takeaway">([^<]+)</p>', page, re.S))


def test_charts_show_words_not_column_names(database):
    page = report.write(database).read_text()
    con = duckdb.connect(str(database), read_only=True)
    columns = {name for (name,) in con.execute(
        "select distinct column_name from information_schema.columns").fetchall()}
    con.close()
    figures = chart_figures(page)
    assert sorted(figures) == sorted(re.findall(r'data-chart="([^"]+)"', page))
    problems = {name: raw_names(data, layout, columns) for name, (data, layout) in figures.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    # the control: a chart drawn from the raw columns is caught
    raw = report.px.bar(pd.DataFrame({"slot": ["promo"], "hit_rate": [0.4]}), x="slot",
                        y="hit_rate", color="slot")
    (data, layout), = chart_figures(report.chart(raw, "raw", "a takeaway")).values()
    assert raw_names(data, layout, {"slot", "hit_rate"}) == ["hit_rate", "slot"]


def test_every_chart_has_a_takeaway_under_it(database):
    page = report.write(database).read_text()
    takeaways = chart_takeaways(page)
    assert list(takeaways) == re.findall(r'data-chart="([^"]+)"', page)
    assert all(text.strip().endswith(".") for text in takeaways.values()), takeaways


def test_every_chart_is_drawn_on_the_white_template(database):
    """plotly_white, the report's one look, on every chart: plotly's own default ("plotly") has a
    grey plot area."""
    figures = chart_figures(report.write(database).read_text())
    backgrounds = {name: layout["template"]["layout"]["plot_bgcolor"] for name, (_, layout) in figures.items()}
    assert figures and set(backgrounds.values()) == {"white"}, backgrounds


def rows(columns: str, *values: tuple) -> pd.DataFrame:
    return pd.DataFrame(list(values), columns=columns.split())


# Each takeaway helper on a small table whose answer is known, as the section's query gives it.
TAKEAWAYS = [
    # fold means at k = 5: own top (0.3 + 0.5) / 2 = 0.4, popularity 0.15; k = 1 does not count
    (report.strategy_takeaway,
     rows("cutoff_week strategy k precision", (47, "own_top", 5, 0.3), (50, "own_top", 5, 0.5),
          (47, "popularity", 5, 0.1), (50, "popularity", 5, 0.2), (50, "popularity", 1, 0.9)),
     "At 5 items the best precision, 0.400, comes from the customer's own top items, against "
     "0.150 from the most popular items, the next best (mean of the 2 backtest folds)."),
    # the latest fold only: new sold best at 47
    (report.slot_takeaway,
     rows("cutoff_week slot hit_rate", (47, "new", 0.9), (50, "new", 0.1), (50, "promo", 0.4),
          (50, "upsell", 0.2)),
     "At backtest cutoff week 50, the items 'on promotion' sell best: 40.0% of them were bought, "
     "against 10.0% of the items 'new for you'."),
    (report.funnel_takeaway,
     report.funnel_stages(rows("rule_order rule lines", (1, "non_positive_quantity", 10),
                               (2, "unknown_product", 5), (3, "kept", 85))),
     "Cleaning keeps 85 of 100 raw lines (85.0%); the rule that drops the most is 'quantity zero "
     "or below', 10 lines."),
    (report.price_takeaway,
     rows("median_price upsell_threshold upsell_price", (2.0, 3.0, 4.0), (1.0, 2.0, 3.0),
          (9.0, 9.0, 9.0)),
     "The typical upsell item costs $4.00, against a typical threshold of $3.00 and a typical "
     "price paid of $2.00 (medians over the customers)."),
    # price / threshold: 0.5, 0.8, 1.0
    (report.upsell_takeaway,
     rows("upsell_threshold upsell_price", (4.0, 2.0), (5.0, 4.0), (3.0, 3.0)),
     "The median upsell item costs 0.80 times the customer's threshold, below it."),
    # the production cutoff 53 has the e-mail alone: the comparison is at 50
    (report.coverage_takeaway,
     rows("cutoff_week strategy catalog_coverage", (50, "popularity", 0.001),
          (50, "own_top", 0.9), (50, "email_policy", 0.3), (53, "email_policy", 0.95)),
     "At backtest cutoff week 50, the widest choice comes from the customer's own top items, "
     "90.0% of the catalog's top items; the narrowest from the most popular items, 0.1%."),
    (report.send_plan_takeaway,
     rows("channel n_recipients", ("email", 100), ("email", 120), ("receipt", 2000)),
     "The receipt reaches the most customers, 2,000 per send; the e-mail the fewest, 110."),
    # Wednesday (20 customers) 0.1 against 0.1, Friday (30) 0.05 against 0.2: the list leads,
    # by most on Friday, whose window is longer
    (report.sends_takeaway,
     rows("cutoff_week send_weekday send_date window_end_date n_users precision "
          "single_list_precision",
          (50, "Friday", "2017-12-15", "2017-12-20", 30, 0.05, 0.2),
          (50, "Wednesday", "2017-12-13", "2017-12-15", 20, 0.1, 0.1),
          (47, "Wednesday", "2017-11-22", "2017-11-24", 99, 0.9, 0.0)),
     "At backtest cutoff week 50, the single weekly list scores higher than the sends: "
     "precision@5 0.070 for the sends against 0.160 for the list; the list's lead is widest on "
     "Friday (Wednesday 0.100 against 0.100, Friday 0.050 against 0.200): Friday's lists leave "
     "out the items sent earlier in the week, although its window is longer (5 days against 2)."),
    # the other way round, without dates: no reason given that the data does not show
    (report.sends_takeaway,
     rows("cutoff_week send_weekday send_date window_end_date n_users precision "
          "single_list_precision",
          (50, "Wednesday", None, None, 10, 0.3, 0.1), (50, "Friday", None, None, 10, 0.2, 0.2)),
     "At backtest cutoff week 50, the sends score higher than the single weekly list: "
     "precision@5 0.250 for the sends against 0.150 for the list; the list's lead is widest on "
     "Friday (Wednesday 0.300 against 0.100, Friday 0.200 against 0.200)."),
    (report.recall_takeaway,
     rows("cutoff_week source recall", (50, "all", 0.5), (50, "own", 0.3), (50, "upsell", 0.01),
          (50, "als", 0.2), (47, "popular", 0.9)),
     "At backtest cutoff week 50, the single source that finds the most purchases is the "
     "customer's own history, 30.0%; the one that finds the fewest is upsell, 1.0%."),
    # bought (0.1 + 0.01) x 100 against predicted (0.2 + 0.02) x 100: half
    (report.calibration_takeaway,
     rows("cutoff_week n_candidates mean_probability purchase_rate", (50, 100, 0.2, 0.1),
          (50, 100, 0.02, 0.01), (47, 100, 0.01, 0.5)),
     "At backtest cutoff week 50, customers bought 0.50 times the ranker's predicted purchases "
     "over all deciles, fewer than it predicts: it is too confident."),
    (report.goal_takeaway,
     rows("channels required_uplift", ("email + receipt", 0.06), ("email", 1.2),
          ("receipt", 0.07)),
     "The uplift needed runs from +6.0% (email + receipt) to +120.0% (email): the less of the "
     "revenue a mix reaches, the more each reached customer must add."),
    # CUPED / plain - 1: -0.5, -0.25, 0
    (report.power_takeaway,
     rows("mde mde_cuped", (0.4, 0.2), (0.4, 0.3), (0.1, 0.1)),
     "CUPED shrinks the minimum detectable effect by 25.0% in the median channel and metric."),
    # the rate of a group too small for a p-value does not count
    (report.aa_takeaway,
     rows("status false_positive_rate", ("ok", 0.04), ("ok", 0.07), ("too few customers", 0.5)),
     "Where the readout gives a p-value, it finds an effect that is not there in 4.0% to 7.0% "
     "of the draws, against the 5 % it should."),
    (report.readout_takeaway,
     rows("channel metric role status ci_low_cuped ci_high_cuped",
          ("email", "revenue_per_customer", "primary", "ok", 0.01, 0.2),
          ("receipt", "revenue_per_customer", "primary", "ok", -0.05, 0.1),
          ("receipt", "baskets_per_customer", "guardrail", "ok", -0.3, -0.1)),
     "The 95 % interval of revenue per customer lies above zero for email."),
    (report.weekly_takeaway,
     rows("look send_week channel p_value_cuped nominal_alpha", (1, 37, "receipt", 0.001, 0.01),
          (2, 38, "receipt", 0.04, 0.002), (2, 38, "email", 0.3, 0.002)),
     "In week 38, no channel lies below the sequential level of 0.002 (lowest: receipt, p "
     "0.04): no effect to claim yet."),
    (report.power_weekly_takeaway,
     rows("weeks channel mde_cuped_sequential goal_uplift", (1, "receipt", 0.1, 0.06),
          (2, "receipt", 0.05, 0.06), (3, "receipt", 0.04, 0.06), (3, "email", 0.5, 0.06)),
     "The weekly readout detects the goal of +6.0% for receipt from week 2."),
    # too few customers in every channel (the 60-household sample): no MDE at all
    (report.power_weekly_takeaway,
     rows("weeks channel mde_cuped_sequential goal_uplift", (1, "receipt", None, 0.06),
          (1, "email", None, 0.06)),
     "No channel has enough customers yet to give a detectable uplift."),
    (report.hits_takeaway,
     rows("send_week channel hit_rate", (50, "email", 0.9), (51, "email", 0.2),
          (51, "push", 0.3), (51, "receipt", None)),
     "In week 51, 30.0% of the push recipients bought one of their items, the most of any "
     "channel; e-mail 20.0%."),
    # treatment (40 x 90 + 42 x 10) / 100 = 40.2 against control 38
    (report.revenue_takeaway,
     rows("experiment_group audience revenue_per_customer", ("treatment", 90, 40.0),
          ("treatment", 10, 42.0), ("control", 10, 38.0)),
     "Over the recorded weeks, the treatment spent $40.20 per customer and the held-out control "
     "$38.00, $2.20 more; the readout says whether that is more than chance."),
    (report.real_campaigns_takeaway,
     rows("campaign coupon_buy_rate coupon_buy_rate_before", ("#8 Type A", 0.9, 0.8),
          ("#9 Type B", 0.3, 0.35), ("#3 Type C", 0.5, 0.45)),
     "The share buying a coupon product rose in 2 of 3 campaigns; most in #8 Type A (+10.0% "
     "points), and fell most in #9 Type B (-5.0% points)."),
    (report.grid_takeaway,
     rows("configuration weighting precision_at_5 fit_seconds", ("64 factors", "bm25", 0.2, 9.0),
          ("32 factors", "none", 0.1, 2.0)),
     "The best configuration, 64 factors (bm25 weighting), reaches precision@5 0.200 in 9.0 s; "
     "the fastest, 32 factors, reaches 0.100 in 2.0 s."),
]


@pytest.mark.parametrize(("helper", "table", "expected"), TAKEAWAYS,
                         ids=[f"{helper.__name__}-{number}"
                              for number, (helper, _, _) in enumerate(TAKEAWAYS)])
def test_takeaway_helpers_say_what_their_table_shows(helper, table, expected):
    assert helper(table) == expected


def test_funnel_stages_count_the_lines_left_after_each_rule():
    rules = pd.DataFrame({"rule_order": [3, 1, 2, 4],
                          "rule": ["duplicate_line", "non_positive_quantity", "unknown_product",
                                   "kept"],
                          "lines": [0, 10, 5, 85]})
    stages = report.funnel_stages(rules)
    assert stages["stage"].tolist() == ["raw lines", "after quantity zero or below",
                                        "after unknown product", "after duplicate line"]
    assert stages["lines"].tolist() == [100, 90, 85, 85]
    assert stages["dropped"].tolist() == [0, 10, 5, 0]


def test_report_is_written_beside_the_database_and_inlines_plotly(database):
    output = report.write(database)
    assert output == paths.report_path(database)
    assert sorted(path.name for path in database.parent.iterdir()) == ["recsys.duckdb",
                                                                       "recsys.duckdb.report.html"]
    page = output.read_text()
    # plotly.js is in the page, once, and no script or stylesheet comes from elsewhere
    assert page.count(report.get_plotlyjs()[:200]) == 1
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)


def test_every_section_with_its_tables_appears_in_order(database):
    page = report.write(database).read_text()
    titles = section_titles(page)
    assert titles == [entry.title for entry in report.SECTIONS]
    charts = re.findall(r'data-chart="([^"]+)"', page)
    assert charts == ["strategy-metrics", "slot-hit-rate", "cleaning-funnel", "price-histogram",
                      "upsell-scatter", "catalog-coverage", "send-plan", "sends-backtest",
                      "candidate-recall", "calibration", "experiment-goal", "experiment-power",
                      "experiment-aa", "experiment-readout", "experiment-weekly",
                      "experiment-power-weekly", "campaign-hits", "campaign-revenue",
                      "real-campaigns", "als-grid"]


def test_campaign_sections_say_what_the_ledger_and_the_real_campaigns_show(database):
    page = report.write(database).read_text()
    campaign = section_body(page, "The campaign over time")
    assert "2 recorded send weeks (50-51)" in campaign
    assert "Repeat share (items a customer was also sent the recorded week before, on any channel): 0.0% over 1 weeks" in campaign
    real = section_body(page, "The retailer's own campaigns")
    # only the campaign with both windows in the data: 15 % redeemed, +10 points of buyers
    assert "1 campaigns of the data with both windows in its dates, 100 household-campaign pairs: 15.0% redeemed" in real
    assert "changed by +10.0% points" in real


def test_metrics_chart_has_a_panel_per_fold(database):
    page = report.write(database).read_text()
    assert "backtest cutoff week 47" in page and "backtest cutoff week 50" in page


def test_sections_without_their_tables_are_skipped(tmp_path):
    only = {name: TABLES[name] for name in ("data_quality_report", "metrics_by_slot")}
    page = report.write(make_database(tmp_path / "partial.duckdb", only)).read_text()
    assert section_titles(page) == ["Which e-mail slots sell", "What cleaning removed"]
    empty = report.write(make_database(tmp_path / "empty.duckdb", {})).read_text()
    assert section_titles(empty) == []


def test_reach_is_summed_per_channel_and_source_with_text_escaped(database):
    page = report.write(database).read_text()
    reach = page.split("<h2>Who each channel reaches</h2>")[1].split("</section>")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reach
    assert "<script>alert(1)" not in page
    rows = re.findall(r"<tr>\s*<td>(\w+)</td>\s*<td>([^<]+)</td>\s*<td>(\d+)</td>", reach)
    assert rows == [("email", "&lt;script&gt;alert(1)&lt;/script&gt;", "1"), ("email", "simulated", "2"),
                    ("receipt", "transactions", "1")]


def test_send_files_count_each_send_and_link_only_the_files_that_exist(database):
    exports = paths.exports_path(database)
    file = exports / "csv" / "email" / "send_id=w54-wed-email" / "data_0.csv"
    file.parent.mkdir(parents=True)
    file.write_text("send_id\n")
    page = report.write(database).read_text()
    files = section_body(page, "The send files")
    rows = re.findall(r"<tr><td>([\w-]+)</td>.*?<td>([\d,]+)</td><td>([\d,]+)</td><td>(.*?)</td></tr>", files)
    assert rows == [("w54-wed-receipt", "0", "0", ""),
                    ("w54-wed-email", "2", "10", '<a href="recsys.duckdb.exports/csv/email/send_id=w54-wed-email/data_0.csv">csv</a>'),
                    ("w54-fri-receipt", "0", "0", ""), ("w54-fri-email", "0", "0", "")]
    # no raw dump of a send list: the files are the send lists
    assert "<h2>send_list</h2>" not in page


def test_a_long_table_is_cut_with_a_note():
    table = report.plain_table(pd.DataFrame({"n": range(60), "x": [None] * 60}),
                               max_rows=50)
    assert table.count("<tr") == 51  # the header and 50 rows
    assert "First 50 of 60 rows." in table
    assert "None" not in table and "nan" not in table


def test_three_example_emails_in_position_order(database):
    """Three customers, each with one card per send: Wednesday's then Friday's, five items each,
    with the send's day and time."""
    page = report.write(database).read_text()
    assert re.findall(r'class="customer" data-user="(\d+)"', page) == ["1", "2", "3"]
    customer = page.split('data-user="1"')[1].split('class="customer"')[0]
    assert re.findall(r'class="email" data-send="([^"]+)"', customer) == ["w54-wed-email", "w54-fri-email"]
    first, friday = customer.split('data-send="w54-wed-email"')[1].split('data-send="w54-fri-email"')
    assert "Wednesday 14:30" in first and "Friday 18:00" in friday
    assert first.count('<li class="item') == friday.count('<li class="item') == 5
    # the ampersand is escaped once, after the case is set: no "&Amp;"
    assert "Bulk&amp;Bag 1-1" in friday and "&Amp;" not in page
    names = re.findall(r"<strong>National Type 1-(\d)</strong>", first)
    assert names == ["1", "2", "3", "4", "5"]
    # the badge of each slot, the price, and no size for the item without one
    assert first.count("On promotion") == 3 and "New for you" in first and "Treat yourself" in first
    assert "$3.50" in first and "$1.25" in first
    assert "<strong>National Type 1-1</strong></span>" in first


def test_upsell_section_counts_items_below_the_threshold(database, tmp_path):
    page = report.write(database).read_text()
    assert "8 e-mails of the production cutoff have an upsell item; 0 of them lie below" in page
    cheaper = dict(TABLES, int_user_price_profile=TABLES["int_user_price_profile"].replace(
        "3.0 as upsell_threshold", "case when user_id = 2 then 4.0 else 3.0 end as upsell_threshold"))
    page = report.write(make_database(tmp_path / "below.duckdb", cheaper)).read_text()
    assert "8 e-mails of the production cutoff have an upsell item; 2 of them lie below" in page


def test_send_plan_counts_messages_per_channel_in_weekday_order(database):
    body = section_body(report.write(database).read_text(), "Next week's sends")
    # 10 + 12 e-mails, 30 + 30 receipts
    assert "4 sends in week 54, 82 messages: email 22, receipt 60." in body
    figure = chart_json(body)
    # Wednesday before Friday although the table stores Friday first and has no dates
    assert figure.index('"Wednesday"') < figure.index('"Friday"')
    assert '"14:30: 10"' in figure and '"18:00: 12"' in figure


def test_sends_backtest_weighs_the_latest_fold_by_evaluated_customers(database):
    body = section_body(report.write(database).read_text(), "Each send in the backtest")
    # fold 50: (0.2 x 10 + 0.1 x 30) / 40 = 0.125 against (0.1 x 10 + 0.3 x 30) / 40 = 0.25;
    # hit rate (0.5 x 10 + 0.4 x 30) / 40 = 42.5 % against (0.3 x 10 + 0.6 x 30) / 40 = 52.5 %;
    # the push send without evaluated customers and fold 47 count for nothing
    assert ("Backtest cutoff week 50: over the 40 customers evaluated in its 3 sends" in body)
    assert ("precision@5 0.125 for the sends against 0.250 for the single weekly list, "
            "hit rate 42.5% against 52.5%." in body)
    figure = chart_json(body)
    assert "backtest cutoff week 47" in figure and '"Wed email"' in figure


def test_weighted_mean_skips_missing_values_and_empty_weights():
    values, weights = pd.Series([0.2, None, 0.5]), pd.Series([1, 5, 3])
    assert report.weighted_mean(values, weights) == pytest.approx((0.2 + 1.5) / 4)
    assert math.isnan(report.weighted_mean(pd.Series([None, 0.3]), pd.Series([2, 0])))


def test_candidate_recall_states_the_latest_fold_of_all_sources(database):
    body = section_body(report.write(database).read_text(),
                        "Where the ranker's candidates come from")
    assert "At backtest cutoff week 50, the candidates of all sources hold 50 of the 200" in body
    assert "(25.0%)" in body
    figure = chart_json(body)
    assert '"15.0%"' in figure and '"45.0%"' in figure  # als 30 / 200 at 50, all 90 / 200 at 47


def test_calibration_reads_the_top_and_bottom_decile_of_the_latest_fold(database):
    body = section_body(report.write(database).read_text(), "Is the ranker's probability right")
    assert ("Backtest cutoff week 50: the ranker gives the top decile of candidates 0.2 on "
            "average and 0.15 of them were bought; the bottom decile 0.001 against 0.002." in body)
    assert '"observed = predicted"' in chart_json(body)


def test_experiment_goal_makes_email_alone_plain(database, tmp_path):
    body = section_body(report.write(database).read_text(),
                        "What the revenue goal asks of each channel")
    # 0.06 / 0.05 = 1.2
    assert ("E-mail alone reaches 10 customers with 5.0% of revenue: for +6.0% of total revenue "
            "they would have to spend +120.0%, 2.20 times what they spend now." in body)
    figure = chart_json(body)
    # largest uplift first, e-mail alone in its own colour
    assert '"+120.0%","+30.0%","+6.2%","+6.0%"' in figure
    assert '"color":["#c0392b","#7f8c8d","#7f8c8d","#7f8c8d"]' in figure
    without_email = dict(TABLES, experiment_goal=TABLES["experiment_goal"].replace(
        "('email', 10, 0.05), ", ""))
    page = report.write(make_database(tmp_path / "no_email.duckdb", without_email)).read_text()
    assert "E-mail alone" not in section_body(page, "What the revenue goal asks of each channel")


def test_experiment_power_counts_detectable_pairs_and_names_the_closest(database):
    body = section_body(report.write(database).read_text(), "What the experiment can detect")
    # with CUPED against the goal: 0.4 / 0.06, 0.05 / 0.06, 0.35 / 0.03, 0.08 / 0.03
    assert ("1 of 4 channel and metric pairs would detect their goal with CUPED. The closest, "
            "receipt revenue per customer, detects 5.0% against a goal of 6.0%; 1,500 customers "
            "would detect the goal." in body)
    figure = chart_json(body)
    # the goal's metric first (the seed's order), not the alphabet's
    assert figure.index('"revenue per customer"') < figure.index('"retention"')


def test_experiment_aa_counts_rates_outside_the_binomial_band(database):
    body = section_body(report.write(database).read_text(), "Does the readout lie: the A/A check")
    # band 0.05 +- 3.5 x 0.01: e-mail's CUPED rate 0.09 and receipt retention's 0.12 lie outside;
    # e-mail has too few customers for a p-value, so only the receipt's counts
    assert "the readout run 475 times" in body
    assert "Of the 4 rates where the readout gives a p-value (enough customers per group), 1 lie outside" in body


def test_experiment_readout_gives_the_verdicts_and_the_checks(database):
    body = section_body(report.write(database).read_text(), "The campaign's readout")
    assert "send weeks 37-53" in body
    assert "email: too few customers to read; receipt: +3.0% (-5.0% to +10.0%, p 0.40)" in body
    assert "MISMATCH in receipt" in body and "FELL in receipt" in body
    figure = chart_json(body)
    assert '"with CUPED"' in figure and '"error_y"' in figure


def test_without_a_campaign_the_readout_says_so(tmp_path):
    tables = dict(TABLES, experiment_readout=TABLES["experiment_readout"].replace(
        "select channel, metric, status,", "select channel, metric, 'no campaign recorded' as status,"))
    body = section_body(report.write(make_database(tmp_path / "none.duckdb", tables)).read_text(),
                        "The campaign's readout")
    assert "Nothing to read out yet: no campaign recorded." in body and "data-chart" not in body


def test_weekly_readout_shows_the_sequential_verdict_beside_the_naive_one(database):
    body = section_body(report.write(database).read_text(), "The campaign read every week")
    assert "Week 39 (look 3): receipt not claimed by the sequential test" in body
    assert "A naive weekly p below 0.05 occurred for receipt" in body


def test_power_by_week_names_the_final_detectable_effect(database):
    body = section_body(report.write(database).read_text(),
                        "How the detectable effect shrinks week by week")
    assert "email 63.0% after 3 weeks (too few customers: no p-value); receipt 10.5% after 3 weeks" in body


def test_a_section_with_an_empty_table_says_so(tmp_path):
    tables = dict(TABLES, calibration=TABLES["calibration"] + " where false")
    page = report.write(make_database(tmp_path / "empty_calibration.duckdb", tables)).read_text()
    body = section_body(page, "Is the ranker's probability right")
    assert "Nothing to show: calibration has no rows in this build." in body
    assert "data-chart" not in body


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
    assert not paths.report_path(missing).exists()


def test_main_writes_where_asked(database, tmp_path, capsys):
    output = tmp_path / "elsewhere.html"
    assert report.main(["--database", str(database), "--output", str(output)]) == 0
    assert output.is_file() and f"wrote {output}" in capsys.readouterr().out
