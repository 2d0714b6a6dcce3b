"""The novelty trade-off: how much the weekly sends repeat, and how well they hit, by novelty_weeks.

For each value of novelty_weeks it replays the campaign (recsys.replay) over the send weeks from
--from-week to --to-week into a folder of its own, then reads from the replay's database:

* the week-over-week repeat share: of the (customer, item) pairs sent in a week, the share the
  customer was also sent the week before, on any channel (campaign_weekly's definition, pooled
  over the channels and over the weeks after the first);
* the precision@5 and money precision@5 of the sends of the backtest folds' send weeks (48 and
  51 on the embedded data: the weeks after the cutoffs 47 and 50), as metrics_by_send counts
  them: among the send's recipients who bought anything in its window, the share of the five
  items bought in the window, and the share of the five items' prices.

    python bench/novelty.py --from-week 44 --to-week 51 --values 0 1 2 4 [--folder DIR]

It prints a markdown table; `--report-only` reads replays made before.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]

SEND_METRICS = """
    with windows as (
        select distinct send_id, send_week, send_date, window_end_date from stg_ledger_sends
    ),
    window_buyers as (
        select distinct windows.send_id, transactions.user_id
        from windows
        inner join stg_transactions as transactions on transactions.week >= windows.send_week
        inner join int_days as days on transactions.day = days.day
        where case when windows.send_date is null then transactions.week = windows.send_week
                   else days.purchase_date >= windows.send_date and days.purchase_date < windows.window_end_date end
    ),
    lists as (
        select send_responses.send_week, send_responses.send_id, send_responses.user_id,
               count(*) filter (where bought) as hits,
               coalesce(sum(price) filter (where bought), 0) / sum(price) as money_precision
        from send_responses
        group by all
    )
    select lists.send_week, count(*) as evaluated, avg(lists.hits / 5) as precision,
           avg(lists.money_precision) as money_precision
    from lists
    inner join window_buyers
        on lists.send_id = window_buyers.send_id and lists.user_id = window_buyers.user_id
    where lists.send_week in ({weeks})
    group by lists.send_week
    order by lists.send_week
"""

REPEATS = """
    select sum(repeat_share * recipients) / sum(recipients)
    from campaign_weekly
    where experiment_group = 'treatment' and repeat_share is not null
"""


def replay(folder: Path, from_week: int, to_week: int, novelty_weeks: int) -> None:
    command = [sys.executable, "-m", "recsys.replay", "--from-week", str(from_week),
               "--weeks", str(to_week - from_week + 1), "--novelty-weeks", str(novelty_weeks),
               "--folder", str(folder)]
    subprocess.run(command, cwd=REPO, check=True, env={**os.environ, "RECSYS_DB": str(folder) + ".duckdb"})


def figures(folder: Path, fold_weeks: list[int]) -> tuple[float, list[tuple]]:
    con = duckdb.connect(str(folder / "replay.duckdb"), read_only=True)
    try:
        (repeat_share,) = con.execute(REPEATS).fetchone()
        per_fold = con.execute(SEND_METRICS.format(weeks=", ".join(map(str, fold_weeks)))).fetchall()
    finally:
        con.close()
    return repeat_share, per_fold


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-week", type=int, default=44)
    parser.add_argument("--to-week", type=int, default=51)
    parser.add_argument("--values", type=int, nargs="+", default=[0, 1, 2, 4])
    parser.add_argument("--fold-weeks", type=int, nargs="+", default=[48, 51])
    parser.add_argument("--folder", type=Path, default=REPO / "bench" / "runs" / "novelty")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args()
    rows = []
    for value in args.values:
        folder = args.folder / f"novelty_{value}"
        if not args.report_only:
            folder.parent.mkdir(parents=True, exist_ok=True)
            replay(folder, args.from_week, args.to_week, value)
        repeat_share, per_fold = figures(folder, args.fold_weeks)
        rows.append((value, repeat_share, per_fold))
    print(f"Replayed send weeks {args.from_week}-{args.to_week}; folds are send weeks "
          f"{', '.join(map(str, args.fold_weeks))}.\n")
    print("| novelty_weeks | repeat share | " + " | ".join(
        f"week {week}: precision@5 / money precision@5 (evaluated)" for week in args.fold_weeks) + " |")
    print("|---:|---:|" + "---|" * len(args.fold_weeks))
    for value, repeat_share, per_fold in rows:
        cells = [f"{precision:.4f} / {money:.4f} ({evaluated:,})" for _, evaluated, precision, money in per_fold]
        print(f"| {value} | {repeat_share:.3f} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
