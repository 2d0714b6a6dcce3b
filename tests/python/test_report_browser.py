"""The report of the embedded build, opened in Debian's headless Chromium with the network off.

The report is the one `python -m recsys.build` wrote beside the database of the session's
embedded build (test_embedded_build.py); no second build. Chromium must be installed
(`make test` installs it): without it these tests fail, they do not skip.
"""

from __future__ import annotations

import re

import duckdb
import plotly.graph_objects as go
import pytest

from recsys import browser, paths, report
from test_embedded_build import embedded_build
from test_report import chart_figures, chart_takeaways, make_database, raw_names

# Every chart of the embedded build: all but the ALS grid's (make grid only) and those of a
# campaign, which the embedded build has not recorded (the readouts and the campaign over time).
EMBEDDED_CHARTS = ["strategy-metrics", "slot-hit-rate", "cleaning-funnel", "price-histogram",
                   "upsell-scatter", "catalog-coverage", "send-plan", "sends-backtest",
                   "candidate-recall", "calibration", "experiment-goal", "experiment-power",
                   "experiment-aa", "experiment-power-weekly", "real-campaigns"]
# The charts of a recorded campaign, which test_report.py's hand-made database has
CAMPAIGN_CHARTS = ["experiment-readout", "experiment-weekly", "campaign-hits", "campaign-revenue"]

# The marks the charts of the campaign, the ranker and the experiment must draw, counted in the
# embedded database: a bar per non-zero value, a point per value, plus the calibration's line per
# fold and its diagonal, and the readout's interval per point.
EXPECTED_MARKS = {
    "send-plan": "select count(*) filter (n_recipients > 0) from send_plan",
    "sends-backtest": """
        select count(*) filter (precision > 0) + count(*) filter (single_list_precision > 0)
               + count(*) filter (hit_rate > 0) + count(*) filter (single_list_hit_rate > 0)
        from metrics_by_send""",
    "candidate-recall": "select count(*) filter (recall > 0) from candidate_recall",
    "calibration": "select count(*) + count(distinct cutoff_week) + 1 from calibration",
    "experiment-goal": "select count(*) filter (required_uplift > 0) from experiment_goal",
    "experiment-power": """
        select count(*) filter (mde > 0) + count(*) filter (mde_cuped > 0) from experiment_power""",
    "experiment-aa": "select 2 * count(*) from experiment_aa",
    # a line per channel, and a point per week on it
    "experiment-power-weekly": """
        select count(*) + count(distinct channel) from experiment_power_weekly
        where metric = 'revenue_per_customer'""",
}


@pytest.fixture(scope="module")
def report_html(shared_build):
    workspace, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    path = paths.report_path(workspace.database)
    assert f"wrote {path}" in run.stdout, run.stdout[-2000:]
    return path


def test_report_renders_offline_with_marks_in_every_chart(report_html):
    charts = re.findall(r'data-chart="([^"]+)"', report_html.read_text())
    assert charts == EMBEDDED_CHARTS, charts
    with browser.open_page(report_html) as (page, log):
        marks = browser.chart_marks(page)
        customers = page.locator(".customer").count()
        emails = page.locator(".customer .email").count()
        screenshot = report_html.with_name("report.png")
        page.screenshot(path=str(screenshot), full_page=True)
    assert log.console_errors == [], log.console_errors
    assert log.requests == [], f"the report asked the network for {log.requests}"
    assert sorted(marks) == sorted(charts), marks
    assert all(count > 0 for count in marks.values()), marks
    con = duckdb.connect(str(report_html.with_name("recsys.duckdb")), read_only=True)  # beside it
    try:
        expected = {chart: con.execute(sql).fetchone()[0] for chart, sql in EXPECTED_MARKS.items()}
        (expected_emails,) = con.execute("""
            select count(distinct send_id || '/' || user_id) from email_recommendations
            where user_id in (select distinct user_id from email_recommendations order by user_id limit ?)
        """, [report.EXAMPLE_EMAILS]).fetchone()
    finally:
        con.close()
    assert {chart: marks[chart] for chart in EXPECTED_MARKS} == expected
    assert customers == report.EXAMPLE_EMAILS
    assert emails == expected_emails, "one card per send of each customer shown"
    assert screenshot.stat().st_size > 50_000, screenshot


def test_the_charts_of_the_embedded_build_speak_words_with_a_takeaway(report_html):
    """The checks of test_report.py on the real data, whose codes the hand-made tables lack."""
    page = report_html.read_text()
    con = duckdb.connect(str(report_html.with_name("recsys.duckdb")), read_only=True)
    try:
        columns = {name for (name,) in con.execute(
            "select distinct column_name from information_schema.columns").fetchall()}
    finally:
        con.close()
    problems = {name: raw_names(data, layout, columns)
                for name, (data, layout) in chart_figures(page).items()}
    assert {name: found for name, found in problems.items() if found} == {}
    assert list(chart_takeaways(page)) == EMBEDDED_CHARTS


def test_every_chart_of_the_hand_made_database_renders(tmp_path):
    """test_report.py's database has every table a section charts (als_grid, two folds), which
    the embedded build does not."""
    report_html = report.write(make_database(tmp_path / "recsys.duckdb"))
    with browser.open_page(report_html) as (page, log):
        marks = browser.chart_marks(page)
    assert log.console_errors == [] and log.requests == [], log
    assert sorted(marks) == sorted(EMBEDDED_CHARTS + CAMPAIGN_CHARTS + ["als-grid"]), marks
    assert all(count > 0 for count in marks.values()), marks


def test_the_checks_catch_an_empty_chart_and_a_network_request(tmp_path):
    """The control: a page with an empty figure and a script from the web must fail the checks
    above, or they prove nothing."""
    page_file = tmp_path / "broken.html"
    page_file.write_text(
        f"<html><head><script>{report.get_plotlyjs()}</script>"
        '<script src="https://cdn.example.invalid/lib.js"></script></head><body>'
        f'{report.chart(go.Figure(go.Scatter(x=[], y=[])), "empty", "A takeaway.")}'
        f'{report.chart(go.Figure(go.Bar(x=["a"], y=[1])), "bar", "A takeaway.")}</body></html>')
    with browser.open_page(page_file) as (page, log):
        marks = browser.chart_marks(page)
    assert marks == {"empty": 0, "bar": 1}, marks
    assert log.requests == ["https://cdn.example.invalid/lib.js"], log.requests
    assert log.console_errors, "a blocked script should log an error"
