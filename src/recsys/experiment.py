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

Groups are given as a boolean matrix ``control[s, i]`` over draws s (one row for the real
experiment, hundreds of salts for the A/A check) and the channel's customers i, plus
``member[s, i]`` (the customer belongs to the audience); every sum is a matrix product, so the
A/A check over 200 salts costs a few products of (salts x customers) by (customers x 14).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
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
    """Per draw: group sizes and means, the relative effect treatment / control - 1 with its
    standard error, 95 % interval and two-sided p-value, plain and CUPED, and the share of the
    effect's variance that CUPED removed."""

    n_treatment: np.ndarray
    n_control: np.ndarray
    treatment_mean: np.ndarray
    control_mean: np.ndarray
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


def _relative_effect(mean_t, var_t, mean_c, var_c, alpha):
    """treatment / control - 1 with its delta-method standard error, interval and p-value.

    var_t and var_c are the variances of the two group means. The p-value tests the same
    quantity as the interval, so p < alpha exactly when the interval excludes 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = mean_t / mean_c - 1
        se = np.sqrt(var_t / mean_c ** 2 + mean_t ** 2 * var_c / mean_c ** 4)
        z = stats.norm.ppf(1 - alpha / 2)
        p_value = 2 * stats.norm.sf(np.abs(effect) / se)
    return effect, effect - z * se, effect + z * se, p_value


def readout(metric: Metric, treatment: np.ndarray, control: np.ndarray,
            alpha: float = ALPHA) -> Readout:
    """Compare treatment with control for every draw (rows of the boolean matrices)."""
    t, c = group_moments(metric, treatment), group_moments(metric, control)
    with np.errstate(divide="ignore", invalid="ignore"):
        # theta from the within-group moments of both groups: a treatment effect on the level of
        # y does not change it
        theta = (((t.n - 1) * t.cov_xy + (c.n - 1) * c.cov_xy)
                 / ((t.n - 1) * t.var_x + (c.n - 1) * c.var_x))
        pre_all = (t.pre_sum + c.pre_sum) / (t.pre_den + c.pre_den)

        def adjusted(group: GroupMoments):
            mean = group.ratio - theta * (group.pre_ratio - pre_all)
            var = (group.var_y - 2 * theta * group.cov_xy + theta ** 2 * group.var_x) / group.n
            return mean, var

        mean_t, var_t = adjusted(t)
        mean_c, var_c = adjusted(c)
        plain_var = t.var_y / t.n + c.var_y / c.n
        variance_reduction = 1 - (var_t + var_c) / plain_var
    plain = _relative_effect(t.ratio, t.var_y / t.n, c.ratio, c.var_y / c.n, alpha)
    cuped = _relative_effect(mean_t, var_t, mean_c, var_c, alpha)
    return Readout(t.n, c.n, t.ratio, c.ratio, *plain, mean_t, mean_c, *cuped,
                   variance_reduction)


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
        rho2 = float(m.cov_xy[0] ** 2 / (m.var_x[0] * m.var_y[0]))
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
