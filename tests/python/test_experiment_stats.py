"""The experiment statistics (recsys.experiment) against independent computations on synthetic
data with known effects: simulation, scipy's t-test, and least squares."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from recsys import experiment


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
    return experiment.Metric.ratio(post_revenue, post_baskets, pre_revenue, pre_baskets)


def test_mde_gives_the_promised_power_in_simulation():
    """At a true difference equal to the MDE, scipy's Welch t-test rejects about 80 % of the
    time; at half of it, far less often."""
    rng = np.random.default_rng(1)
    n_t, n_c, sd, runs = 900, 100, 3.0, 4000
    mde = float(experiment.mde(sd, n_t, n_c))
    assert mde == pytest.approx((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * sd
                                * np.sqrt(1 / n_t + 1 / n_c))

    def rejection_rate(difference):
        treatment = rng.normal(difference, sd, size=(runs, n_t))
        control = rng.normal(0, sd, size=(runs, n_c))
        p = stats.ttest_ind(treatment, control, axis=1, equal_var=False).pvalue
        return float(np.mean(p < 0.05))

    binomial_se = np.sqrt(0.8 * 0.2 / runs)
    assert abs(rejection_rate(mde) - 0.8) < 4 * binomial_se
    assert rejection_rate(mde / 2) < 0.4


def test_power_reports_the_mde_relative_to_the_baseline():
    rng = np.random.default_rng(2)
    y, x = correlated_customers(rng, 5000, rho=0.6)
    result = experiment.power(experiment.Metric.mean(y, x), control_share=0.1)
    expected = float(experiment.mde(np.std(y, ddof=1), 4500, 500)) / np.mean(y)
    assert result.n == 5000
    assert result.mde == pytest.approx(expected, rel=1e-9)
    assert result.variance_reduction == pytest.approx(np.corrcoef(y, x)[0, 1] ** 2, rel=1e-9)
    assert result.mde_cuped == pytest.approx(expected * np.sqrt(1 - result.variance_reduction))


def test_cuped_reduces_the_variance_by_rho_squared():
    """On normal data with correlation 0.7 the reported reduction is about 0.49, and the
    CUPED estimates really vary less across simulated experiments, by that much."""
    rng = np.random.default_rng(3)
    runs, n, rho = 600, 2000, 0.7
    plain, cuped, reported = [], [], []
    for _ in range(runs):
        y, x = correlated_customers(rng, n, rho)
        control = rng.random(n) < 0.5
        result = experiment.readout(experiment.Metric.mean(y, x), ~control[None], control[None])
        plain.append(result.effect[0])
        cuped.append(result.effect_cuped[0])
        reported.append(result.variance_reduction[0])
    assert np.mean(reported) == pytest.approx(rho ** 2, abs=0.02)
    achieved = 1 - np.var(cuped) / np.var(plain)
    assert achieved == pytest.approx(rho ** 2, abs=0.08)


def test_cuped_effect_is_the_treatment_coefficient_of_least_squares():
    """The CUPED difference of means equals the treatment coefficient of the regression
    y ~ 1 + treatment + x (numpy's least squares), because theta pools the within-group slopes."""
    rng = np.random.default_rng(4)
    n = 3000
    y, x = correlated_customers(rng, n, rho=0.5)
    control = rng.random(n) < 0.3
    y = y + np.where(control, 0.0, 0.8)
    result = experiment.readout(experiment.Metric.mean(y, x), ~control[None], control[None])
    design = np.column_stack([np.ones(n), ~control, x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    difference = result.treatment_mean_cuped[0] - result.control_mean_cuped[0]
    assert difference == pytest.approx(coefficients[1], rel=1e-9)
    assert result.treatment_mean[0] == pytest.approx(y[~control].mean())
    assert result.control_mean[0] == pytest.approx(y[control].mean())


def test_delta_method_variance_of_a_ratio_matches_simulation():
    """The variance of sum(revenue) / sum(baskets) over 3000 samples of 500 customers is what
    the delta method predicts from a single sample."""
    rng = np.random.default_rng(5)
    n, runs = 500, 3000
    ratios, predicted = [], []
    for _ in range(runs):
        metric = ratio_customers(rng, n)
        moments = experiment.group_moments(metric, np.ones((1, n), dtype=bool))
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
    rng = np.random.default_rng(6 if kind == "mean" else 7)
    runs, n, true_effect = 1000, 2000, 0.05
    covered = np.zeros((runs, 2), dtype=bool)
    for run in range(runs):
        control = rng.random(n) < 0.2
        if kind == "mean":
            y, x = correlated_customers(rng, n, rho=0.6)
            metric = experiment.Metric.mean(np.where(control, y, y * (1 + true_effect)), x)
        else:
            metric = ratio_customers(rng, n, effect=true_effect, treated=~control)
        result = experiment.readout(metric, ~control[None], control[None])
        covered[run] = [result.ci_low[0] <= true_effect <= result.ci_high[0],
                        result.ci_low_cuped[0] <= true_effect <= result.ci_high_cuped[0]]
    tolerance = 3 * np.sqrt(0.95 * 0.05 / runs)
    assert np.abs(covered.mean(axis=0) - 0.95).max() < tolerance, covered.mean(axis=0)


def test_many_draws_at_once_match_one_at_a_time_and_hold_alpha():
    """The A/A check's matrix form: 400 random splits of one population give, row for row, the
    readout of each split alone, and reject at about 5 %."""
    rng = np.random.default_rng(8)
    n, draws = 1500, 400
    metric = ratio_customers(rng, n)
    control = rng.random((draws, n)) < 0.1
    together = experiment.readout(metric, ~control, control)
    for row in (0, 17, 399):
        alone = experiment.readout(metric, ~control[row][None], control[row][None])
        assert together.p_value_cuped[row] == pytest.approx(alone.p_value_cuped[0])
        assert together.effect[row] == pytest.approx(alone.effect[0])
    tolerance = 3 * np.sqrt(0.05 * 0.95 / draws)
    assert abs(np.mean(together.p_value < 0.05) - 0.05) < tolerance
    assert abs(np.mean(together.p_value_cuped < 0.05) - 0.05) < tolerance


def test_p_value_and_interval_agree():
    rng = np.random.default_rng(9)
    y, x = correlated_customers(rng, 400, rho=0.3)
    control = rng.random((200, 400)) < 0.5
    result = experiment.readout(experiment.Metric.mean(y, x), ~control, control)
    for low, high, p_value in ((result.ci_low, result.ci_high, result.p_value),
                               (result.ci_low_cuped, result.ci_high_cuped, result.p_value_cuped)):
        excludes_zero = (low > 0) | (high < 0)
        assert 0 < excludes_zero.sum() < 200
        assert np.array_equal(excludes_zero, p_value < 0.05)


def test_required_control_share_and_customers():
    """A goal twice the MDE at 10 % control needs a quarter of the variance factor; a goal far
    below the MDE cannot be reached by any share."""
    share = experiment.required_control_share(relative_mde=0.04, relative_goal=0.08,
                                              control_share=0.1)
    assert share * (1 - share) == pytest.approx(0.1 * 0.9 / 4)
    assert share < 0.1
    assert np.isnan(experiment.required_control_share(0.5, 0.03, 0.1))
    # with the share found, the MDE formula really gives the goal
    sd, n = 2.0, 10_000
    mde_now = float(experiment.mde(sd, n * 0.9, n * 0.1))
    goal = mde_now * 0.8
    needed = experiment.required_control_share(mde_now, goal, 0.1)
    assert float(experiment.mde(sd, n * (1 - needed), n * needed)) == pytest.approx(goal)
    assert experiment.required_customers(1000, 0.06, 0.03) == 4000


def audience_table(rng, channels=("a", "b"), n=400):
    """A synthetic int_experiment_audience_metrics: revenue, baskets and retention, pre and post."""
    import pyarrow as pa
    rows = {"channel": [], "user_id": [], "experiment_group": []}
    for index, channel in enumerate(channels):
        rows["channel"] += [channel] * n
        rows["user_id"] += list(range(index * n, (index + 1) * n))
        rows["experiment_group"] += list(np.where(rng.random(n) < 0.2, "control", "treatment"))
    size = len(rows["user_id"])
    metric = ratio_customers(rng, size)
    rows.update(revenue=metric.y, baskets=metric.d, pre_revenue=metric.x, pre_baskets=metric.e,
                retained=(rng.random(size) < 0.8).astype(int),
                pre_retained=(rng.random(size) < 0.8).astype(int))
    return pa.table(rows)


def test_tables_have_a_row_per_channel_and_metric():
    import pyarrow as pa
    rng = np.random.default_rng(10)
    audience = audience_table(rng)
    goals = pa.table({"metric": ["revenue_per_customer", "retention", "average_check"],
                      "goal_uplift": [0.06, 0.03, 0.03]})
    power = experiment.power_table(audience, goals, 0.1)
    readout = experiment.readout_table(audience, 37, 53)
    users = np.arange(800)
    draws = pa.table({"aa_salt": np.repeat(np.arange(1, 51), 800), "user_id": np.tile(users, 50),
                      "is_control": rng.random(50 * 800) < 0.1})
    aa = experiment.aa_table(audience, draws)
    for table in (power, readout, aa):
        keys = set(zip(table.column("channel").to_pylist(), table.column("metric").to_pylist()))
        assert keys == {(c, m) for c in "ab" for m in experiment.METRIC_NAMES}
    assert aa.column("n_salts").to_pylist() == [50] * 6
    # the readout's group sizes are the audience's
    first = readout.filter(pa.compute.equal(readout.column("channel"), "a")).to_pylist()[0]
    groups = audience.filter(pa.compute.equal(audience.column("channel"), "a")).column(
        "experiment_group").to_pylist()
    assert (first["n_treatment"], first["n_control"]) == (groups.count("treatment"),
                                                          groups.count("control"))


def test_bad_inputs_name_the_problem():
    import pyarrow as pa
    rng = np.random.default_rng(11)
    audience = audience_table(rng, channels=("a",), n=50)
    with pytest.raises(ValueError, match="experiment_metrics: unknown metric clicks"):
        experiment.power_table(audience, pa.table({"metric": ["clicks"], "goal_uplift": [0.1]}), 0.1)
    shuffled = pa.table({"aa_salt": [1, 1, 2, 2], "user_id": [2, 1, 1, 2],
                         "is_control": [True, False, False, True]})
    with pytest.raises(ValueError, match="int_experiment_aa_draws"):
        experiment.aa_table(audience, shuffled)
