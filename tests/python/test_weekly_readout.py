"""The weekly readout's checks (recsys.weekly_readout): group sequential looks, sample ratio
mismatch and Holm's correction, against simulation, scipy and independent formulations."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from recsys import weekly_readout
from recsys.experiment import SUM_COLUMNS, Metric, Sums

LOOKS = 17


def test_boundaries_spend_alpha_as_planned():
    """The first boundary is z_{0.975} / sqrt(1 / K) (all alpha spent by then is the spending
    function's); with one look it is the fixed-horizon 1.96; for two looks the boundaries leave
    exactly 95 % inside, by scipy's bivariate normal; and for 17 looks, Brownian motion simulated
    at the looks crosses first at look k with the probability spent between k - 1 and k."""
    assert weekly_readout.obrien_fleming_boundaries(1) == pytest.approx((stats.norm.ppf(0.975),))
    boundaries = np.array(weekly_readout.obrien_fleming_boundaries(LOOKS))
    assert boundaries[0] == pytest.approx(stats.norm.ppf(0.975) * np.sqrt(LOOKS), rel=1e-9)
    assert np.all(np.diff(boundaries) < 0)

    c1, c2 = weekly_readout.obrien_fleming_boundaries(2)
    normal = stats.multivariate_normal(mean=[0, 0], cov=[[1, np.sqrt(0.5)], [np.sqrt(0.5), 1]])
    inside = (normal.cdf([c1, c2]) - normal.cdf([-c1, c2]) - normal.cdf([c1, -c2])
              + normal.cdf([-c1, -c2]))
    assert inside == pytest.approx(0.95, abs=1e-4)

    rng = np.random.default_rng(1)
    runs = 400_000
    z = np.cumsum(rng.normal(size=(runs, LOOKS)), axis=1) / np.sqrt(np.arange(1, LOOKS + 1))
    crossed = np.abs(z) >= boundaries
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    spent = np.diff(weekly_readout.obrien_fleming_spending(np.arange(1, LOOKS + 1) / LOOKS),
                    prepend=0.0)
    observed = np.array([np.mean(first == look) for look in range(LOOKS)])
    assert np.abs(observed - spent).max() < 4 * np.sqrt(spent.max() / runs)
    assert np.mean(first >= 0) == pytest.approx(0.05, abs=4 * np.sqrt(0.05 * 0.95 / runs))


def weekly_sums(rng, n_customers=2000, control_share=0.1):
    """A fixed audience over 17 weeks without any effect: each customer has a spending level
    (gamma) that carries over from week to week, a pre-period spend from the same level, and a
    weekly spend around it. (treatment, control) Sums with one row per look of the revenue to
    date."""
    level = rng.gamma(2.0, 20.0, size=n_customers)
    pre = level * 17 * rng.lognormal(0, 0.3, size=n_customers)
    weekly = rng.gamma(1.5, level[:, None] / 1.5, size=(n_customers, LOOKS)) * (
        rng.random((n_customers, LOOKS)) < 0.6)
    to_date = np.cumsum(weekly, axis=1)
    control = rng.random(n_customers) < control_share
    looks = [Metric.mean(to_date[:, look], pre) for look in range(LOOKS)]
    return tuple(Sums(np.vstack([Sums.of_customers(metric, group[None]).values
                                 for metric in looks]))
                 for group in (~control, control))


def test_stopping_at_the_first_crossing_keeps_the_false_positive_rate():
    """1000 experiments without an effect, looked at every week: stopping at the first naive
    p < 0.05 claims an effect in far more than 5 % of them; stopping at the first look that
    crosses its group sequential boundary, in at most 5 % + 2 binomial standard errors."""
    rng = np.random.default_rng(2)
    runs = 1000
    naive, sequential, final = np.zeros(runs, bool), np.zeros(runs, bool), np.zeros(runs, bool)
    for run in range(runs):
        looks = weekly_readout.sequential_readout(*weekly_sums(rng), planned_looks=LOOKS)
        assert looks.look.tolist() == list(range(1, LOOKS + 1))
        naive[run] = (looks.p_value < 0.05).any()
        sequential[run] = looks.effect_claimed[-1]
        final[run] = looks.p_value[-1] < 0.05
    bound = 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)
    assert sequential.mean() <= bound
    assert final.mean() <= bound  # the fixed-horizon readout at the last look alone
    assert naive.mean() > 0.10, naive.mean()


def test_a_real_effect_is_claimed_and_stays_claimed():
    """With +30 % on the treated customers' spend from the first week, the test claims an
    effect early, and the claim is never withdrawn at a later look."""
    rng = np.random.default_rng(3)
    treatment, control = weekly_sums(rng)
    looks = weekly_readout.sequential_readout(treatment.with_outcome(1.3), control)
    assert looks.effect_claimed[-1]
    first = int(np.argmax(looks.effect_claimed))
    assert first < LOOKS - 1 and looks.effect_claimed[first:].all()
    assert looks.significant[first] and looks.p_value[first] <= looks.nominal_alpha[first]
    assert np.all(np.diff(looks.nominal_alpha) > 0) and looks.nominal_alpha[-1] < 0.05


def test_more_looks_than_planned_is_an_error():
    rng = np.random.default_rng(4)
    treatment, control = weekly_sums(rng, n_customers=500)
    with pytest.raises(ValueError, match="17 looks, but 16 were planned"):
        weekly_readout.sequential_readout(treatment, control, planned_looks=16)


def test_sample_ratio_mismatch_is_scipys_chi_square():
    rng = np.random.default_rng(5)
    n_total = rng.integers(100, 100_000, size=50)
    n_control = rng.binomial(n_total, 0.1 + rng.normal(0, 0.01, size=50).clip(-0.05, 0.05))
    result = weekly_readout.sample_ratio_mismatch(n_control, n_total - n_control, 0.1)
    for index in range(50):
        expected = [0.1 * n_total[index], 0.9 * n_total[index]]
        scipy_result = stats.chisquare([n_control[index], n_total[index] - n_control[index]],
                                       expected)
        assert result.chi_square[index] == pytest.approx(scipy_result.statistic, rel=1e-9)
        assert result.p_value[index] == pytest.approx(scipy_result.pvalue, rel=1e-9, abs=1e-300)
    assert np.array_equal(result.mismatch, result.p_value < 0.001)
    # 222 of 2,218 is fine; 150 of 2,218 is a broken split
    assert not weekly_readout.sample_ratio_mismatch(222, 1996, 0.1).mismatch
    assert weekly_readout.sample_ratio_mismatch(150, 2068, 0.1).mismatch


def test_holm_by_hand():
    """p = (0.01, 0.04, 0.03, 0.005): sorted 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06,
    0.04 x 1 = 0.04, raised to 0.06 to keep the order; at 0.05 the first and last are rejected.
    A NaN (a metric without a readout) stays out of the family."""
    adjusted, rejected = weekly_readout.holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert rejected.tolist() == [True, False, False, True]
    adjusted, rejected = weekly_readout.holm([0.01, np.nan, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, np.nan, 0.06, 0.06, 0.02])
    assert rejected.tolist() == [True, False, False, False, True]


def holm_step_down(p_values, alpha):
    """Holm's procedure as he wrote it: walk up the sorted p-values, rejecting while the i-th
    smallest is at most alpha / (m - i + 1), and stop at the first that is not."""
    rejected = [False] * len(p_values)
    for rank, index in enumerate(sorted(range(len(p_values)), key=lambda i: p_values[i])):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected


def test_holm_rejects_what_the_step_down_procedure_rejects():
    rng = np.random.default_rng(6)
    for _ in range(300):
        p_values = rng.beta(0.3, 1.0, size=int(rng.integers(1, 12)))
        adjusted, _ = weekly_readout.holm(p_values)
        for alpha in (0.01, 0.05, 0.1, 0.2):
            assert (adjusted <= alpha).tolist() == holm_step_down(p_values.tolist(), alpha)
        # never below the raw p-values, never above Bonferroni's
        bonferroni = np.minimum(1, p_values * len(p_values))
        assert np.all(adjusted >= p_values) and np.all(adjusted <= bonferroni + 1e-15)


# --- the campaign's readout tables --------------------------------------------------------------

PLAN = pa.table({"channel": ["receipt"] * 4,
                 "metric": ["revenue_per_customer", "retention", "average_check", "baskets_per_customer"],
                 "role": ["primary", "secondary", "secondary", "guardrail"]})


def sums_table(treatment: Sums, control: Sums, channel: str, metric: str) -> pa.Table:
    """int_experiment_group_sums' rows of one channel and metric, one per look and group."""
    rows = []
    for group, sums in (("treatment", treatment), ("control", control)):
        for look, values in enumerate(sums.values, start=1):
            rows.append({"period": "readout", "look": look, "channel": channel, "metric": metric,
                         "experiment_group": group, **dict(zip(SUM_COLUMNS, values))})
    return pa.Table.from_pylist(rows)


def shape_table(sums: pa.Table) -> pa.Table:
    """A shape of normal data (excess kurtosis 0) for every look, channel and metric of ``sums``."""
    keys = sorted(set(zip(sums.column("look").to_pylist(), sums.column("channel").to_pylist(),
                          sums.column("metric").to_pylist())))
    return pa.Table.from_pylist([{"look": look, "channel": channel, "metric": metric, "n": 1000,
                                  "sum_aa": 1.0, "sum_ab": 0.0, "sum_bb": 1.0, "sum_aaaa": 0.003,
                                  "sum_aaab": 0.0, "sum_aabb": 0.001, "sum_abbb": 0.0, "sum_bbbb": 0.003}
                                 for look, channel, metric in keys])


def test_weekly_table_reads_every_look_with_its_checks():
    """Five looks of one channel with a strong effect on revenue: every look has its naive p-value
    and its sequential level, the effect is claimed once a look crosses and stays claimed, the
    primary metric's judged p-value is its own, the secondary family's is Holm's, and the
    sample ratio is checked against control_share."""
    rng = np.random.default_rng(7)
    treatment, control = weekly_sums(rng, n_customers=4000)
    treatment, control = Sums(treatment.values[:5]), Sums(control.values[:5])
    parts = [sums_table(treatment.with_outcome(1.25), control, "receipt", "revenue_per_customer")]
    parts += [sums_table(treatment, control, "receipt", metric)
              for metric in ("retention", "average_check", "baskets_per_customer")]
    sums = pa.concat_tables(parts)
    looks = pa.table({"look": [1, 2, 3, 4, 5], "outcome_data_last_week": [40, 41, 42, 43, 44]})
    table = weekly_readout.weekly_table(sums, shape_table(sums), looks, PLAN, 0.1, 200, LOOKS, True)
    rows = table.to_pylist()
    assert len(rows) == 20 and {row["status"] for row in rows} == {"ok"}
    revenue = sorted((row for row in rows if row["metric"] == "revenue_per_customer"), key=lambda r: r["look"])
    assert [row["send_week"] for row in revenue] == [40, 41, 42, 43, 44]
    claimed = [row["effect_claimed"] for row in revenue]
    assert claimed[-1] and claimed == sorted(claimed), "claimed from the first crossing on"
    assert all(row["p_value_holm"] == row["p_value_cuped"] for row in revenue)
    assert all(row["nominal_alpha"] < 0.05 for row in rows)
    for look in range(1, 6):
        secondary = [row for row in rows if row["look"] == look and row["role"] == "secondary"]
        adjusted, _ = weekly_readout.holm([row["p_value_cuped"] for row in secondary])
        assert [row["p_value_holm"] for row in secondary] == pytest.approx(list(adjusted))
        srm = {row["srm_p_value"] for row in rows if row["look"] == look}
        assert len(srm) == 1
    guardrail = [row for row in rows if row["role"] == "guardrail"]
    assert all(row["p_value_holm"] is None for row in guardrail)


def test_tables_without_a_look_say_why():
    empty = pa.Table.from_pylist([], schema=sums_table(*weekly_sums(np.random.default_rng(1), 50),
                                                       "receipt", "retention").schema)
    looks = pa.table({"look": pa.array([], pa.int32()), "outcome_data_last_week": pa.array([], pa.int32())})
    for started, status in ((False, "no campaign recorded"), (True, "no recorded week with data yet")):
        weekly = weekly_readout.weekly_table(empty, empty, looks, PLAN, 0.1, 200, LOOKS, started).to_pylist()
        final = weekly_readout.final_table(empty, empty, PLAN, None, None, 0.1, 200, started).to_pylist()
        for rows in (weekly, final):
            assert len(rows) == 4 and {row["status"] for row in rows} == {status}
            assert all(row["p_value_cuped"] is None and row["srm_p_value"] is None for row in rows)


def test_a_guardrail_that_falls_is_flagged():
    rng = np.random.default_rng(11)
    treatment, control = weekly_sums(rng, n_customers=6000)
    treatment, control = Sums(treatment.values[-1:]), Sums(control.values[-1:])
    sums = pa.concat_tables([sums_table(treatment, control, "receipt", "revenue_per_customer"),
                             sums_table(treatment.with_outcome(0.7), control, "receipt", "baskets_per_customer")])
    rows = {row["metric"]: row for row in weekly_readout.final_table(
        sums, shape_table(sums), PLAN, 40, 56, 0.1, 200, True).to_pylist()}
    assert rows["baskets_per_customer"]["guardrail_breached"] is True
    assert rows["revenue_per_customer"]["guardrail_breached"] is None


def test_a_channel_without_control_customers_reads_too_few():
    """A small audience whose control group is empty at every look (the sample data's e-mail):
    int_experiment_group_sums has no control rows, and the weekly table says `too few customers`
    with zero control customers, no p-value and no decision, instead of failing."""
    rng = np.random.default_rng(3)
    treatment, _ = weekly_sums(rng, n_customers=300)
    treatment = Sums(treatment.values[:3])
    sums = sums_table(treatment, Sums(treatment.values[:0]), "receipt", "revenue_per_customer")
    looks = pa.table({"look": [1, 2, 3], "outcome_data_last_week": [40, 41, 42]})
    rows = weekly_readout.weekly_table(sums, shape_table(sums), looks, PLAN, 0.1, 200, LOOKS, True).to_pylist()
    assert [row["look"] for row in rows] == [1, 2, 3]
    assert {row["status"] for row in rows} == {"too few customers"}
    assert all(row["n_control"] == 0 and row["n_treatment"] > 0 for row in rows)
    assert all(row["p_value_cuped"] is None and row["effect_claimed"] is None for row in rows)
