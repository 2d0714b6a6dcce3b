"""Does the weekly readout find an effect that is there, and none that is not? Checked on a replay.

It reads a replayed campaign (`make replay FROM=37 WEEKS=17`, recsys.replay): the audience of its
first recorded send week, frozen as the ledger recorded it, each customer's revenue in each
campaign week and over the pre-period. Then, for many random splits of that audience into
treatment and control at control_share (new draws each run, so each run is an A/A test of the
real customers), it injects a synthetic effect and reads the campaign out every week as
experiment_readout_weekly does (Welch's test with CUPED, the group sequential boundaries):

* the effect: each treated customer's revenue in every send week multiplied by 1 + u. A send
  week's Wednesday and Friday windows cover the whole week, and a multiplicative uplift of the
  treated customers' spend is exactly what experiment_power's MDE promises to detect, so the
  check compares like with like. It changes the outcome tables only, not the features: a run
  costs a few matrix products, and thousands take seconds;
* u = 0: the share of runs whose sequential readout claims an effect at some look (at most
  5 % + 2 binomial standard errors), beside the share a naive reader would claim by acting on
  the first weekly p < 0.05, and the single final look's rate;
* u = the stated MDE (experiment_power.mde_cuped_sequential of the replay, from the weeks before
  the campaign) and u = the MDE computed the same way on the campaign's own weeks: the share of
  runs in which the sequential readout has claimed the effect by the final look (80 % +- 2
  binomial standard errors for the latter; the former also shows how well the weeks before the
  campaign forecast its spread).

    python bench/readout_replay.py --database recsys.duckdb.replay/replay.duckdb [--runs 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
from scipy import stats

from recsys import experiment, weekly_readout
from recsys.experiment import Metric, Sums


def campaign_revenue(con, channel: str) -> tuple[np.ndarray, np.ndarray, int]:
    """The frozen audience's revenue per campaign week (customers x weeks) and over the pre-period."""
    start, = con.execute("select outcome_first_week from int_experiment_periods where period = 'readout'").fetchone()
    weeks, = con.execute("select max(look) from int_experiment_looks where period = 'readout'").fetchone()
    rows = con.execute(f"""
        with audience as (
            select user_id from int_experiment_audience where period = 'readout' and channel = ?
        ),
        grid as (
            select audience.user_id, weeks.look
            from audience cross join range(1, {weeks + 1}) as weeks (look)
        )
        select grid.user_id, grid.look, coalesce(cast(customer_weeks.revenue as double), 0) as revenue,
               pre_period.pre_revenue
        from grid
        left join int_experiment_customer_weeks as customer_weeks
            on grid.user_id = customer_weeks.user_id and customer_weeks.week = {start} + grid.look - 1
        left join int_experiment_pre_period as pre_period
            on grid.user_id = pre_period.user_id and pre_period.period = 'readout'
        order by grid.user_id, grid.look
    """, [channel]).fetchnumpy()
    customers = len(rows["user_id"]) // weeks
    weekly = rows["revenue"].reshape(customers, weeks)
    pre = np.nan_to_num(rows["pre_revenue"].reshape(customers, weeks)[:, 0].astype(float))
    return weekly, pre, weeks


def readouts(weekly: np.ndarray, pre: np.ndarray, control: np.ndarray, uplift: float,
             planned_looks: int) -> tuple[np.ndarray, np.ndarray]:
    """p-values (runs x looks) with CUPED, and the sequential test's claims by each look. Welch's
    degrees of freedom as for normal data (the build's tables correct them for the metric's
    kurtosis; with over 200 customers per group the two differ in the third decimal of p)."""
    looks = weekly.shape[1]
    boosted = np.cumsum(weekly * (1 + uplift), axis=1)
    plain = np.cumsum(weekly, axis=1)
    p_values = np.empty((control.shape[0], looks))
    for look in range(looks):
        treated = Metric.mean(boosted[:, look], pre).term_matrix()
        untreated = Metric.mean(plain[:, look], pre).term_matrix()
        control_sums = Sums(control.astype(float) @ untreated)
        treatment_sums = Sums((~control).astype(float) @ treated)
        p_values[:, look] = experiment.readout(treatment_sums, control_sums).p_value_cuped
    boundaries = np.array(weekly_readout.obrien_fleming_boundaries(planned_looks)[:looks])
    nominal = 2 * stats.norm.sf(boundaries)
    claimed = np.logical_or.accumulate(p_values <= nominal, axis=1)
    return p_values, claimed


def own_mde(weekly: np.ndarray, pre: np.ndarray, control_share: float, planned_looks: int) -> float:
    """The MDE with CUPED at the final look, computed as experiment_power computes it, on the
    campaign's own weeks (every customer of the audience, unsplit)."""
    everyone = experiment.group_moments(Sums.of_customers(Metric.mean(weekly.sum(axis=1), pre),
                                                          np.ones((1, len(pre)), bool)))
    return experiment.minimum_detectable_effect(
        everyone, (0.0, 0.0), control_share, alpha=weekly_readout.final_nominal_alpha(planned_looks))[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--channel", default="receipt")
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--control-share", type=float, default=0.1)
    parser.add_argument("--planned-looks", type=int, default=17)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    con = duckdb.connect(str(args.database), read_only=True)
    try:
        weekly, pre, looks = campaign_revenue(con, args.channel)
        stated, = con.execute("""
            select mde_cuped_sequential from experiment_power
            where channel = ? and metric = 'revenue_per_customer'
        """, [args.channel]).fetchone()
    finally:
        con.close()
    rng = np.random.default_rng(args.seed)
    own = own_mde(weekly, pre, args.control_share, args.planned_looks)
    se = np.sqrt(0.05 * 0.95 / args.runs)
    print(f"{args.channel}: {len(pre):,} customers of the campaign's first week, {looks} weekly looks, "
          f"{args.runs:,} random splits at control share {args.control_share}\n")
    print("| injected uplift u | runs claiming an effect: sequential, by the final look | naive: any weekly p < 0.05 "
          "| the final look alone at p < 0.05 |")
    print("|---|---:|---:|---:|")
    for name, uplift in (("0 (A/A)", 0.0), (f"stated MDE {stated:.1%} (experiment_power, weeks before)", stated),
                         (f"the campaign's own MDE {own:.1%}", own)):
        control = rng.random((args.runs, len(pre))) < args.control_share
        p_values, claimed = readouts(weekly, pre, control, uplift, args.planned_looks)
        sequential = claimed[:, -1].mean()
        naive = (p_values < 0.05).any(axis=1).mean()
        final = (p_values[:, -1] < 0.05).mean()
        print(f"| {name} | {sequential:.1%} | {naive:.1%} | {final:.1%} |")
    print(f"\nBinomial standard error at 5 %: {se:.2%} (bound 5 % + 2 SE = {0.05 + 2 * se:.1%}); at 80 %: "
          f"{np.sqrt(0.8 * 0.2 / args.runs):.2%}. Took {time.perf_counter() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
