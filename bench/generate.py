"""Multiply the embedded Complete Journey data N times into a parquet data folder.

    python bench/generate.py N OUT_DIR

Copy k (0 .. N-1) of every transaction line gets new household and basket ids,
``id + k * offset``, where each offset is the smallest power of ten above the largest id, so the
copies never collide and an id still shows the household it came from (household 2500 of copy 3
is 32500). Products and the promotion calendar are written once: every copy shops in the same
stores from the same catalogue in the same weeks.

The folder has the layout that ``recsys.sources`` reads (``transactions.parquet``,
``products.parquet``, ``promotions.parquet``, same columns as the embedded files), so
``python -m recsys.build --data-dir OUT_DIR`` builds on it. One DuckDB ``COPY`` with a
``range(N)`` cross join streams the lines from parquet to parquet: memory stays flat whatever N.

A marker file records N and the embedded file sizes; a folder that already holds the same data is
left alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

from recsys.sources import embedded_data_dir

MARKER = "bench_copies.json"
TABLES = ("transactions", "products", "promotions")


def _sql_string(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _offset_above(largest: int) -> int:
    """The smallest power of ten strictly above ``largest``."""
    offset = 10
    while offset <= largest:
        offset *= 10
    return offset


def _wanted_marker(copies: int, source: Path) -> dict:
    return {
        "copies": copies,
        "source": str(source),
        "source_bytes": {name: (source / f"{name}.parquet").stat().st_size for name in TABLES},
    }


def is_current(copies: int, out_dir: Path, source: Path | None = None) -> bool:
    """True when ``out_dir`` already holds ``copies`` copies of the embedded data."""
    source = source or embedded_data_dir()
    marker = out_dir / MARKER
    if not marker.is_file() or not all((out_dir / f"{name}.parquet").is_file() for name in TABLES):
        return False
    try:
        return json.loads(marker.read_text()) == _wanted_marker(copies, source)
    except json.JSONDecodeError:
        return False


def generate(copies: int, out_dir: Path, source: Path | None = None) -> dict:
    """Write the ``copies``-fold data into ``out_dir``; return what was written."""
    if copies < 1:
        raise ValueError(f"the number of copies must be at least 1, not {copies}")
    source = source or embedded_data_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    # A half-written folder must not pass for a finished one.
    (out_dir / MARKER).unlink(missing_ok=True)

    transactions = source / "transactions.parquet"
    con = duckdb.connect()
    # Order is meaningless for the copies; keeping it would make the COPY buffer rows.
    con.execute("set preserve_insertion_order = false")
    max_household, max_basket = con.execute(
        f"select max(household_id), max(basket_id) from read_parquet({_sql_string(transactions)})"
    ).fetchall()[0]
    household_offset = _offset_above(max_household)
    basket_offset = _offset_above(max_basket)
    if basket_offset * copies > 2**62:
        raise ValueError(f"{copies} copies would overflow the 64-bit basket ids")

    started = time.perf_counter()
    target = out_dir / "transactions.parquet"
    con.execute(f"""
        copy (
            select
                lines.household_id + copy_number.k * {household_offset} as household_id,
                lines.store_id,
                lines.basket_id + copy_number.k * {basket_offset} as basket_id,
                lines.product_id,
                lines.quantity,
                lines.sales_value,
                lines.retail_disc,
                lines.coupon_disc,
                lines.coupon_match_disc,
                lines.week,
                lines.transaction_timestamp
            from read_parquet({_sql_string(transactions)}) as lines
            cross join (select range as k from range({copies})) as copy_number
        ) to {_sql_string(target)} (format parquet, compression zstd)
    """)
    for name in ("products", "promotions"):
        con.execute(f"""
            copy (select * from read_parquet({_sql_string(source / f'{name}.parquet')}))
            to {_sql_string(out_dir / f'{name}.parquet')} (format parquet, compression zstd)
        """)
    lines = con.execute(f"select count(*) from read_parquet({_sql_string(target)})").fetchall()[0][0]
    seconds = time.perf_counter() - started

    (out_dir / MARKER).write_text(json.dumps(_wanted_marker(copies, source), indent=2) + "\n")
    return {"copies": copies, "lines": lines, "seconds": seconds,
            "household_offset": household_offset, "basket_offset": basket_offset}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("copies", type=int, help="how many copies of the embedded data (N >= 1)")
    parser.add_argument("out_dir", type=Path, help="folder to write the parquet files into")
    parser.add_argument("--force", action="store_true", help="regenerate even if the folder is current")
    args = parser.parse_args(argv)
    if args.copies < 1:
        parser.error(f"N must be at least 1, not {args.copies}")
    if not args.force and is_current(args.copies, args.out_dir):
        print(f"{args.out_dir}: already holds {args.copies}x the embedded data; nothing to do")
        return 0
    written = generate(args.copies, args.out_dir)
    print(f"{args.out_dir}: {written['lines']:,} transaction lines ({args.copies}x) "
          f"in {written['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
