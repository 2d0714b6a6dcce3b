"""Statistics of the hold-out experiment: readout, power (MDE) and the A/A check.

Every metric is a ratio of per-customer sums, ``sum(numerator) / sum(denominator)`` over a group
of customers. A mean metric (revenue per customer, retention) has denominator 1; the average
check is revenue / baskets. One code path covers both: the ratio's variance comes from the delta
method, written as the variance of the linearised values ``(y - R d) / mean(d)`` (Deng et al.,
"Applying the Delta Method in Metric Analytics", KDD 2018), which for d = 1 is the plain variance
of y.

CUPED (Deng, Xu, Kohavi, Walker, "Improving the Sensitivity of Online Controlled Experiments by
Utilizing Pre-Experiment Data", WSDM 2013) uses the pre-period value of the same metric as the
covariate: the adjusted ratio is ``R - theta (X - X_all)`` with ``theta = cov(l_y, l_x) /
var(l_x)`` pooled over both groups' within-group moments, so that a treatment effect does not
leak into theta.

Groups are given as boolean matrices ``treatment[s, i]`` and ``control[s, i]`` over draws s (one
row for the real experiment, a thousand salts for the A/A check) and the channel's customers i;
every sum is a matrix product, so the A/A check over 1000 salts costs a few products of
(salts x customers) by (customers x 15).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)
from scipy import stats

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Metric:
    """One metric's per-customer values: outcome-period numerator and denominator, and the same
    for the pre-period (the CUPED covariate). Arrays of one length, one entry per customer."""

    y: np.ndarray  # outcome numerator
    d: np.ndarray  # outcome denominator (ones for a mean metric)
    x: np.ndarray  # pre-period numerator
    e: np.ndarray  # pre-period denominator (ones for a mean metric)

    @classmethod
    def mean(cls, y, x) -> "Metric":
        y = np.asarray(y, dtype=float)
        return cls(y, np.ones_like(y), np.asarray(x, dtype=float), np.ones_like(y))

    @classmethod
    def ratio(cls, y, d, x, e) -> "Metric":
        return cls(*(np.asarray(values, dtype=float) for values in (y, d, x, e)))


# The per-customer products whose group sums give every moment the readout needs.
_TERMS = ("1", "y", "d", "x", "e", "yy", "yd", "dd", "xx", "xe", "ee", "yx", "ye", "dx", "de")


def _term_matrix(metric: Metric) -> np.ndarray:
    y, d, x, e = metric.y, metric.d, metric.x, metric.e
    columns = {"1": np.ones_like(y), "y": y, "d": d, "x": x, "e": e, "yy": y * y, "yd": y * d,
               "dd": d * d, "xx": x * x, "xe": x * e, "ee": e * e, "yx": y * x, "ye": y * e,
               "dx": d * x, "de": d * e}
    return np.column_stack([columns[term] for term in _TERMS])


@dataclass(frozen=True)
class GroupMoments:
    """Per draw: a group's size, ratios, and the (n - 1)-normalised variances and covariance of
    its linearised outcome l_y and covariate l_x. Every field is an array over draws."""

    n: np.ndarray
    ratio: np.ndarray      # R = sum y / sum d
    pre_ratio: np.ndarray  # X = sum x / sum e
    pre_sum: np.ndarray    # sum x, sum e: to pool X over both groups
    pre_den: np.ndarray
    var_y: np.ndarray      # var(l_y), l_y = (y - R d) / mean(d)
    var_x: np.ndarray      # var(l_x), l_x = (x - X e) / mean(e)
    cov_xy: np.ndarray


def group_moments(metric: Metric, in_group: np.ndarray) -> GroupMoments:
    """The moments of the customers where ``in_group[s, i]`` is true, for every draw s."""
    sums = np.atleast_2d(in_group).astype(float) @ _term_matrix(metric)
    s = dict(zip(_TERMS, sums.T))
    n = s["1"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = s["y"] / s["d"]
        pre_ratio = s["x"] / s["e"]
        mean_d, mean_e = s["d"] / n, s["e"] / n
        # sum (y - R d)^2 and friends, expanded so that only group sums are needed
        ss_y = s["yy"] - 2 * ratio * s["yd"] + ratio ** 2 * s["dd"]
        ss_x = s["xx"] - 2 * pre_ratio * s["xe"] + pre_ratio ** 2 * s["ee"]
        sp_xy = s["yx"] - pre_ratio * s["ye"] - ratio * s["dx"] + ratio * pre_ratio * s["de"]
        var_y = ss_y / (n - 1) / mean_d ** 2
        var_x = ss_x / (n - 1) / mean_e ** 2
        cov_xy = sp_xy / (n - 1) / (mean_d * mean_e)
    return GroupMoments(n, ratio, pre_ratio, s["x"], s["e"], var_y, var_x, cov_xy)


@dataclass(frozen=True)
class Readout:
    """Per draw: group sizes, means (outcome and pre-period), the relative effect treatment /
    control - 1 with its 95 % interval and two-sided p-value, plain and CUPED, and the share of
    the effect's variance that CUPED removed."""

    n_treatment: np.ndarray
    n_control: np.ndarray
    treatment_mean: np.ndarray
    control_mean: np.ndarray
    treatment_pre_mean: np.ndarray
    control_pre_mean: np.ndarray
    effect: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    treatment_mean_cuped: np.ndarray
    control_mean_cuped: np.ndarray
    effect_cuped: np.ndarray
    ci_low_cuped: np.ndarray
    ci_high_cuped: np.ndarray
    p_value_cuped: np.ndarray
    variance_reduction: np.ndarray


def _relative_effect(mean_t, mean_c, var_difference, alpha):
    """treatment / control - 1 with its 95 % interval and two-sided p-value.

    The test and the interval are those of the difference of means (var_difference is its
    variance), divided by the control mean: p < alpha exactly when the interval excludes 0. The
    delta method for the ratio of the two means would also count the control mean's own
    uncertainty, but it shrinks the standard error whenever the control mean comes out high by
    chance, and an A/A split with a few big spenders in control then looks significant; the
    term it adds is effect^2 x the control mean's relative variance, negligible for effects of
    a few percent.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        difference = mean_t - mean_c
        se = np.sqrt(var_difference)
        z = stats.norm.ppf(1 - alpha / 2)
        p_value = 2 * stats.norm.sf(np.abs(difference) / se)
        return (difference / mean_c, (difference - z * se) / mean_c,
                (difference + z * se) / mean_c, p_value)


def readout(metric: Metric, treatment: np.ndarray, control: np.ndarray,
            alpha: float = ALPHA) -> Readout:
    """Compare treatment with control for every draw (rows of the boolean matrices)."""
    t, c = group_moments(metric, treatment), group_moments(metric, control)
    dof_t, dof_c = t.n - 1, c.n - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        # theta from the within-group moments of both groups: a treatment effect on the level of
        # y does not change it
        theta = (dof_t * t.cov_xy + dof_c * c.cov_xy) / (dof_t * t.var_x + dof_c * c.var_x)
        pre_all = (t.pre_sum + c.pre_sum) / (t.pre_den + c.pre_den)
        # One variance pooled over both groups, as Student's t-test does: with a 10 % control a
        # small channel's control group holds a dozen customers, too few for a variance of its
        # own (all twelve retained gives variance 0). The price: it assumes that the treatment
        # moves the level of the metric, not its spread.
        pooled_var = (dof_t * t.var_y + dof_c * c.var_y) / (dof_t + dof_c)
        pooled_var_cuped = (dof_t * (t.var_y - 2 * theta * t.cov_xy + theta ** 2 * t.var_x)
                            + dof_c * (c.var_y - 2 * theta * c.cov_xy + theta ** 2 * c.var_x)
                            ) / (dof_t + dof_c)
        mean_t = t.ratio - theta * (t.pre_ratio - pre_all)
        mean_c = c.ratio - theta * (c.pre_ratio - pre_all)
        variance_reduction = 1 - pooled_var_cuped / pooled_var
        var_factor = 1 / t.n + 1 / c.n
    plain = _relative_effect(t.ratio, c.ratio, pooled_var * var_factor, alpha)
    cuped = _relative_effect(mean_t, mean_c, pooled_var_cuped * var_factor, alpha)
    return Readout(t.n, c.n, t.ratio, c.ratio, t.pre_ratio, c.pre_ratio, *plain, mean_t, mean_c,
                   *cuped, variance_reduction)


@dataclass(frozen=True)
class Power:
    """A channel's audience before the experiment: baseline, the relative minimum detectable
    effect plain and with CUPED, and CUPED's variance reduction (the squared correlation of the
    linearised outcome with its pre-period value)."""

    n: int
    baseline: float
    sd: float
    mde: float
    mde_cuped: float
    variance_reduction: float


def mde(sd, n_treatment, n_control, alpha: float = ALPHA, power: float = POWER):
    """The smallest absolute difference of means that a two-sided z-test at ``alpha`` detects
    with probability ``power``: (z_{1-alpha/2} + z_power) * sd * sqrt(1/n_t + 1/n_c)."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    with np.errstate(divide="ignore", invalid="ignore"):
        return z * np.asarray(sd, dtype=float) * np.sqrt(1 / np.asarray(n_treatment, dtype=float)
                                                         + 1 / np.asarray(n_control, dtype=float))


def power(metric: Metric, control_share: float, alpha: float = ALPHA,
          power_: float = POWER) -> Power:
    """The power of splitting these customers at ``control_share``, from their history."""
    everyone = np.ones((1, len(metric.y)), dtype=bool)
    m = group_moments(metric, everyone)
    n = int(m.n[0])
    n_control, n_treatment = n * control_share, n * (1 - control_share)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = float(np.sqrt(m.var_y[0]))
        # a metric or covariate without variance (six customers, all retained) has none to remove
        has_variance = m.var_x[0] > 0 and m.var_y[0] > 0
        rho2 = float(m.cov_xy[0] ** 2 / (m.var_x[0] * m.var_y[0])) if has_variance else 0.0
        baseline = float(m.ratio[0])
        plain = float(mde(sd, n_treatment, n_control, alpha, power_)) / baseline
    return Power(n, baseline, sd, plain, plain * np.sqrt(1 - rho2), rho2)


def required_control_share(relative_mde: float, relative_goal: float,
                           control_share: float) -> float:
    """The smallest control share (at most one half) at which the relative goal becomes
    detectable, given the relative MDE at ``control_share``; NaN where no share suffices.

    The MDE scales with sqrt(1/(s(1-s))), so the goal is detectable once s(1-s) >= c with
    c = s0(1-s0) (mde / goal)^2.
    """
    c = control_share * (1 - control_share) * (relative_mde / relative_goal) ** 2
    if not np.isfinite(c) or c > 0.25:
        return float("nan")
    return float((1 - np.sqrt(1 - 4 * c)) / 2)


def required_customers(n: int, relative_mde: float, relative_goal: float) -> float:
    """The audience (at the same control share) at which the relative goal becomes detectable:
    the MDE scales with 1/sqrt(n)."""
    return float(np.ceil(n * (relative_mde / relative_goal) ** 2))


# ---------------------------------------------------------------------------------------------
# The experiment tables. Their input is int_experiment_audience_metrics: one row per channel and
# customer with the outcome and pre-period columns below.

METRIC_NAMES = ("revenue_per_customer", "retention", "average_check")


def customer_metrics(rows: pa.Table) -> dict[str, Metric]:
    """The metrics of the experiment, by the names the seed experiment_metrics uses."""
    column = {name: np.asarray(rows.column(name).to_numpy(zero_copy_only=False), dtype=float)
              for name in ("revenue", "baskets", "retained",
                           "pre_revenue", "pre_baskets", "pre_retained")}
    return {
        "revenue_per_customer": Metric.mean(column["revenue"], column["pre_revenue"]),
        "retention": Metric.mean(column["retained"], column["pre_retained"]),
        "average_check": Metric.ratio(column["revenue"], column["baskets"],
                                      column["pre_revenue"], column["pre_baskets"]),
    }


def _goals(goals: pa.Table) -> dict[str, float]:
    names = goals.column("metric").to_pylist()
    unknown = sorted(set(names) - set(METRIC_NAMES))
    if unknown:
        raise ValueError(f"seed experiment_metrics: unknown metric {', '.join(unknown)}; "
                         f"known: {', '.join(METRIC_NAMES)}")
    return dict(zip(names, goals.column("goal_uplift").to_pylist()))


def _by_channel(audience: pa.Table):
    channels = audience.column("channel").to_numpy(zero_copy_only=False)
    for channel in sorted(set(channels)):
        yield channel, audience.filter(pa.array(channels == channel))


def power_table(audience: pa.Table, goals: pa.Table, control_share: float) -> pa.Table:
    """One row per channel and metric: the power of the experiment on this audience's history."""
    goal_by_metric = _goals(goals)
    rows = []
    for channel, channel_rows in _by_channel(audience):
        metrics = customer_metrics(channel_rows)
        for metric, goal in goal_by_metric.items():
            result = power(metrics[metric], control_share)
            rows.append({
                "channel": channel, "metric": metric, "n_customers": result.n,
                "n_control": round(result.n * control_share), "baseline": result.baseline,
                "mde": result.mde, "mde_cuped": result.mde_cuped,
                "cuped_variance_reduction": result.variance_reduction, "goal_uplift": goal,
                "detectable": bool(result.mde <= goal),
                "detectable_cuped": bool(result.mde_cuped <= goal),
                "required_control_share": required_control_share(result.mde_cuped, goal,
                                                                 control_share),
                "required_customers": required_customers(result.n, result.mde_cuped, goal),
            })
    return pa.Table.from_pylist(rows)


def _control_matrix(draws: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """draws (aa_salt, user_id, is_control), ordered by salt and customer with every customer
    under every salt, as (sorted user ids, boolean matrix salts x users)."""
    salts = draws.column("aa_salt").to_numpy()
    users = draws.column("user_id").to_numpy()
    n_users = int(np.searchsorted(salts, salts[0], side="right")) if len(salts) else 0
    n_salts = len(salts) // max(n_users, 1)
    user_values = users[:n_users]
    if (n_salts * n_users != len(salts) or np.any(np.diff(user_values) <= 0)
            or not np.array_equal(users.reshape(n_salts, n_users), np.broadcast_to(
                user_values, (n_salts, n_users)))):
        raise ValueError("int_experiment_aa_draws: expected every customer once under every "
                         "salt, ordered by aa_salt and user_id")
    return user_values, draws.column("is_control").to_numpy(zero_copy_only=False).reshape(
        n_salts, n_users)


def aa_table(audience: pa.Table, draws: pa.Table, alpha: float = ALPHA) -> pa.Table:
    """One row per channel and metric: the readout run once per salt of ``draws`` on a period
    without treatment, summarised. A trustworthy readout rejects in about alpha of the salts."""
    draw_users, draw_control = _control_matrix(draws)
    rows = []
    for channel, channel_rows in _by_channel(audience):
        user_ids = channel_rows.column("user_id").to_numpy(zero_copy_only=False)
        columns = np.searchsorted(draw_users, user_ids)
        if not np.array_equal(draw_users[np.minimum(columns, len(draw_users) - 1)], user_ids):
            raise ValueError(f"A/A draws miss customers of channel {channel}")
        control = draw_control[:, columns]
        for metric, values in customer_metrics(channel_rows).items():
            result = readout(values, ~control, control, alpha)
            valid = np.isfinite(result.p_value) & np.isfinite(result.p_value_cuped)
            n_salts = int(valid.sum())

            def over_salts(summary, values):
                # NaN, not an error, for an audience too small to split (a sample of the data)
                with np.errstate(invalid="ignore"):
                    return float(summary(values[valid])) if n_salts > 1 else float("nan")

            def rejected(p_values):
                return p_values < alpha

            rows.append({
                "channel": channel, "metric": metric, "n_salts": n_salts,
                "n_customers": len(user_ids),
                "mean_control_customers": float(result.n_control.mean()),
                "false_positive_rate": over_salts(np.mean, rejected(result.p_value)),
                "false_positive_rate_cuped": over_salts(np.mean, rejected(result.p_value_cuped)),
                "binomial_standard_error": (float(np.sqrt(alpha * (1 - alpha) / n_salts))
                                            if n_salts else float("nan")),
                "mean_effect": over_salts(np.mean, result.effect),
                "mean_effect_cuped": over_salts(np.mean, result.effect_cuped),
                "effect_sd": over_salts(lambda v: np.std(v, ddof=1), result.effect),
                "effect_sd_cuped": over_salts(lambda v: np.std(v, ddof=1), result.effect_cuped),
                "cuped_variance_reduction": over_salts(np.mean, result.variance_reduction),
            })
    return pa.Table.from_pylist(rows)


def readout_table(audience: pa.Table, outcome_first_week: int, outcome_last_week: int,
                  alpha: float = ALPHA) -> pa.Table:
    """One row per channel and metric: the experiment read out, treatment against control."""
    rows = []
    for channel, channel_rows in _by_channel(audience):
        control = np.asarray(channel_rows.column("experiment_group").to_pylist()) == "control"
        for metric, values in customer_metrics(channel_rows).items():
            result = readout(values, ~control[None], control[None], alpha)
            rows.append({"channel": channel, "metric": metric,
                         "outcome_first_week": outcome_first_week,
                         "outcome_last_week": outcome_last_week,
                         **{field: float(getattr(result, field)[0])
                            for field in Readout.__dataclass_fields__}})
    table = pa.Table.from_pylist(rows)
    for name in ("n_treatment", "n_control"):
        table = table.set_column(table.schema.get_field_index(name), name,
                                 pa.compute.cast(table.column(name), pa.int64()))
    return table
