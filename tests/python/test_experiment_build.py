"""The experiment tables of the embedded build (test_embedded_build.py builds it once).

The embedded data had no campaign, so the readout of its latest weeks must find nothing, and the
goal arithmetic must agree with a plain reading of the clean lines.
"""

from __future__ import annotations

import pytest

from test_embedded_build import embedded_build

CHANNELS = {"email", "push", "receipt"}
METRICS = {"revenue_per_customer", "retention", "average_check"}


@pytest.fixture(scope="module")
def con(new_workspace):
    workspace, run = embedded_build(new_workspace)
    assert run.returncode == 0, run.describe()
    connection = workspace.connect()
    yield connection
    connection.close()


def test_readout_finds_no_effect_where_nothing_was_sent(con):
    """Every p-value of the readout, plain and CUPED, stays above 0.05 / 18 (Bonferroni over the
    18 tests): on data without a send no channel and metric shows an effect."""
    rows = con.execute("""
        select channel, metric, n_treatment, n_control, p_value, p_value_cuped,
               ci_low_cuped, ci_high_cuped, outcome_first_week, outcome_last_week
        from experiment_readout
    """).fetchall()
    assert {(row[0], row[1]) for row in rows} == {(c, m) for c in CHANNELS for m in METRICS}
    family = 2 * len(rows)
    for channel, metric, n_t, n_c, p_plain, p_cuped, low, high, first, last in rows:
        assert n_t > 0 and n_c > 0, (channel, metric)
        assert p_plain > 0.05 / family and p_cuped > 0.05 / family, (channel, metric, p_plain,
                                                                    p_cuped)
        assert low < high
        # the latest 17 weeks of the 53
        assert (first, last) == (37, 53)


def test_aa_false_positive_rates_are_near_five_percent(con):
    rows = con.execute("""
        select channel, metric, n_salts, false_positive_rate, false_positive_rate_cuped,
               binomial_standard_error
        from experiment_aa
    """).fetchall()
    assert len(rows) == len(CHANNELS) * len(METRICS)
    for channel, metric, n_salts, fpr, fpr_cuped, se in rows:
        assert n_salts == 1000, (channel, metric)
        assert abs(fpr - 0.05) <= 3.5 * se and abs(fpr_cuped - 0.05) <= 3.5 * se, (
            channel, metric, fpr, fpr_cuped)


def test_goal_arithmetic_matches_the_clean_lines(con):
    """The e-mail row of experiment_goal, recomputed from stg_transactions and customer_channels
    over the weeks it names: revenue share, and the uplift 0.06 / share."""
    first, last, share, required = con.execute("""
        select first_week, last_week, revenue_share, required_uplift
        from experiment_goal where channels = 'email'
    """).fetchall()[0]
    total, email = con.execute("""
        select sum(sales_value),
               sum(sales_value) filter (where user_id in
                   (select user_id from customer_channels where channel = 'email'))
        from stg_transactions where week between ? and ?
    """, [first, last]).fetchall()[0]
    assert share == pytest.approx(email / total, rel=1e-9)
    assert required == pytest.approx(0.06 / (email / total), rel=1e-9)
    # e-mail reaches about 5 % of customers: its recipients would have to spend nearly double
    assert required > 0.5
    everyone = con.execute(
        "select revenue_share from experiment_goal where n_channels = 3").fetchall()[0][0]
    assert share < everyone <= 1


def test_power_table_has_every_channel_and_metric(con):
    rows = con.execute("""
        select channel, metric, n_customers, mde, mde_cuped, cuped_variance_reduction
        from experiment_power
    """).fetchall()
    assert {(row[0], row[1]) for row in rows} == {(c, m) for c in CHANNELS for m in METRICS}
    for channel, metric, n, mde, mde_cuped, reduction in rows:
        assert n > 0 and 0 < mde_cuped <= mde, (channel, metric)
        assert 0 <= reduction < 1
