"""The experiment tables of the embedded build (test_embedded_build.py builds it once).

The embedded build has recorded no campaign, so the readouts say so, the power table and the A/A
check read the latest 17 weeks, and the goal arithmetic must agree with a plain reading of the
clean lines. The readout of a real campaign is checked on the replay (test_campaign.py,
bench/readout_replay.py).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from scipy import stats

from recsys import experiment
from recsys.experiment import SUM_COLUMNS, Metric, Sums
from test_embedded_build import embedded_build

CHANNELS = {"email", "push", "receipt"}
# the goal's metrics; the readouts and the A/A check also read the guardrail
METRICS = {"revenue_per_customer", "retention", "average_check"}
ALL_METRICS = METRICS | {"baskets_per_customer"}
HISTORY_WEEKS = 17


@pytest.fixture(scope="module")
def con(shared_build):
    workspace, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    connection = workspace.connect()
    yield connection
    connection.close()


def test_readouts_say_that_no_campaign_is_recorded(con):
    """No `make send` in this build: a row per channel and metric of the plan, with the status that
    says why there is nothing to read, and no figure that could be mistaken for a result."""
    for table in ("experiment_readout", "experiment_readout_weekly"):
        rows = con.execute(f"""
            select channel, metric, status, role, n_treatment, effect_cuped, p_value_cuped
            from {table}
        """).fetchall()
        assert {(row[0], row[1]) for row in rows} == {(c, m) for c in CHANNELS for m in ALL_METRICS}
        assert {row[2] for row in rows} == {"no campaign recorded"}, table
        assert all(row[4] is None and row[5] is None and row[6] is None for row in rows), table
        primaries = {row[0] for row in rows if row[3] == "primary"}
        assert primaries == CHANNELS


def test_history_is_the_latest_weeks_before_the_planned_start(con):
    periods = dict(con.execute("select period, outcome_first_week from int_experiment_periods").fetchall())
    # the data ends in week 53: the campaign would start in 54, its history is weeks 37-53
    assert periods == {"readout": 54, "history": 54 - HISTORY_WEEKS}
    looks = con.execute("select period, count(*), max(look) from int_experiment_looks group by period").fetchall()
    assert looks == [("history", HISTORY_WEEKS, HISTORY_WEEKS)]


def test_power_shrinks_week_by_week(con):
    """experiment_power_weekly's receipt revenue MDE falls as the weeks read grow, and its last
    week is experiment_power's."""
    weekly = con.execute("""
        select weeks, mde_cuped from experiment_power_weekly
        where channel = 'receipt' and metric = 'revenue_per_customer' order by weeks
    """).fetchall()
    assert [week for week, _ in weekly] == list(range(1, HISTORY_WEEKS + 1))
    mdes = [mde for _, mde in weekly]
    assert mdes[0] > 2 * mdes[-1] and mdes[-1] == min(mdes)
    (final,) = con.execute("""
        select mde_cuped from experiment_power where channel = 'receipt' and metric = 'revenue_per_customer'
    """).fetchone()
    assert mdes[-1] == pytest.approx(final, rel=1e-12)


def test_goal_during_the_test_carries_the_hold_out(con):
    """While control_share of the reached customers is held out, the treated ones alone carry the
    goal: the receipt needs more than 6 % among them during the test, less after the rollout."""
    share, after, during = con.execute("""
        select revenue_share, required_uplift, required_uplift_during_test
        from experiment_goal where channels = 'receipt'
    """).fetchone()
    assert after == pytest.approx(0.06 / share, rel=1e-9)
    assert during == pytest.approx(0.06 / (share * 0.9), rel=1e-9)
    assert 0.06 < after < during < 0.075


def test_aa_false_positive_rates_are_near_five_percent(con):
    """Where the readout gives p-values, the 1,000 A/A salts find an effect in 5 % of them
    (within 3.5 binomial standard errors); the rates are reported for the small channels too."""
    rows = con.execute("""
        select channel, metric, status, n_salts, false_positive_rate, false_positive_rate_cuped,
               binomial_standard_error
        from experiment_aa
    """).fetchall()
    assert len(rows) == len(CHANNELS) * len(ALL_METRICS)
    for channel, metric, status, n_salts, fpr, fpr_cuped, se in rows:
        assert n_salts == 1000, (channel, metric)
        assert 0 <= fpr <= 1 and 0 <= fpr_cuped <= 1
        if status == "ok":
            assert abs(fpr - 0.05) <= 3.5 * se and abs(fpr_cuped - 0.05) <= 3.5 * se, (
                channel, metric, fpr, fpr_cuped)


def metric_values(con, period: str, channel: str, metric: str, look: int = HISTORY_WEEKS):
    return con.execute("""
        select user_id, experiment_group, y, d, x, e from int_experiment_metric_values
        where period = ? and look = ? and channel = ? and metric = ? order by user_id
    """, [period, look, channel, metric]).fetchnumpy()


def test_sql_sums_are_the_customers_sums(con):
    """int_experiment_group_sums and int_experiment_aa_sums, the only customer data that reaches
    Python, recomputed with numpy from the per-customer view; the A/A salts' control groups drawn
    in Python as the macro experiment_draw draws them: the first 8 hex digits of
    md5('aa-<salt>/<user_id>') over 2^32, below control_share."""
    for channel, metric in (("receipt", "average_check"), ("email", "retention")):
        values = metric_values(con, "history", channel, metric)
        customers = Metric.ratio(values["y"], values["d"], values["x"], values["e"])
        for group in ("treatment", "control"):
            in_group = (values["experiment_group"] == group)[None]
            sql = con.execute(f"""
                select {", ".join(SUM_COLUMNS)} from int_experiment_group_sums
                where period = 'history' and look = ? and channel = ? and metric = ?
                    and experiment_group = ?
            """, [HISTORY_WEEKS, channel, metric, group]).fetchall()[0]
            np.testing.assert_allclose(sql, Sums.of_customers(customers, in_group).values[0],
                                       rtol=1e-9)
        for salt in (1, 2, 999):
            in_control = np.array([
                int(hashlib.md5(f"aa-{salt}/{user}".encode()).hexdigest()[:8], 16) / 2 ** 32 < 0.1
                for user in values["user_id"]])
            sql = con.execute(f"""
                select {", ".join(SUM_COLUMNS)} from int_experiment_aa_sums
                where aa_salt = ? and channel = ? and metric = ?
            """, [salt, channel, metric]).fetchall()[0]
            expected = Sums.of_customers(customers, in_control[None]).values[0]
            np.testing.assert_allclose(sql, expected, rtol=1e-9)
    rows_per_key = con.execute("""
        select max(rows) from (select count(*) as rows from int_experiment_aa_sums
                               group by channel, metric)
    """).fetchall()[0][0]
    assert rows_per_key <= 1000


def test_kurtosis_from_sql_is_scipys(con):
    shape = con.sql(f"select * from int_experiment_metric_shape where period = 'history' "
                    f"and look = {HISTORY_WEEKS}").to_arrow_table()
    kurtosis = experiment.metric_kurtosis(shape)
    values = metric_values(con, "history", "push", "average_check")
    a = values["y"] - values["y"].sum() / values["d"].sum() * values["d"]
    b = values["x"] - values["x"].sum() / values["e"].sum() * values["e"]
    plain, cuped = kurtosis[("push", "average_check")]
    assert plain == pytest.approx(stats.kurtosis(a), rel=1e-6)
    assert cuped == pytest.approx(stats.kurtosis(a - (a * b).sum() / (b * b).sum() * b), rel=1e-6)
    assert plain > 3  # heavy-tailed: a few customers with big checks


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
        select channel, metric, status, n_customers, n_control, mde, mde_cuped,
               cuped_variance_reduction, detectable_cuped, required_customers
        from experiment_power
    """).fetchall()
    assert {(row[0], row[1]) for row in rows} == {(c, m) for c in CHANNELS for m in METRICS}
    for (channel, metric, status, n, n_control, mde, mde_cuped, reduction, detectable,
         required) in rows:
        assert n > 0 and 0 < mde_cuped <= mde, (channel, metric)
        assert 0 <= reduction < 1
        assert status == ("ok" if n_control >= 200 else "too few customers")
        assert detectable is False or status == "ok"
        assert required >= 2000  # 200 in control at 10 %
