"""Checks for an experiment read out every week: sequential looks, sample ratio, many metrics.

Pure functions over group sums (recsys.experiment.Sums) and p-values, for a weekly readout fed
from a campaign ledger:

- :func:`sequential_readout`: looking every week and stopping at the first significant look
  would claim an effect far more often than alpha (17 looks at p < 0.05 each: about a quarter of
  the experiments without any effect). A group sequential test spends alpha over the planned
  looks instead, so that stopping at the first look that crosses its boundary keeps the
  false-positive rate at alpha.
- :func:`sample_ratio_mismatch`: a control group far from its planned share means that the
  assignment or the logging is broken, and no readout of it can be trusted.
- :func:`holm`: the secondary metrics are a family; Holm's step-down keeps the chance of any
  false claim among them at alpha.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import optimize, special, stats

from recsys import experiment

# Below this p-value the control group's size is a sample ratio mismatch: the threshold of
# Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments" (KDD 2019),
# strict because the check runs on every experiment and every look.
SRM_THRESHOLD = 0.001


def obrien_fleming_spending(fractions, alpha: float = experiment.ALPHA) -> np.ndarray:
    """Cumulative two-sided alpha spent at information fractions t in (0, 1]: Lan and DeMets'
    O'Brien-Fleming-type function 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t))."""
    fractions = np.asarray(fractions, dtype=float)
    # 2 Phi(-z), not 2 - 2 Phi(z): exact far in the tail, where the first looks spend 1e-16
    return 2 * stats.norm.sf(stats.norm.isf(alpha / 2) / np.sqrt(fractions))


@functools.lru_cache(maxsize=16)
def obrien_fleming_boundaries(planned_looks: int, alpha: float = experiment.ALPHA,
                              cells: int = 500) -> tuple[float, ...]:
    """The two-sided boundaries |Z_k| >= c_k of a group sequential test with planned_looks
    equally spaced looks and Lan-DeMets O'Brien-Fleming spending: the probability, without any
    effect, of crossing first at look k is the alpha spent between looks k - 1 and k.

    Computed by recursive numerical integration (Jennison and Turnbull, "Group Sequential
    Methods with Applications to Clinical Trials", 2000, chapter 19): the probability mass of
    Z_k on the continuation region (-c_k, c_k), on a grid of cells, carried to the next look
    through Z_{k+1} | Z_k = u ~ N(u sqrt(k / (k+1)), 1 / (k+1)), the law of cumulative statistics
    with equal increments of information.
    """
    spent = obrien_fleming_spending(np.arange(1, planned_looks + 1) / planned_looks, alpha)
    increments = np.diff(spent, prepend=0.0)
    boundary = float(stats.norm.isf(increments[0] / 2))
    boundaries = [boundary]
    edges = np.linspace(-boundary, boundary, cells + 1)
    mass = np.diff(special.ndtr(edges))
    centres = (edges[1:] + edges[:-1]) / 2
    for look in range(2, planned_looks + 1):
        mean = centres * np.sqrt((look - 1) / look)
        sd = np.sqrt(1 / look)

        def crossing(c):
            return float(mass @ (special.ndtr((-c - mean) / sd) + special.ndtr((mean - c) / sd)))

        boundary = float(optimize.brentq(lambda c: crossing(c) - increments[look - 1],
                                         1e-9, 50.0, xtol=1e-10))
        boundaries.append(boundary)
        edges = np.linspace(-boundary, boundary, cells + 1)
        mass = mass @ np.diff(special.ndtr((edges[None, :] - mean[:, None]) / sd), axis=1)
        centres = (edges[1:] + edges[:-1]) / 2
    return tuple(boundaries)


def final_nominal_alpha(planned_looks: int, alpha: float = experiment.ALPHA) -> float:
    """The two-sided nominal level of the last planned look: what a campaign read every week
    tests at in the end (for 17 looks a little below alpha)."""
    return float(2 * stats.norm.sf(obrien_fleming_boundaries(planned_looks, alpha)[-1]))


@dataclass(frozen=True)
class SequentialLooks:
    """Per look (1, 2, ...): the effect, the naive p-value (the fixed-horizon readout, valid only
    for a single look), the look's nominal level (its boundary as a p-value), whether the look
    crosses it, and the decision: an effect is claimed once any look up to this one crossed."""

    look: np.ndarray
    effect: np.ndarray
    p_value: np.ndarray
    nominal_alpha: np.ndarray
    significant: np.ndarray
    effect_claimed: np.ndarray


def sequential_readout(treatment: experiment.Sums, control: experiment.Sums,
                       planned_looks: int = 17, alpha: float = experiment.ALPHA,
                       cuped: bool = True, kurtosis=(0.0, 0.0)) -> SequentialLooks:
    """The weekly looks of an experiment as a group sequential test.

    ``treatment`` and ``control`` hold one row per look so far: the groups' sums of the metric
    cumulated up to that look (revenue to date, baskets to date, ...). Each look is read out as
    recsys.experiment.readout reads (Welch, CUPED by default) and compared with the boundary of
    a group sequential test with alpha spending: Lan and DeMets, "Discrete sequential boundaries
    for clinical trials" (Biometrika 1983), with their O'Brien-Fleming-type spending function,
    equally spaced looks (t_k = k / planned_looks). This is the method of Spotify's
    experimentation platform (Confidence, "What is a Group Sequential Test?",
    https://confidence.spotify.com/glossary/group-sequential-test; Schultzberg and Ankargren,
    "Choosing a Sequential Testing Framework", engineering.atspotify.com, 2023), which chose it
    over always-valid inference (mSPRT) for its power when the number of looks is planned.

    The boundaries assume looks whose increments are independent. Cumulative metrics of a fixed
    audience are more correlated from look to look than that (a customer who spends keeps
    spending), which makes the test conservative, never liberal; a metric over a sliding window
    (retention over the latest 4 weeks) is less correlated and does not fit.
    """
    result = experiment.readout(treatment, control, alpha, kurtosis)
    looks = len(result.p_value)
    if looks > planned_looks:
        raise ValueError(f"{looks} looks, but {planned_looks} were planned: the alpha is spent")
    boundaries = np.asarray(obrien_fleming_boundaries(planned_looks, alpha)[:looks])
    nominal_alpha = 2 * stats.norm.sf(boundaries)
    p_value = result.p_value_cuped if cuped else result.p_value
    significant = p_value <= nominal_alpha
    return SequentialLooks(np.arange(1, looks + 1),
                           result.effect_cuped if cuped else result.effect, p_value,
                           nominal_alpha, significant, np.logical_or.accumulate(significant))


@dataclass(frozen=True)
class SampleRatio:
    """Chi-square goodness of fit of the group sizes to the planned control share."""

    chi_square: np.ndarray
    p_value: np.ndarray
    mismatch: np.ndarray  # p_value < threshold


def sample_ratio_mismatch(n_control, n_treatment, control_share: float,
                          threshold: float = SRM_THRESHOLD) -> SampleRatio:
    """Whether the control group's size departs from control_share of all customers by more
    than chance: Pearson's chi-square over the two groups (one degree of freedom)."""
    observed = np.stack([np.asarray(n_control, dtype=float), np.asarray(n_treatment, dtype=float)])
    expected = observed.sum(axis=0) * np.array([control_share, 1 - control_share]).reshape(
        (2,) + (1,) * (observed.ndim - 1))
    chi_square = ((observed - expected) ** 2 / expected).sum(axis=0)
    p_value = stats.chi2.sf(chi_square, df=1)
    return SampleRatio(chi_square, p_value, p_value < threshold)


def holm(p_values, alpha: float = experiment.ALPHA) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down adjusted p-values and rejections (Holm, "A Simple Sequentially Rejective
    Multiple Test Procedure", 1979): the i-th smallest of m p-values is multiplied by m - i + 1,
    and the adjusted values are made non-decreasing in that order. A hypothesis is rejected when
    its adjusted p-value is at most alpha. NaN p-values (a metric without a readout) stay NaN and
    do not count in the family."""
    p_values = np.asarray(p_values, dtype=float)
    adjusted = np.full_like(p_values, np.nan)
    finite = np.flatnonzero(np.isfinite(p_values))
    order = finite[np.argsort(p_values[finite], kind="stable")]
    multipliers = len(order) - np.arange(len(order))
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(multipliers * p_values[order]))
    return adjusted, adjusted <= alpha


# ---------------------------------------------------------------------------------------------
# The campaign's readout tables (experiment_readout, experiment_readout_weekly): the readout of
# every look, with the checks a trustworthy platform runs beside it.

NO_CAMPAIGN = "no campaign recorded"
NO_DATA_YET = "no recorded week with data yet"
ROLES = ("primary", "secondary", "guardrail")


def plan_roles(plan: pa.Table) -> dict[tuple[str, str], str]:
    """The seed experiment_plan as {(channel, metric): role}; one primary metric per channel."""
    roles = dict(zip(zip(plan.column("channel").to_pylist(), plan.column("metric").to_pylist()),
                     plan.column("role").to_pylist()))
    unknown = sorted(set(roles.values()) - set(ROLES))
    if unknown:
        raise ValueError(f"seed experiment_plan: unknown role {', '.join(unknown)}; known: {', '.join(ROLES)}")
    for channel in {channel for channel, _ in roles}:
        primaries = [metric for (named, metric), role in roles.items() if named == channel and role == "primary"]
        if len(primaries) != 1:
            raise ValueError(f"seed experiment_plan: channel {channel} has {len(primaries)} primary metrics, "
                             "not one")
    return roles


def with_checks(rows: list[dict], roles: dict[tuple[str, str], str], control_share: float,
                alpha: float = experiment.ALPHA) -> list[dict]:
    """The readout rows of one or more looks (a look column, or none for one look) with the
    metric's role, the channel's sample-ratio check (the same customers for every metric), the
    Holm-adjusted p-value of the secondary metrics (a family per channel and look; the primary
    metric is read on its own p-value), and whether a guardrail's interval lies wholly below 0."""
    checked = []
    by_look_channel: dict[tuple, list[dict]] = {}
    for row in rows:
        by_look_channel.setdefault((row.get("look"), row["channel"]), []).append(row)
    for (_, channel), family in by_look_channel.items():
        first = family[0]
        srm = (sample_ratio_mismatch(first["n_control"], first["n_treatment"], control_share)
               if first["n_control"] is not None else None)
        secondary = [row for row in family if roles.get((channel, row["metric"])) == "secondary"]
        adjusted, _ = holm([np.nan if row["p_value_cuped"] is None else row["p_value_cuped"]
                            for row in secondary], alpha)
        holm_by_metric = dict(zip((row["metric"] for row in secondary), adjusted))
        for row in family:
            role = roles.get((channel, row["metric"]))
            p_value = holm_by_metric.get(row["metric"], row["p_value_cuped"] if role == "primary" else None)
            high = row["ci_high_cuped"]
            checked.append({
                **row, "role": role,
                "srm_p_value": None if srm is None else float(srm.p_value),
                "srm_mismatch": None if srm is None else bool(srm.mismatch),
                "p_value_holm": None if p_value is None or np.isnan(p_value) else float(p_value),
                "guardrail_breached": (bool(high < 0) if role == "guardrail" and high is not None else None),
            })
    return checked


def weekly_table(sums: pa.Table, shape: pa.Table, looks: pa.Table, plan: pa.Table, control_share: float,
                 min_group_customers: int, planned_looks: int, started: bool,
                 alpha: float = experiment.ALPHA) -> pa.Table:
    """experiment_readout_weekly: one row per look, channel and metric of the campaign (the
    readout period's looks; int_experiment_group_sums and _metric_shape of that period): the
    effect with CUPED, the naive p-value (a single look's), the group sequential test's nominal
    level and decision, and the checks of :func:`with_checks`. Without a look, one row per channel
    and metric of the plan with the status ``no campaign recorded`` (nothing in the ledger) or
    ``no recorded week with data yet`` (``started``: the data ends before the first send week)."""
    roles = plan_roles(plan)
    weeks = dict(zip(looks.column("look").to_pylist(), looks.column("outcome_data_last_week").to_pylist()))
    rows = []
    # each look's sums as experiment.group_sums reads one period's: a group without customers
    # (a small audience's control) as zeros
    by_look = {look: experiment.group_sums(sums.filter(pc.field("look") == look))
               for look in sorted(set(sums.column("look").to_pylist()))}
    # the metrics' excess kurtosis (plain, CUPED residual), once per look for every channel and metric
    kurtosis_by_look = {look: experiment.metric_kurtosis(shape.filter(pc.field("look") == look))
                        for look in by_look}
    for channel, metric in sorted({key for groups in by_look.values() for key in groups}):
        look_numbers = [look for look, groups in by_look.items() if (channel, metric) in groups]
        treatment, control = (experiment.Sums(np.vstack([by_look[look][(channel, metric)][group].values
                                                         for look in look_numbers]))
                              for group in ("treatment", "control"))
        kurtosis = tuple(np.array([kurtosis_by_look[look][(channel, metric)][part] for look in look_numbers])
                         for part in (0, 1))
        sequential = sequential_readout(treatment, control, planned_looks, alpha, kurtosis=kurtosis)
        n_treatment, n_control = treatment["n"], control["n"]
        status = experiment.group_status(n_treatment, n_control, min_group_customers)
        for index, look in enumerate(look_numbers):
            ok = status[index] == experiment.OK

            def inferred(value):
                return float(value) if ok and np.isfinite(value) else None

            rows.append({
                "look": int(look), "send_week": int(weeks[int(look)]), "channel": channel,
                "metric": metric, "status": str(status[index]),
                "n_treatment": int(n_treatment[index]), "n_control": int(n_control[index]),
                "effect_cuped": float(sequential.effect[index]),
                "p_value_cuped": inferred(sequential.p_value[index]),
                "nominal_alpha": float(sequential.nominal_alpha[index]),
                "significant": bool(sequential.significant[index]) if ok else None,
                "effect_claimed": bool(sequential.effect_claimed[index]) if ok else None,
                "ci_high_cuped": None,
            })
    if not rows:
        rows = [{"look": None, "send_week": None, "channel": channel, "metric": metric,
                 "status": NO_DATA_YET if started else NO_CAMPAIGN,
                 "n_treatment": None, "n_control": None, "effect_cuped": None, "p_value_cuped": None,
                 "nominal_alpha": None, "significant": None, "effect_claimed": None, "ci_high_cuped": None}
                for channel, metric in sorted(roles)]
    checked = with_checks(rows, roles, control_share, alpha)
    for row in checked:
        del row["ci_high_cuped"], row["guardrail_breached"]
    return pa.Table.from_pylist(checked, schema=WEEKLY_SCHEMA)


WEEKLY_SCHEMA = pa.schema([
    ("look", pa.int32()), ("send_week", pa.int32()), ("channel", pa.string()), ("metric", pa.string()),
    ("status", pa.string()), ("n_treatment", pa.int64()), ("n_control", pa.int64()),
    ("effect_cuped", pa.float64()), ("p_value_cuped", pa.float64()), ("nominal_alpha", pa.float64()),
    ("significant", pa.bool_()), ("effect_claimed", pa.bool_()), ("role", pa.string()),
    ("srm_p_value", pa.float64()), ("srm_mismatch", pa.bool_()), ("p_value_holm", pa.float64()),
])


def final_table(sums: pa.Table, shape: pa.Table, plan: pa.Table, outcome_first_week: int | None,
                outcome_last_week: int | None, control_share: float, min_group_customers: int,
                started: bool, alpha: float = experiment.ALPHA) -> pa.Table:
    """experiment_readout: the campaign read out at its latest look (recsys.experiment's
    readout_table on that look's sums), with the checks of :func:`with_checks`. Without a look,
    one row per channel and metric of the plan with its status, as in :func:`weekly_table`."""
    roles = plan_roles(plan)
    if sums.num_rows:
        rows = experiment.readout_table(sums, shape, outcome_first_week, outcome_last_week,
                                        min_group_customers, alpha).to_pylist()
    else:
        empty = dict.fromkeys(experiment.READOUT_SCHEMA.names)
        rows = [{**empty, "channel": channel, "metric": metric,
                 "status": NO_DATA_YET if started else NO_CAMPAIGN} for channel, metric in sorted(roles)]
    checked = with_checks(rows, roles, control_share, alpha)
    schema = experiment.READOUT_SCHEMA
    for name, kind in (("role", pa.string()), ("srm_p_value", pa.float64()), ("srm_mismatch", pa.bool_()),
                       ("p_value_holm", pa.float64()), ("guardrail_breached", pa.bool_())):
        schema = schema.append(pa.field(name, kind))
    return pa.Table.from_pylist(checked, schema=schema)
