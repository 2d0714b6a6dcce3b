"""Is the experiment's readout calibrated on the real customers? A simulation on a built database.

    .venv/bin/python bench/experiment_calibration.py --database recsys.duckdb [--splits 10000]

For every channel and metric, the history period's customers of the build
(int_experiment_metric_values) are split at random into treatment and control (control_share),
``--splits`` times, and read out as experiment_readout reads (recsys.experiment.readout: Welch's
test, plain and with CUPED), in three worlds:

- A/A: nothing changes. A calibrated test rejects in 5 % of the splits.
- spread: the treated customers' outcome moves around the channel's mean, y -> R d + k (y - R d)
  with k = 0.5 and k = 2: the mean stays, the spread halves or doubles. Rejecting is a false
  positive here too.
- uplift: the treated customers' outcome is multiplied by 1 + the build's MDE
  (experiment_power.mde, .mde_cuped: simulated there on the hash's A/A salts). Power 0.8 means
  80 % of these splits reject.

A row holds when the detection rate lies within 80 % +- 3 points and every false-positive rate
at most 5 % + 2 binomial standard errors. The rows whose status is ``ok`` (both groups at least
experiment_min_group_customers) must hold; the script exits with 1 otherwise. A second table
shows why the minimum is what it is: random subsets of the receipt's customers, split the same
way, A/A false-positive rates against the size of the control group.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from recsys.experiment import ALPHA, OK, POWER, Metric, Sums, metric_kurtosis, readout  # noqa: E402

SPREADS = (0.5, 2.0)
DETECTION_TOLERANCE = 0.03
SWEEP_CONTROL_CUSTOMERS = (25, 50, 100, 150, 200)


def project_vars() -> dict:
    return yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]


# the history period's final look: its whole 17 weeks, as experiment_power and experiment_aa read it
HISTORY = """period = 'history'
        and look = (select look from int_experiment_looks where period = 'history' and is_final)"""


def history_kurtosis(con) -> dict:
    return metric_kurtosis(con.execute(
        f"select * from int_experiment_metric_shape where {HISTORY}").to_arrow_table())


def rejection_rates(treatment: Sums, control: Sums, kurtosis: tuple[float, float]) -> np.ndarray:
    """(plain, CUPED) share of the draws with p < alpha."""
    result = readout(treatment, control, ALPHA, kurtosis)
    return np.array([np.mean(p[np.isfinite(p)] < ALPHA)
                     for p in (result.p_value, result.p_value_cuped)])


def calibration_rows(con, share: float, splits: int, rng) -> list[dict]:
    values = con.execute(f"""
        select channel, metric, y, d, x, e
        from int_experiment_metric_values
        where {HISTORY}
        order by channel, metric, user_id
    """).fetchnumpy()
    kurtosis = history_kurtosis(con)
    power = {(row[0], row[1]): row[2:] for row in con.execute(
        "select channel, metric, status, n_control, mde, mde_cuped from experiment_power"
    ).fetchall()}
    rows = []
    for channel, metric in sorted(power):
        status, n_control, mde, mde_cuped = power[(channel, metric)]
        rows_of = (values["channel"] == channel) & (values["metric"] == metric)
        customers = Metric.ratio(*(values[name][rows_of] for name in "ydxe"))
        in_control = rng.random((splits, len(customers.y))) < share
        control = Sums.of_customers(customers, in_control)
        treatment = Sums.of_customers(customers, np.ones((1, len(customers.y)), bool)) - control
        ratio = customers.y.sum() / customers.d.sum()
        shape = kurtosis[(channel, metric)]
        aa = rejection_rates(treatment, control, shape)
        spread = [rejection_rates(treatment.with_outcome(k, (1 - k) * ratio), control, shape)
                  for k in SPREADS]
        detected = (rejection_rates(treatment.with_outcome(1 + mde), control, shape)[0],
                    rejection_rates(treatment.with_outcome(1 + mde_cuped), control, shape)[1])
        for estimate, index, uplift in (("plain", 0, mde), ("CUPED", 1, mde_cuped)):
            rows.append({"channel": channel, "metric": metric, "estimate": estimate,
                         "status": status, "n_control": n_control, "mde": uplift,
                         "detected": detected[index], "aa": aa[index],
                         **{f"spread_{k:g}": rates[index] for k, rates in zip(SPREADS, spread)}})
    return rows


def sweep_rows(con, share: float, splits: int, rng) -> list[dict]:
    """A/A false-positive rates of audiences drawn from the receipt's customers, by size."""
    values = con.execute(f"""
        select metric, y, d, x, e
        from int_experiment_metric_values
        where {HISTORY} and channel = 'receipt'
        order by metric, user_id
    """).fetchnumpy()
    kurtosis = history_kurtosis(con)
    rows = []
    for control_customers in SWEEP_CONTROL_CUSTOMERS:
        audience = round(control_customers / share)
        row = {"control_customers": control_customers, "audience": audience}
        for metric in ("revenue_per_customer", "retention", "average_check"):
            rows_of = values["metric"] == metric
            customers = Metric.ratio(*(values[name][rows_of] for name in "ydxe"))
            n = len(customers.y)
            if audience > n:
                continue
            # a random audience of this size per split (the smallest keys), then its control
            keys = rng.random((splits, n))
            in_audience = keys <= np.partition(keys, audience - 1, axis=1)[:, audience - 1:audience]
            in_control = in_audience & (rng.random((splits, n)) < share)
            control = Sums.of_customers(customers, in_control)
            treatment = Sums.of_customers(customers, in_audience & ~in_control)
            row[metric] = rejection_rates(treatment, control, kurtosis[("receipt", metric)])
        rows.append(row)
    return rows


def percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a built recsys.duckdb")
    parser.add_argument("--splits", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = project_vars()
    share = float(settings["control_share"])
    minimum = int(settings["experiment_min_group_customers"])
    rng = np.random.default_rng(args.seed)
    con = duckdb.connect(args.database, read_only=True)
    rows = calibration_rows(con, share, args.splits, rng)
    sweep = sweep_rows(con, share, args.splits, rng)
    con.close()

    se = np.sqrt(ALPHA * (1 - ALPHA) / args.splits)
    bound = ALPHA + 2 * se
    print(f"{args.splits:,} random splits per channel and metric, control share {share:g}, seed "
          f"{args.seed}. False-positive bound: 5 % + 2 binomial standard errors = "
          f"{percent(bound)}; detection: {percent(POWER)} +- "
          f"{100 * DETECTION_TOLERANCE:.0f} points "
          f"(its binomial standard error {percent(np.sqrt(POWER * (1 - POWER) / args.splits))}). "
          f"status: experiment_power's (both groups at least {minimum} customers).\n")
    print("| channel | metric | estimate | status | control | MDE | detected at MDE | A/A | "
          + " | ".join(f"spread x{k:g}" for k in SPREADS) + " | holds |")
    print("|---|---|---|---|---:|---:|---:|---:|" + "---:|" * len(SPREADS) + "---|")
    failed_ok_rows = 0
    for row in rows:
        holds = (abs(row["detected"] - POWER) <= DETECTION_TOLERANCE and row["aa"] <= bound
                 and all(row[f"spread_{k:g}"] <= bound for k in SPREADS))
        failed_ok_rows += row["status"] == OK and not holds
        print(f"| {row['channel']} | {row['metric'].replace('_', ' ')} | {row['estimate']} | "
              f"{row['status']} | {row['n_control']} | {percent(row['mde'])} | "
              f"{percent(row['detected'])} | {percent(row['aa'])} | "
              + " | ".join(percent(row[f"spread_{k:g}"]) for k in SPREADS)
              + f" | {'yes' if holds else 'no'} |")

    print("\nA/A false-positive rates (plain / CUPED) of audiences drawn at random from the "
          "receipt's customers, by the size of the control group:\n")
    print("| control customers | audience | revenue per customer | retention | average check |")
    print("|---:|---:|---:|---:|---:|")
    for row in sweep:
        cells = [f"{percent(row[m][0])} / {percent(row[m][1])}" if m in row else "-"
                 for m in ("revenue_per_customer", "retention", "average_check")]
        print(f"| {row['control_customers']} | {row['audience']:,} | " + " | ".join(cells) + " |")
    print(f"\nruntime {time.perf_counter() - started:.0f} s")
    return 1 if failed_ok_rows else 0


if __name__ == "__main__":
    sys.exit(main())
