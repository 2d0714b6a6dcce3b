"""The experiment statistics (recsys.experiment) against independent computations on synthetic
data with known effects: simulation, scipy's Welch t-test and kurtosis, and least squares."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats

from recsys import experiment
from recsys.experiment import Metric, Sums


def correlated_customers(rng, n, rho, mean=10.0, sd=4.0):
    """Pre-period x and outcome y, normal with correlation rho."""
    x = rng.normal(size=n)
    y = rho * x + np.sqrt(1 - rho ** 2) * rng.normal(size=n)
    return mean + sd * y, mean + sd * x


def ratio_customers(rng, n, effect=0.0, treated=None):
    """Baskets (Poisson) and revenue per customer, pre and post, with a customer-level spend
    that ties the periods together; the post-period check is multiplied by 1 + effect for the
    treated customers."""
    level = rng.gamma(4.0, 5.0, size=n)
    visits = rng.gamma(2.0, 3.0, size=n)
    pre_baskets = rng.poisson(visits) + 1
    post_baskets = rng.poisson(visits) + 1
    pre_revenue = pre_baskets * level * rng.lognormal(0, 0.3, size=n)
    post_revenue = post_baskets * level * rng.lognormal(0, 0.3, size=n)
    if treated is not None:
        post_revenue = post_revenue * np.where(treated, 1 + effect, 1.0)
    return Metric.ratio(post_revenue, post_baskets, pre_revenue, pre_baskets)


def split(metric: Metric, control: np.ndarray):
    """(treatment, control) Sums of boolean control masks, one row per draw."""
    control = np.atleast_2d(control)
    return Sums.of_customers(metric, ~control), Sums.of_customers(metric, control)


def test_plain_readout_is_scipys_welch_test():
    """For a mean metric and normal-theory degrees of freedom (kurtosis 0), the plain p-value is
    scipy's Welch t-test (unequal variances) and the interval is the difference's t interval."""
    rng = np.random.default_rng(1)
    y, x = correlated_customers(rng, 600, rho=0.5)
    y = np.where(np.arange(600) < 60, y * 0.5 + 5, y * 1.5)  # control: half the spread
    control = np.arange(600) < 60
    result = experiment.readout(*split(Metric.mean(y, x), control))
    welch = stats.ttest_ind(y[~control], y[control], equal_var=False)
    assert result.p_value[0] == pytest.approx(welch.pvalue, rel=1e-9)
    low, high = welch.confidence_interval(0.95)
    assert result.ci_low[0] * y[control].mean() == pytest.approx(low, rel=1e-9)
    assert result.ci_high[0] * y[control].mean() == pytest.approx(high, rel=1e-9)
    part_t, part_c = y[~control].var(ddof=1) / 540, y[control].var(ddof=1) / 60
    assert experiment.welch_dof(part_t, part_c, 540, 60) == pytest.approx(welch.df, rel=1e-9)
    # heavy tails lower the degrees of freedom: the variance of a variance grows with kurtosis
    assert experiment.welch_dof(part_t, part_c, 540, 60, kurtosis=6) < 0.5 * welch.df


def test_a_change_of_spread_alone_is_no_effect():
    """The review's finding, on synthetic data: 90/10 split, the treated customers' spread
    halved around the same mean. One variance pooled over both groups (Student's t-test, as
    scipy computes it) claims an effect far more often than 5 %; the readout stays near 5 %."""
    rng = np.random.default_rng(2)
    runs, n = 2000, 1000
    y, x = correlated_customers(rng, n, rho=0.6)
    control = rng.random((runs, n)) < 0.1
    treatment, control_sums = split(Metric.mean(y, x), control)
    narrower = treatment.with_outcome(0.5, 0.5 * y.mean())
    result = experiment.readout(narrower, control_sums)
    bound = 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)
    assert np.mean(result.p_value < 0.05) <= bound
    assert np.mean(result.p_value_cuped < 0.05) <= bound
    pooled = [stats.ttest_ind(0.5 * y[~row] + 0.5 * y.mean(), y[row]).pvalue
              for row in control[:500]]
    assert np.mean(np.array(pooled) < 0.05) > 0.15


def test_minimum_detectable_effect_gives_the_promised_power_in_simulation():
    """At the reported MDE (an uplift that multiplies the treated outcomes), scipy's Welch
    t-test on fresh random splits rejects 80 % of the time; at half of it, far less often."""
    rng = np.random.default_rng(3)
    n, runs = 3000, 2000
    y = rng.gamma(2.0, 50.0, size=n)
    x = y * rng.lognormal(0, 0.5, size=n)
    metric = Metric.mean(y, x)
    everyone = experiment.group_moments(Sums.of_customers(metric, np.ones((1, n), bool)))
    a, b = y - y.mean(), x - x.mean()
    kurtosis = (stats.kurtosis(a), stats.kurtosis(a - (a * b).sum() / (b * b).sum() * b))
    mde, mde_cuped = experiment.minimum_detectable_effect(everyone, kurtosis, 0.1)
    assert 0 < mde_cuped < mde

    def rejection_rate(uplift):
        control = rng.random((runs, n)) < 0.1
        p = [stats.ttest_ind(y[~row] * (1 + uplift), y[row], equal_var=False).pvalue
             for row in control]
        return float(np.mean(np.array(p) < 0.05))

    tolerance = 4 * np.sqrt(0.8 * 0.2 / runs)
    assert abs(rejection_rate(mde) - 0.8) < tolerance
    assert rejection_rate(mde / 2) < 0.4
    # with CUPED, the readout itself on fresh splits
    control = rng.random((runs, n)) < 0.1
    treatment, control_sums = split(metric, control)
    result = experiment.readout(treatment.with_outcome(1 + mde_cuped), control_sums,
                                kurtosis=kurtosis)
    assert abs(np.mean(result.p_value_cuped < 0.05) - 0.8) < tolerance


def test_minimum_detectable_effect_is_the_root_and_stable_in_the_last_bits():
    """The MDE solves MDE x baseline = (t quantiles) x standard error at its own uplift; sums that
    differ only in their last bits (another engine's summation order) give the same MDE; and an
    audience so small that no uplift suffices gives NaN, not whatever an iteration stopped at."""
    rng = np.random.default_rng(11)
    n = 400
    y = rng.gamma(0.5, 80.0, size=n)
    x = y * rng.lognormal(0, 0.8, size=n)
    sums = Sums.of_customers(Metric.mean(y, x), np.ones((1, n), bool))
    kurtosis = (4.0, 3.0)
    mde, mde_cuped = experiment.minimum_detectable_effect(experiment.group_moments(sums), kurtosis, 0.1)
    nudged = Sums(sums.values * (1 + 4 * np.finfo(float).eps))
    assert experiment.minimum_detectable_effect(experiment.group_moments(nudged), kurtosis, 0.1) \
        == pytest.approx((mde, mde_cuped), rel=1e-9)
    # the root: the plain MDE's own standard error, at its own degrees of freedom
    everyone = experiment.group_moments(sums)
    n_t, n_c = 0.9 * n, 0.1 * n
    part_t, part_c = (1 + mde) ** 2 * everyone.var_y[0] / n_t, everyone.var_y[0] / n_c
    dof = experiment.welch_dof(part_t, part_c, n_t, n_c, kurtosis[0])
    needed = (stats.t.ppf(0.975, dof) + stats.t.ppf(0.8, dof)) * np.sqrt(part_t + part_c) / everyone.ratio[0]
    assert mde == pytest.approx(needed, rel=1e-9)
    # 12 customers, 1.2 of them in control: the treated spread outgrows any uplift
    few = Sums.of_customers(Metric.mean(y[:12], x[:12]), np.ones((1, 12), bool))
    assert np.isnan(experiment.minimum_detectable_effect(experiment.group_moments(few), kurtosis, 0.1)[0])


def test_metric_kurtosis_is_scipys_on_the_linearised_values_and_cuped_residuals():
    rng = np.random.default_rng(4)
    metric = ratio_customers(rng, 2000)
    ratio, pre_ratio = metric.y.sum() / metric.d.sum(), metric.x.sum() / metric.e.sum()
    a, b = metric.y - ratio * metric.d, metric.x - pre_ratio * metric.e
    beta = (a * b).sum() / (b * b).sum()
    sums = {"n": len(a), "sum_aa": (a * a).sum(), "sum_ab": (a * b).sum(),
            "sum_bb": (b * b).sum(), "sum_aaaa": (a ** 4).sum(), "sum_aaab": (a ** 3 * b).sum(),
            "sum_aabb": (a ** 2 * b ** 2).sum(), "sum_abbb": (a * b ** 3).sum(),
            "sum_bbbb": (b ** 4).sum()}
    shape = pa.table({"channel": ["a"], "metric": ["average_check"],
                      **{name: [value] for name, value in sums.items()}})
    plain, cuped = experiment.metric_kurtosis(shape)[("a", "average_check")]
    assert plain == pytest.approx(stats.kurtosis(a), rel=1e-9)
    assert cuped == pytest.approx(stats.kurtosis(a - beta * b), rel=1e-9)


def test_sums_with_outcome_are_the_sums_of_the_changed_customers():
    rng = np.random.default_rng(5)
    metric = ratio_customers(rng, 300)
    groups = rng.random((4, 300)) < 0.3
    for scale, base in ((1.2, 0.0), (0.5, 7.0)):
        changed = Metric.ratio(scale * metric.y + base * metric.d, metric.d, metric.x, metric.e)
        moved = Sums.of_customers(metric, groups).with_outcome(scale, base)
        np.testing.assert_allclose(moved.values, Sums.of_customers(changed, groups).values,
                                   rtol=1e-12)


def test_cuped_reduces_the_variance_by_rho_squared():
    """On normal data with correlation 0.7 the reported reduction is about 0.49, and the
    CUPED estimates really vary less across simulated experiments, by that much."""
    rng = np.random.default_rng(6)
    runs, n, rho = 600, 2000, 0.7
    plain, cuped, reported = [], [], []
    for _ in range(runs):
        y, x = correlated_customers(rng, n, rho)
        result = experiment.readout(*split(Metric.mean(y, x), rng.random(n) < 0.5))
        plain.append(result.effect[0])
        cuped.append(result.effect_cuped[0])
        reported.append(result.variance_reduction[0])
    assert np.mean(reported) == pytest.approx(rho ** 2, abs=0.02)
    achieved = 1 - np.var(cuped) / np.var(plain)
    assert achieved == pytest.approx(rho ** 2, abs=0.08)


def test_cuped_effect_is_the_treatment_coefficient_of_least_squares():
    """The CUPED difference of means equals the treatment coefficient of the regression
    y ~ 1 + treatment + x (numpy's least squares), because theta pools the within-group slopes."""
    rng = np.random.default_rng(7)
    n = 3000
    y, x = correlated_customers(rng, n, rho=0.5)
    control = rng.random(n) < 0.3
    y = y + np.where(control, 0.0, 0.8)
    result = experiment.readout(*split(Metric.mean(y, x), control))
    design = np.column_stack([np.ones(n), ~control, x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    difference = result.treatment_mean_cuped[0] - result.control_mean_cuped[0]
    assert difference == pytest.approx(coefficients[1], rel=1e-9)
    assert result.treatment_mean[0] == pytest.approx(y[~control].mean())
    assert result.control_mean[0] == pytest.approx(y[control].mean())


def test_delta_method_variance_of_a_ratio_matches_simulation():
    """The variance of sum(revenue) / sum(baskets) over 3000 samples of 500 customers is what
    the delta method predicts from a single sample."""
    rng = np.random.default_rng(8)
    n, runs = 500, 3000
    ratios, predicted = [], []
    for _ in range(runs):
        metric = ratio_customers(rng, n)
        moments = experiment.group_moments(Sums.of_customers(metric, np.ones((1, n), bool)))
        ratios.append(metric.y.sum() / metric.d.sum())
        predicted.append(moments.var_y[0] / n)
    assert moments.ratio[0] == pytest.approx(metric.y.sum() / metric.d.sum())
    assert np.mean(predicted) == pytest.approx(np.var(ratios, ddof=1), rel=0.08)
    # treating the baskets as fixed (var(revenue) / n / mean(baskets)^2) is far off here
    naive = np.var(metric.y, ddof=1) / n / metric.d.mean() ** 2
    assert abs(naive / np.mean(predicted) - 1) > 0.3


@pytest.mark.parametrize("kind", ["mean", "ratio"])
def test_the_95_percent_interval_covers_the_true_effect(kind):
    """Over 1000 simulated experiments with a known +5 % effect, the 95 % intervals, plain and
    CUPED, cover +5 % in 95 % of them, within the binomial uncertainty of 1000 runs."""
    rng = np.random.default_rng(9 if kind == "mean" else 10)
    runs, n, true_effect = 1000, 2000, 0.05
    covered = np.zeros((runs, 2), dtype=bool)
    for run in range(runs):
        control = rng.random(n) < 0.2
        if kind == "mean":
            y, x = correlated_customers(rng, n, rho=0.6)
            metric = Metric.mean(np.where(control, y, y * (1 + true_effect)), x)
        else:
            metric = ratio_customers(rng, n, effect=true_effect, treated=~control)
        result = experiment.readout(*split(metric, control))
        covered[run] = [result.ci_low[0] <= true_effect <= result.ci_high[0],
                        result.ci_low_cuped[0] <= true_effect <= result.ci_high_cuped[0]]
    tolerance = 3 * np.sqrt(0.95 * 0.05 / runs)
    assert np.abs(covered.mean(axis=0) - 0.95).max() < tolerance, covered.mean(axis=0)


def test_many_draws_at_once_match_one_at_a_time_and_hold_alpha():
    """The A/A check's matrix form: 400 random splits of one population give, row for row, the
    readout of each split alone, and reject at about 5 %."""
    rng = np.random.default_rng(11)
    n, draws = 1500, 400
    metric = ratio_customers(rng, n)
    control = rng.random((draws, n)) < 0.1
    together = experiment.readout(*split(metric, control))
    for row in (0, 17, 399):
        alone = experiment.readout(*split(metric, control[row]))
        assert together.p_value_cuped[row] == pytest.approx(alone.p_value_cuped[0])
        assert together.effect[row] == pytest.approx(alone.effect[0])
    tolerance = 3 * np.sqrt(0.05 * 0.95 / draws)
    assert abs(np.mean(together.p_value < 0.05) - 0.05) < tolerance
    assert abs(np.mean(together.p_value_cuped < 0.05) - 0.05) < tolerance


def test_p_value_and_interval_agree():
    rng = np.random.default_rng(12)
    y, x = correlated_customers(rng, 400, rho=0.3)
    control = rng.random((200, 400)) < 0.5
    result = experiment.readout(*split(Metric.mean(y, x), control), kurtosis=(1.5, 0.5))
    for low, high, p_value in ((result.ci_low, result.ci_high, result.p_value),
                               (result.ci_low_cuped, result.ci_high_cuped, result.p_value_cuped)):
        excludes_zero = (low > 0) | (high < 0)
        assert 0 < excludes_zero.sum() < 200
        assert np.array_equal(excludes_zero, p_value < 0.05)


def test_group_status_needs_both_groups():
    assert experiment.group_status([900, 100, 250], [100, 900, 199], 200).tolist() == [
        experiment.TOO_FEW, experiment.TOO_FEW, experiment.TOO_FEW]
    assert str(experiment.group_status(2000, 200, 200)) == experiment.OK


def test_required_control_share_and_customers():
    """A goal at half the MDE at 10 % control needs a quarter of the variance factor; a goal far
    below the MDE cannot be reached by any share; and the control group must reach the minimum."""
    share = experiment.required_control_share(relative_mde=0.04, relative_goal=0.08,
                                              control_share=0.1, n=100_000,
                                              min_group_customers=200)
    assert share * (1 - share) == pytest.approx(0.1 * 0.9 / 4)
    assert share < 0.1
    assert np.isnan(experiment.required_control_share(0.5, 0.03, 0.1, 100_000, 200))
    # on 1,000 customers the share that the MDE asks for leaves 45 in control: 200 need 20 %
    assert experiment.required_control_share(0.04, 0.08, 0.1, 1000, 200) == pytest.approx(0.2)
    assert experiment.required_customers(1000, 0.06, 0.03, 0.1, 200) == 4000
    assert experiment.required_customers(1000, 0.03, 0.03, 0.1, 200) == 2000


# --- the tables, from the sums that SQL computes ----------------------------------------------

GOALS = pa.table({"metric": ["revenue_per_customer", "retention", "average_check"],
                  "goal_uplift": [0.06, 0.03, 0.03]})


def audience(rng, channels=("a", "b"), n=2500):
    """Per-customer parts of the three metrics for each channel, and each customer's group."""
    customers = {}
    for channel in channels:
        ratio = ratio_customers(rng, n)
        retained = (rng.random(n) < 0.8).astype(float)
        pre_retained = (rng.random(n) < 0.8).astype(float)
        customers[channel] = ({"revenue_per_customer": Metric.mean(ratio.y, ratio.x),
                               "retention": Metric.mean(retained, pre_retained),
                               "average_check": ratio},
                              rng.random(n) < 0.1)
    return customers


def sums_table(customers) -> pa.Table:
    """What int_experiment_group_sums holds for one period, summed with numpy."""
    rows = []
    for channel, (metrics, control) in customers.items():
        for metric, values in metrics.items():
            for group, mask in (("treatment", ~control), ("control", control)):
                sums = Sums.of_customers(values, mask[None]).values[0]
                rows.append({"channel": channel, "metric": metric, "experiment_group": group,
                             **dict(zip(experiment.SUM_COLUMNS, sums))})
    return pa.Table.from_pylist(rows)


def shape_table(customers) -> pa.Table:
    rows = []
    for channel, (metrics, _) in customers.items():
        for metric, m in metrics.items():
            a = m.y - m.y.sum() / m.d.sum() * m.d
            b = m.x - m.x.sum() / m.e.sum() * m.e
            rows.append({"channel": channel, "metric": metric, "n": len(a),
                         **{f"sum_{name}": float(np.sum(np.prod(
                             [a if letter == "a" else b for letter in name], axis=0)))
                            for name in ("aa", "ab", "bb", "aaaa", "aaab", "aabb", "abbb",
                                         "bbbb")}})
    return pa.Table.from_pylist(rows)


def test_tables_have_a_row_per_channel_and_metric_and_read_the_sums():
    rng = np.random.default_rng(13)
    customers = audience(rng)
    sums, shape = sums_table(customers), shape_table(customers)
    salts = 50
    control_draws = rng.random((salts, 2500)) < 0.1
    aa_rows = [{"aa_salt": salt + 1, "channel": channel, "metric": metric,
                **dict(zip(experiment.SUM_COLUMNS,
                           Sums.of_customers(values, control_draws[salt][None]).values[0]))}
               for channel, (metrics, _) in customers.items()
               for metric, values in metrics.items() for salt in range(salts)]
    aa_sums = pa.Table.from_pylist(aa_rows)
    power = experiment.power_table(sums, shape, GOALS, 0.1, 200)
    readout = experiment.readout_table(sums, shape, 37, 53, 200)
    aa = experiment.aa_table(sums, shape, aa_sums, salts, 0.1, 200)
    for table in (power, readout, aa):
        keys = set(zip(table.column("channel").to_pylist(), table.column("metric").to_pylist()))
        assert keys == {(c, m) for c in "ab" for m in customers["a"][0]}
    assert aa.column("n_salts").to_pylist() == [salts] * 6
    # the readout is the one of the customers' own sums
    metrics, control = customers["a"]
    kurtosis = experiment.metric_kurtosis(shape)[("a", "average_check")]
    direct = experiment.readout(*split(metrics["average_check"], control), kurtosis=kurtosis)
    row = [r for r in readout.to_pylist()
           if (r["channel"], r["metric"]) == ("a", "average_check")][0]
    assert (row["n_treatment"], row["n_control"]) == (int((~control).sum()), int(control.sum()))
    assert row["p_value_cuped"] == pytest.approx(direct.p_value_cuped[0], rel=1e-9)
    # the A/A treatment is the channel minus the salt's control
    treatment, control_sums = experiment.aa_draws(sums, aa_sums, salts)[("a", "retention")]
    everyone = Sums.of_customers(metrics["retention"], np.ones((1, 2500), bool))
    np.testing.assert_allclose(treatment.values[7],
                               (everyone - Sums.of_customers(metrics["retention"],
                                                             control_draws[7][None])).values[0])


def test_too_few_customers_gives_a_status_and_no_p_value():
    rng = np.random.default_rng(14)
    customers = audience(rng, n=1000)  # about 100 in control
    sums, shape = sums_table(customers), shape_table(customers)
    readout = experiment.readout_table(sums, shape, 37, 53, min_group_customers=200)
    assert set(readout.column("status").to_pylist()) == {experiment.TOO_FEW}
    assert readout.column("p_value").null_count == readout.num_rows
    assert readout.schema.field("p_value_cuped").type == pa.float64()
    assert all(np.isfinite(readout.column("effect_cuped").to_numpy()))
    power = experiment.power_table(sums, shape, GOALS, 0.1, 200)
    assert not any(power.column("detectable_cuped").to_pylist())
    assert min(power.column("required_customers").to_pylist()) >= 2000
    readout = experiment.readout_table(sums, shape, 37, 53, min_group_customers=50)
    assert set(readout.column("status").to_pylist()) == {experiment.OK}
    assert readout.column("p_value").null_count == 0


def test_an_audience_too_small_to_split_gives_empty_values_not_errors():
    """The tests' sample has channels of a handful of customers: 10 customers, one expected in
    control, and every metric without variance in a group."""
    rng = np.random.default_rng(16)
    customers = audience(rng, channels=("a",), n=10)
    sums, shape = sums_table(customers), shape_table(customers)
    with np.errstate(all="ignore"):
        power = experiment.power_table(sums, shape, GOALS, 0.1, 200)
        readout = experiment.readout_table(sums, shape, 37, 53, 200)
    assert set(power.column("status").to_pylist()) == {experiment.TOO_FEW}
    assert np.isnan(power.column("mde").to_numpy()).all()
    assert readout.column("p_value").null_count == readout.num_rows


def test_bad_inputs_name_the_problem():
    rng = np.random.default_rng(15)
    customers = audience(rng, channels=("a",), n=300)
    sums, shape = sums_table(customers), shape_table(customers)
    with pytest.raises(ValueError, match="experiment_metrics: unknown metric clicks"):
        experiment.power_table(sums, shape, pa.table({"metric": ["clicks"], "goal_uplift": [0.1]}),
                               0.1, 200)
    with pytest.raises(ValueError, match="missing columns sum_de"):
        experiment.readout_table(sums.drop_columns(["sum_de"]), shape, 37, 53, 200)
