"""`make replay`: play the weekly campaign on past data, week by week, into a ledger of its own.

For each send week W from ``--from-week`` on, it builds the production path (the dbt selector
``production``, no backtest folds) on the data up to week W - 1, as the build of that week would
have seen it, and records the week's sends in the replay's ledger, so that the next week's sends
leave out what this week sent. It ends with the responses (``send_responses``,
``campaign_weekly``) and the experiment's readouts over all the weeks, on all the data, and
prints the weekly figures.

Everything lives in one folder of its own (``<database>.replay/``; ``--folder`` names another):
the replay's database ``replay.duckdb`` and, beside it as beside any database, its ledger,
exports and report. The live database and ledger are never touched.

    python -m recsys.replay --from-week 37 --weeks 17 [--novelty-weeks N] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import duckdb

from recsys import build, ledger, paths, report
from recsys.processes import run_child, stop_with_parent

REPLAY_MARKER = ".recsys-replay"
# The models a week's data does not change (the promotion calendar is planned ahead and read whole):
# the first week builds them, the later weeks keep them.
WEEK_INVARIANT = ["stg_promotions"]
# What the replay builds once the weeks are recorded: the responses over every recorded week,
# and the experiment read out on them.
RESPONSES = ["+send_responses", "+campaign_weekly", "+experiment_readout", "+experiment_readout_weekly",
             "+experiment_power", "+experiment_power_weekly", "+experiment_goal", "+experiment_aa"]


def replay_folder(database: Path) -> Path:
    return paths.beside(database, "replay")


def dbt(folder: Path, args: list[str], variables: dict) -> int:
    """Plain dbt against the replay's database (its ledger and exports beside it)."""
    database = folder / "replay.duckdb"
    env = build.dbt_environment(database, RECSYS_DB=str(database), RECSYS_LEDGER=str(paths.ledger_path(database)),
                                RECSYS_EXPORTS=str(paths.beside(database, "exports")))
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--vars", json.dumps(variables)]
    return run_child(command, env)


def replay(folder: Path, from_week: int, weeks: int, variables: dict) -> list[tuple[int, float]]:
    """Build and record each week; return (send week, seconds) of every week."""
    database = folder / "replay.duckdb"
    timings = []
    for send_week in range(from_week, from_week + weeks):
        started = time.perf_counter()
        week_vars = {**variables, "last_data_week": send_week - 1, "backtest_folds": 0}
        keep = ["--exclude", *WEEK_INVARIANT] if send_week > from_week else []
        if dbt(folder, ["build", "--selector", "production", *keep], week_vars) != 0:
            raise ReplayError(f"the build of send week {send_week} failed (see the lines above)")
        message = ledger.record(paths.ledger_path(database), ledger.read_week(database))
        seconds = time.perf_counter() - started
        timings.append((send_week, seconds))
        print(f"{message} ({seconds:.1f} s)", flush=True)
    # cautious: the tests of the responses only, not those of the week-50 tables beside them
    if dbt(folder, ["build", "--select", *RESPONSES, "--indirect-selection", "cautious"], variables) != 0:
        raise ReplayError("the build of the responses failed (see the lines above)")
    return timings


class ReplayError(Exception):
    """The replay stopped; the message says where."""


def weekly_table(database: Path) -> str:
    """campaign_weekly as a markdown table, one line per send week: each channel's hit rate
    (recipients who bought one of their items in the send's window) and recipients, the largest
    repeat share of any channel, and the receipt audience's revenue per customer by group."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        rows = con.execute("""
            select
                send_week,
                max(hit_rate) filter (where channel = 'email' and experiment_group = 'treatment'),
                max(recipients) filter (where channel = 'email' and experiment_group = 'treatment'),
                max(hit_rate) filter (where channel = 'push' and experiment_group = 'treatment'),
                max(recipients) filter (where channel = 'push' and experiment_group = 'treatment'),
                max(hit_rate) filter (where channel = 'receipt' and experiment_group = 'treatment'),
                max(recipients) filter (where channel = 'receipt' and experiment_group = 'treatment'),
                max(repeat_share),
                max(revenue_per_customer) filter (where channel = 'receipt' and experiment_group = 'treatment'),
                max(revenue_per_customer) filter (where channel = 'receipt' and experiment_group = 'control')
            from campaign_weekly
            group by send_week
            order by send_week
        """).fetchall()
    finally:
        con.close()
    lines = ["| send week | e-mail hit rate (recipients) | push | receipt | repeat share "
             "| receipt revenue per customer, treatment / control |",
             "|---:|---:|---:|---:|---:|---:|"]

    def rate(hit, recipients):
        return "-" if hit is None else f"{hit:.3f} ({recipients:,})"

    def number(value, digits):
        return "-" if value is None else f"{value:.{digits}f}"

    for week, email, n_email, push, n_push, receipt, n_receipt, repeat, treated, control in rows:
        lines.append(f"| {week} | {rate(email, n_email)} | {rate(push, n_push)} | {rate(receipt, n_receipt)} "
                     f"| {number(repeat, 3)} | {number(treated, 2)} / {number(control, 2)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    stop_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-week", type=int, required=True, help="the first send week to replay")
    parser.add_argument("--weeks", type=int, required=True, help="how many weeks to replay")
    parser.add_argument("--novelty-weeks", type=int, default=None,
                        help="the var novelty_weeks (default: dbt_project.yml's)")
    parser.add_argument("--data-dir", default=os.environ.get("DATA_DIR") or None)
    parser.add_argument("--folder", type=Path, default=None,
                        help="the replay's folder (default: <database>.replay beside the database)")
    args = parser.parse_args(argv)
    folder = args.folder or replay_folder(paths.database_path())
    variables = {}
    if args.data_dir:
        variables["data_dir"] = str(Path(args.data_dir).resolve())
    if args.novelty_weeks is not None:
        variables["novelty_weeks"] = args.novelty_weeks
    try:
        problem = paths.folder_problem(folder, REPLAY_MARKER, "")
        if problem:
            raise paths.OutputError(problem)
        source = build.check_data(args.data_dir, [])
        # the lock lies beside the folder, which a new replay replaces
        with build.database_lock(folder):
            # a new replay starts from nothing: the folder is the replay's own (it holds the marker)
            if folder.exists():
                shutil.rmtree(folder)
            paths.claim_folder(folder, REPLAY_MARKER, "")
            started = time.perf_counter()
            replay(folder, args.from_week, args.weeks, variables)
            seconds = time.perf_counter() - started
            report.main(["--database", str(folder / "replay.duckdb")])
    except (paths.OutputError, ledger.LedgerError, ReplayError, build.BuildLocked,
            build.sources.DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return build.BAD_INPUT_EXIT
    print(weekly_table(folder / "replay.duckdb"))
    print(f"replayed send weeks {args.from_week}-{args.from_week + args.weeks - 1} from {source.folder} "
          f"in {seconds:.1f} s into {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
