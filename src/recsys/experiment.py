"""Statistics of the hold-out experiment: readout, power (MDE) and the A/A check, from group sums.

Every metric is a ratio of per-customer sums, ``sum(y) / sum(d)`` over a group of customers. A
mean metric (revenue per customer, retention) has d = 1; the average check is revenue / baskets.
One code path covers both: the ratio's variance comes from the delta method, written as the
variance of the linearised values ``(y - R d) / mean(d)`` (Deng et al., "Applying the Delta
Method in Metric Analytics", KDD 2018), which for d = 1 is the plain variance of y.

Everything is computed from a group's sums of the TERMS (its count and the sums of y, d, x, e and
their products), which SQL adds up (macro experiment_sums): no customer reaches Python. A
``Sums`` holds them for many draws at once (one row for the real experiment, a thousand salts for
the A/A check), so that every statistic is a vector operation over draws.

The test is Welch's: each group has its own variance, and the difference of means is compared
with Student's t at the Welch-Satterthwaite degrees of freedom. A treatment that scales the
outcome also scales its spread, and one variance pooled over a 90 % and a 10 % group then
misstates the error (bench/experiment_calibration.md). Spend is heavy-tailed: a few big spenders
make a small group's variance swing, so the degrees of freedom also count the kurtosis of the
metric over the audience (the variance of a sample variance is sigma^4 (2 / (n - 1) + kurtosis /
n), not the normal 2 sigma^4 / (n - 1)). Below ``min_group_customers`` per group the rate of false
positives still strays above alpha (skewed spend, a dozen customers): the tables give no p-value
there and say ``too few customers``.

CUPED (Deng, Xu, Kohavi, Walker, "Improving the Sensitivity of Online Controlled Experiments by
Utilizing Pre-Experiment Data", WSDM 2013) uses the pre-period value of the same metric as the
covariate: the adjusted ratio is ``R - theta (X - X_all)`` with ``theta = cov(l_y, l_x) /
var(l_x)`` pooled over both groups' within-group moments, so that a treatment effect on the level
of y does not leak into theta; the adjusted values' variance is then taken per group, as above.

The minimum detectable effect is the uplift of the treated customers' outcome (each multiplied by
1 + uplift, which scales their spread too) at which this test reaches 80 % power by the normal
approximation; bench/experiment_calibration.py checks it by simulation on the real customers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import optimize, stats

ALPHA = 0.05
POWER = 0.8
OK = "ok"
TOO_FEW = "too few customers"

# The terms whose group sums give every moment: the count n, then y, d, x, e and their products
# (yd = y * d). The SQL columns are n and sum_<term> (macro experiment_sums).
TERMS = ("n", "y", "d", "x", "e", "yy", "yd", "dd", "xx", "xe", "ee", "yx", "ye", "dx", "de")
SUM_COLUMNS = tuple(term if term == "n" else f"sum_{term}" for term in TERMS)
_INDEX = {term: index for index, term in enumerate(TERMS)}


@dataclass(frozen=True)
class Metric:
    """One metric's per-customer values: outcome-period numerator and denominator, and the same
    for the pre-period (the CUPED covariate). For tests and the calibration bench: the build
    never holds customers in Python."""

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

    def term_matrix(self) -> np.ndarray:
        """customers x TERMS: each customer's products, whose column sums are the group sums."""
        y, d, x, e = self.y, self.d, self.x, self.e
        columns = {"n": np.ones_like(y), "y": y, "d": d, "x": x, "e": e, "yy": y * y,
                   "yd": y * d, "dd": d * d, "xx": x * x, "xe": x * e, "ee": e * e, "yx": y * x,
                   "ye": y * e, "dx": d * x, "de": d * e}
        return np.column_stack([columns[term] for term in TERMS])


@dataclass(frozen=True)
class Sums:
    """A group's sums of the TERMS for every draw: ``values[s, t]`` is term t over draw s."""

    values: np.ndarray

    def __getitem__(self, term: str) -> np.ndarray:
        return self.values[:, _INDEX[term]]

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.values + other.values)

    def __sub__(self, other: "Sums") -> "Sums":
        return Sums(self.values - other.values)

    @classmethod
    def of_customers(cls, metric: Metric, in_group: np.ndarray) -> "Sums":
        """The sums over the customers where ``in_group[s, i]`` is true, for every draw s: what
        SQL computes, as one matrix product."""
        return cls(np.atleast_2d(in_group).astype(float) @ metric.term_matrix())

    @classmethod
    def from_table(cls, table: pa.Table) -> "Sums":
        """One draw per row of a table with the columns SUM_COLUMNS (int_experiment_*_sums)."""
        missing = [column for column in SUM_COLUMNS if column not in table.column_names]
        if missing:
            raise ValueError(f"experiment sums: missing columns {', '.join(missing)}")
        return cls(np.column_stack([
            np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=float)
            for column in SUM_COLUMNS]).reshape(table.num_rows, len(TERMS)))

    def with_outcome(self, scale: float, base: float = 0.0) -> "Sums":
        """The sums had every customer's outcome been ``scale * y + base * d``: an uplift of the
        treated customers (scale 1 + uplift) or a change of their spread around the ratio c
        (scale k, base (1 - k) c). The products with y follow from the sums without it."""
        s = {term: self[term] for term in TERMS}
        new = dict(s)
        new["y"] = scale * s["y"] + base * s["d"]
        new["yy"] = scale ** 2 * s["yy"] + 2 * scale * base * s["yd"] + base ** 2 * s["dd"]
        new["yd"] = scale * s["yd"] + base * s["dd"]
        new["yx"] = scale * s["yx"] + base * s["dx"]
        new["ye"] = scale * s["ye"] + base * s["de"]
        return Sums(np.column_stack([new[term] for term in TERMS]))


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


def group_moments(s: Sums) -> GroupMoments:
    """The moments of a group, from its sums."""
    n = s["n"]
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


def welch_dof(part_t, part_c, n_t, n_c, kurtosis=0.0):
    """Welch-Satterthwaite degrees of freedom of the variance part_t + part_c (each a group's
    variance over its size): 2 E[v]^2 / var(v), with var(s^2) = sigma^4 (2 / (n - 1) + kurtosis /
    n) for excess kurtosis (0 for normal data, where this is Welch's own formula)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (part_t + part_c) ** 2 / (part_t ** 2 * (1 / (n_t - 1) + kurtosis / (2 * n_t))
                                         + part_c ** 2 * (1 / (n_c - 1) + kurtosis / (2 * n_c)))


def _welch(mean_t, mean_c, var_t, var_c, n_t, n_c, kurtosis, alpha):
    """treatment / control - 1 with its interval and two-sided p-value, from Welch's t-test of
    the difference of means (each group its own variance). The interval and the test are the
    difference's, divided by the control mean: p < alpha exactly when the interval excludes 0.
    The delta method for the ratio of the two means would also count the control mean's own
    uncertainty, but it shrinks the standard error whenever the control mean comes out high by
    chance; the term it adds is effect^2 x the control mean's relative variance, negligible for
    effects of a few percent."""
    with np.errstate(divide="ignore", invalid="ignore"):
        part_t, part_c = var_t / n_t, var_c / n_c
        variance = part_t + part_c
        dof = welch_dof(part_t, part_c, n_t, n_c, kurtosis)
        difference = mean_t - mean_c
        se = np.sqrt(variance)
        quantile = stats.t.ppf(1 - alpha / 2, dof)
        p_value = 2 * stats.t.sf(np.abs(difference) / se, dof)
        return (difference / mean_c, (difference - quantile * se) / mean_c,
                (difference + quantile * se) / mean_c, p_value, variance)


def readout(treatment: Sums, control: Sums, alpha: float = ALPHA,
            kurtosis: tuple[float, float] = (0.0, 0.0)) -> Readout:
    """Compare treatment with control for every draw (the rows of the two Sums). kurtosis: the
    excess kurtosis of the linearised outcome and of its CUPED residual over the audience
    (:func:`metric_kurtosis`); 0, 0 gives Welch's test as for normal data."""
    t, c = group_moments(treatment), group_moments(control)
    dof_t, dof_c = t.n - 1, c.n - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        # theta from the within-group moments of both groups: a treatment effect on the level of
        # y does not change it
        theta = (dof_t * t.cov_xy + dof_c * c.cov_xy) / (dof_t * t.var_x + dof_c * c.var_x)
        pre_all = (t.pre_sum + c.pre_sum) / (t.pre_den + c.pre_den)
        mean_t = t.ratio - theta * (t.pre_ratio - pre_all)
        mean_c = c.ratio - theta * (c.pre_ratio - pre_all)
        var_t = t.var_y - 2 * theta * t.cov_xy + theta ** 2 * t.var_x
        var_c = c.var_y - 2 * theta * c.cov_xy + theta ** 2 * c.var_x
    *plain, plain_variance = _welch(t.ratio, c.ratio, t.var_y, c.var_y, t.n, c.n, kurtosis[0],
                                    alpha)
    *cuped, cuped_variance = _welch(mean_t, mean_c, var_t, var_c, t.n, c.n, kurtosis[1], alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        variance_reduction = 1 - cuped_variance / plain_variance
    return Readout(t.n, c.n, t.ratio, c.ratio, t.pre_ratio, c.pre_ratio, *plain, mean_t, mean_c,
                   *cuped, variance_reduction)


def group_status(n_treatment, n_control, min_group_customers: int) -> np.ndarray:
    """``ok`` where both groups hold at least min_group_customers, else ``too few customers``."""
    enough = np.minimum(np.asarray(n_treatment), np.asarray(n_control)) >= min_group_customers
    return np.where(enough, OK, TOO_FEW)


def minimum_detectable_effect(everyone: GroupMoments, kurtosis: tuple[float, float],
                              control_share: float, alpha: float = ALPHA,
                              power: float = POWER) -> tuple[float, float]:
    """The smallest relative uplift that the readout detects with probability ``power``, plain
    and with CUPED, when ``everyone`` (one draw: a whole audience) is split at control_share.
    ``alpha``: the test's two-sided level; a sequential readout's final look tests at its own,
    smaller nominal level (recsys.weekly_readout), which asks for a larger uplift.

    The uplift multiplies the treated customers' outcome by g = 1 + uplift, so their linearised
    values and their spread grow by g, and CUPED's pooled theta leans towards the treated slope g
    theta. The MDE solves uplift x baseline = (t_{1 - alpha/2} + t_power) x sqrt(var_t / n_t +
    var_c / n_c) at the degrees of freedom of :func:`welch_dof`, by bracketing and bisection
    (Brent), so that two engines' sums, equal but for their last bits, give the same MDE. NaN
    where no uplift is enough: the treated group's spread, which grows with the uplift, outgrows
    it (a tiny audience).
    """
    # numpy scalars: a sample's audience of ten has a control group of one, and its variance
    # divides by zero into NaN instead of raising
    n = np.float64(everyone.n[0])
    n_c = n * control_share
    n_t = n - n_c
    var_y, var_x, cov_xy, baseline = (np.float64(v[0]) for v in (
        everyone.var_y, everyone.var_x, everyone.cov_xy, everyone.ratio))
    slope = cov_xy / var_x if var_x > 0 else 0.0
    result = []
    for cuped, excess_kurtosis in zip((False, True), kurtosis):

        def shortfall(uplift: float) -> float:
            """The uplift the test needs, were the effect this uplift, minus the uplift."""
            g = 1 + uplift
            if cuped:
                theta = slope * ((n_t - 1) * g + (n_c - 1)) / (n - 2)
                var_t = g * g * var_y - 2 * theta * g * cov_xy + theta ** 2 * var_x
                var_c = var_y - 2 * theta * cov_xy + theta ** 2 * var_x
            else:
                var_t, var_c = g * g * var_y, var_y
            part_t, part_c = var_t / n_t, var_c / n_c
            dof = welch_dof(part_t, part_c, n_t, n_c, excess_kurtosis)
            quantiles = stats.t.ppf(1 - alpha / 2, dof) + stats.t.ppf(power, dof)
            return float(quantiles * np.sqrt(part_t + part_c) / baseline) - uplift

        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result.append(_first_root(shortfall))
    return result[0], result[1]


def _first_root(shortfall) -> float:
    """The smallest positive uplift where ``shortfall`` reaches 0, found by doubling a bracket
    from the uplift needed without an effect; NaN where it never does (up to 1e6) or is undefined."""
    low, high = 0.0, shortfall(0.0)
    if not np.isfinite(high):
        return float("nan")
    if high <= 0:
        return 0.0
    while True:
        value = shortfall(high)
        if not np.isfinite(value):
            return float("nan")
        if value <= 0:
            return float(optimize.brentq(shortfall, low, high, xtol=1e-14, rtol=1e-12))
        if high > 1e6:
            return float("nan")
        low, high = high, 2 * high


def required_control_share(relative_mde: float, relative_goal: float, control_share: float,
                           n: int, min_group_customers: int) -> float:
    """The smallest control share (at most one half) at which the relative goal becomes
    detectable, given the relative MDE at ``control_share`` on n customers, with at least
    min_group_customers in control; NaN where no share suffices.

    The MDE scales with sqrt(1/(s(1-s))) (approximately: the uplift also scales the treated
    group's spread), so the goal is detectable once s(1-s) >= c with c = s0(1-s0)(mde / goal)^2.
    """
    c = control_share * (1 - control_share) * (relative_mde / relative_goal) ** 2
    if not np.isfinite(c) or c > 0.25:
        return float("nan")
    share = max((1 - np.sqrt(1 - 4 * c)) / 2, min_group_customers / n)
    return float(share) if share <= 0.5 else float("nan")


def required_customers(n: int, relative_mde: float, relative_goal: float, control_share: float,
                       min_group_customers: int) -> float:
    """The audience (at the same control share) at which the relative goal becomes detectable:
    the MDE falls with 1/sqrt(n) (approximately, as above), and the control group must reach
    min_group_customers."""
    return float(max(np.ceil(n * (relative_mde / relative_goal) ** 2),
                     np.ceil(min_group_customers / control_share)))


# ---------------------------------------------------------------------------------------------
# The experiment tables. Their input: int_experiment_group_sums (one row per period, channel,
# metric and group), int_experiment_metric_shape (one row per period, channel and metric: the
# sums for the kurtosis) and int_experiment_aa_sums (one row per A/A salt, channel and metric: the
# control group's sums; the treatment's are the channel's minus these).

METRIC_NAMES = ("revenue_per_customer", "retention", "average_check", "baskets_per_customer")


def _goals(goals: pa.Table) -> dict[str, float]:
    names = goals.column("metric").to_pylist()
    unknown = sorted(set(names) - set(METRIC_NAMES))
    if unknown:
        raise ValueError(f"seed experiment_metrics: unknown metric {', '.join(unknown)}; "
                         f"known: {', '.join(METRIC_NAMES)}")
    return dict(zip(names, goals.column("goal_uplift").to_pylist()))


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def metric_kurtosis(shape: pa.Table) -> dict[tuple[str, str], tuple[float, float]]:
    """int_experiment_metric_shape of one period as {(channel, metric): (excess kurtosis of the
    linearised outcome a, of its CUPED residual a - beta b)}, beta the audience's slope of a on b;
    0 where a metric has no variance."""
    s = {name: np.asarray(_column(shape, name), dtype=float) for name in (
        "n", "sum_aa", "sum_ab", "sum_bb", "sum_aaaa", "sum_aaab", "sum_aabb", "sum_abbb",
        "sum_bbbb")}
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(s["sum_bb"] > 0, s["sum_ab"] / s["sum_bb"], 0.0)
        residual_squares = s["sum_aa"] - 2 * beta * s["sum_ab"] + beta ** 2 * s["sum_bb"]
        residual_fourths = (s["sum_aaaa"] - 4 * beta * s["sum_aaab"] + 6 * beta ** 2 * s["sum_aabb"]
                            - 4 * beta ** 3 * s["sum_abbb"] + beta ** 4 * s["sum_bbbb"])
        plain = s["n"] * s["sum_aaaa"] / s["sum_aa"] ** 2 - 3
        cuped = s["n"] * residual_fourths / residual_squares ** 2 - 3
    keys = zip(_column(shape, "channel"), _column(shape, "metric"))
    return {key: (float(np.nan_to_num(p)), float(np.nan_to_num(c)))
            for key, p, c in zip(keys, plain, cuped)}


def group_sums(sums: pa.Table) -> dict[tuple[str, str], dict[str, Sums]]:
    """int_experiment_group_sums of one period as {(channel, metric): {group: Sums}}, a group
    without customers as zeros."""
    values = Sums.from_table(sums).values
    by_key: dict[tuple[str, str], dict[str, Sums]] = {}
    zeros = Sums(np.zeros((1, len(TERMS))))
    for row, (channel, metric, group) in enumerate(zip(
            *(_column(sums, name) for name in ("channel", "metric", "experiment_group")))):
        by_key.setdefault((channel, metric), {"treatment": zeros, "control": zeros})[group] = (
            Sums(values[row:row + 1]))
    return dict(sorted(by_key.items()))


def aa_draws(history: pa.Table, aa_sums: pa.Table, aa_salts: int
             ) -> dict[tuple[str, str], tuple[Sums, Sums]]:
    """The A/A draws of every channel and metric as (treatment, control) Sums over the salts 1 ..
    aa_salts: control from int_experiment_aa_sums (a salt without a row: nobody in control),
    treatment the channel's history sums minus control."""
    values = Sums.from_table(aa_sums).values
    salts = _column(aa_sums, "aa_salt").astype(int)
    channels, metrics = _column(aa_sums, "channel"), _column(aa_sums, "metric")
    draws = {}
    for key, groups in group_sums(history).items():
        everyone = groups["treatment"] + groups["control"]
        rows = (channels == key[0]) & (metrics == key[1])
        control = np.zeros((aa_salts, len(TERMS)))
        control[salts[rows] - 1] = values[rows]
        draws[key] = (Sums(everyone.values - control), Sums(control))
    return draws


def power_table(history: pa.Table, history_shape: pa.Table, goals: pa.Table,
                control_share: float, min_group_customers: int,
                sequential_alpha: float = ALPHA) -> pa.Table:
    """One row per channel and metric: what the experiment can detect on this audience's history
    (int_experiment_group_sums and int_experiment_metric_shape of the history period).
    ``sequential_alpha``: the nominal level of the weekly readout's final look, at which
    ``mde_cuped_sequential`` is the MDE with CUPED of a campaign read every week."""
    goal_by_metric = _goals(goals)
    kurtosis = metric_kurtosis(history_shape)
    rows = []
    for (channel, metric), groups in group_sums(history).items():
        if metric not in goal_by_metric:
            continue
        goal = goal_by_metric[metric]
        everyone = group_moments(groups["treatment"] + groups["control"])
        n = int(everyone.n[0])
        n_control = round(n * control_share)
        status = str(group_status(n - n_control, n_control, min_group_customers))
        with np.errstate(divide="ignore", invalid="ignore"):
            # a metric or covariate without variance (six customers, all retained) has none to
            # remove
            has_variance = everyone.var_x[0] > 0 and everyone.var_y[0] > 0
            rho2 = (float(everyone.cov_xy[0] ** 2 / (everyone.var_x[0] * everyone.var_y[0]))
                    if has_variance else 0.0)
        mde, mde_cuped = minimum_detectable_effect(everyone, kurtosis[(channel, metric)],
                                                   control_share)
        _, mde_cuped_sequential = minimum_detectable_effect(everyone, kurtosis[(channel, metric)],
                                                            control_share, alpha=sequential_alpha)
        rows.append({
            "channel": channel, "metric": metric, "status": status, "n_customers": n,
            "n_control": n_control, "baseline": float(everyone.ratio[0]), "mde": mde,
            "mde_cuped": mde_cuped, "mde_cuped_sequential": mde_cuped_sequential,
            "cuped_variance_reduction": rho2, "goal_uplift": goal,
            "detectable": bool(status == OK and mde <= goal),
            "detectable_cuped": bool(status == OK and mde_cuped <= goal),
            "required_control_share": required_control_share(
                mde_cuped, goal, control_share, n, min_group_customers),
            "required_customers": required_customers(n, mde_cuped, goal, control_share,
                                                     min_group_customers),
        })
    return pa.Table.from_pylist(rows)


def power_by_week_table(history: pa.Table, history_shape: pa.Table, goals: pa.Table,
                        control_share: float, min_group_customers: int,
                        sequential_alpha: float = ALPHA) -> pa.Table:
    """experiment_power_weekly: :func:`power_table` at every look of the history period (its
    first k weeks, k = 1 .. experiment_weeks): how the MDE shrinks as a campaign goes on."""
    parts = []
    for look in sorted(set(history.column("look").to_pylist())):
        table = power_table(history.filter(pc.field("look") == look),
                            history_shape.filter(pc.field("look") == look), goals, control_share,
                            min_group_customers, sequential_alpha)
        parts.append(table.add_column(0, "weeks", pa.array([look] * table.num_rows, pa.int32())))
    return pa.concat_tables(parts)


def aa_table(history: pa.Table, history_shape: pa.Table, aa_sums: pa.Table, aa_salts: int,
             control_share: float, min_group_customers: int, alpha: float = ALPHA) -> pa.Table:
    """One row per channel and metric: the readout run once per A/A salt on a period without
    treatment, summarised. A trustworthy readout rejects in about alpha of the salts. The rates
    are measured for every audience; status says whether the readout would give its p-value."""
    kurtosis = metric_kurtosis(history_shape)
    rows = []
    for (channel, metric), (treatment, control) in aa_draws(history, aa_sums, aa_salts).items():
        result = readout(treatment, control, alpha, kurtosis[(channel, metric)])
        valid = np.isfinite(result.p_value) & np.isfinite(result.p_value_cuped)
        n_salts = int(valid.sum())
        n_customers = int((treatment + control).values[0, _INDEX["n"]])
        n_control = round(n_customers * control_share)

        def over_salts(summary, values):
            # NaN, not an error, for an audience too small to split (a sample of the data)
            with np.errstate(invalid="ignore"):
                return float(summary(values[valid])) if n_salts > 1 else float("nan")

        def rejected(p_values):
            return p_values < alpha

        rows.append({
            "channel": channel, "metric": metric,
            "status": str(group_status(n_customers - n_control, n_control, min_group_customers)),
            "n_salts": n_salts, "n_customers": n_customers,
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


# experiment_readout's columns: doubles even where every row is empty
READOUT_SCHEMA = pa.schema(
    [("channel", pa.string()), ("metric", pa.string()), ("status", pa.string()),
     ("outcome_first_week", pa.int32()), ("outcome_last_week", pa.int32()),
     ("n_treatment", pa.int64()), ("n_control", pa.int64())]
    + [(name, pa.float64()) for name in Readout.__dataclass_fields__ if name not in ("n_treatment", "n_control")])

# the readout's columns that a table leaves empty where a group has too few customers
_INFERENCE = ("ci_low", "ci_high", "p_value", "ci_low_cuped", "ci_high_cuped", "p_value_cuped")


def readout_table(readout_sums: pa.Table, readout_shape: pa.Table, outcome_first_week: int,
                  outcome_last_week: int, min_group_customers: int,
                  alpha: float = ALPHA) -> pa.Table:
    """One row per channel and metric: the experiment read out, treatment against control; the
    interval and p-value only where both groups hold min_group_customers."""
    kurtosis = metric_kurtosis(readout_shape)
    rows = []
    for (channel, metric), groups in group_sums(readout_sums).items():
        result = readout(groups["treatment"], groups["control"], alpha,
                         kurtosis[(channel, metric)])
        status = str(group_status(result.n_treatment, result.n_control, min_group_customers)[0])
        fields = {field: float(getattr(result, field)[0]) for field in Readout.__dataclass_fields__}
        if status != OK:
            fields.update(dict.fromkeys(_INFERENCE))
        fields["n_treatment"], fields["n_control"] = (int(fields["n_treatment"]),
                                                      int(fields["n_control"]))
        rows.append({"channel": channel, "metric": metric, "status": status,
                     "outcome_first_week": outcome_first_week,
                     "outcome_last_week": outcome_last_week, **fields})
    return pa.Table.from_pylist(rows, schema=READOUT_SCHEMA)
