"""A small, realistic sample of the embedded Complete Journey data, written in either raw layout.

Tests need data that looks like the real thing (real baskets, real prices, real promotion weeks,
the dirt that real data has) but builds in seconds. The sample is:

* ``households`` households (default 60) with every line they bought, chosen by a fixed integer
  hash of the household id among those who bought both before week 40 and in weeks 50..53, so
  that backtests and the production cutoff both have customers with a history;
* every product those lines touch, plus ``other_products`` products (default 300) that nobody in
  the sample bought, so that "never bought" and catalogue joins see unsold products;
* the promotion calendar rows of those products in the three stores where the sample shops most
  (all stores would be 5 M rows; three keep the calendar realistic and small);
* dirt: the sample's own zero-quantity lines, lines of products missing from the product file and
  fuel lines (real data has all three, see :func:`sample_counts`), plus one exact duplicate of a
  line, which the real data lacks.

The selection uses only the data and integer arithmetic, so the same data gives the same sample
on every machine. Both writers write the same rows: a build on either layout must give the same
staging tables. Support for the tests (conftest.py) and bench/notebook.py, not part of the package.

    write_parquet_layout(folder)               transactions/products/promotions.parquet
    write_csv_layout(folder, with_causal=True) retail_train.csv, product.csv, causal_data.csv
    make_bad_csv_case(case, good, folder)      a copy of a CSV folder with one known defect
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys import sources

HOUSEHOLDS = 60
OTHER_PRODUCTS = 300
PROMOTION_STORES = 3

# Knuth's multiplicative hash: a fixed, well-spread order of the ids that does not depend on the
# DuckDB version (its hash() may change between releases).
_ORDER_BY_HASH = "({column} * 2654435761) % 4294967296, {column}"

# The course's headers, in the course's column order (household_key is lower-case there too).
CSV_TRANSACTIONS_HEADER = ("household_key", "BASKET_ID", "DAY", "PRODUCT_ID", "QUANTITY",
                           "SALES_VALUE", "STORE_ID", "RETAIL_DISC", "TRANS_TIME", "WEEK_NO",
                           "COUPON_DISC", "COUPON_MATCH_DISC")
CSV_PRODUCTS_HEADER = ("PRODUCT_ID", "MANUFACTURER", "DEPARTMENT", "BRAND", "COMMODITY_DESC",
                       "SUB_COMMODITY_DESC", "CURR_SIZE_OF_PRODUCT")
CSV_PROMOTIONS_HEADER = ("PRODUCT_ID", "STORE_ID", "WEEK_NO", "display", "mailer")


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def sample_connection(households: int = HOUSEHOLDS, other_products: int = OTHER_PRODUCTS,
                      source_dir: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the sample as tables ``sample_transactions``,
    ``sample_products`` and ``sample_promotions``, in the parquet layout's columns and types."""
    data = Path(source_dir) if source_dir else sources.embedded_data_dir()
    con = duckdb.connect()
    for name in ("transactions", "products", "promotions"):
        con.execute(f"create view source_{name} as "
                    f"select * from read_parquet({_quoted(data / (name + '.parquet'))})")

    con.execute(f"""
        create table sample_households as
        select source_transactions.household_id
        from source_transactions
        group by source_transactions.household_id
        -- a history before the backtest and purchases in the last weeks
        having count(*) filter (where source_transactions.week <= 39) > 0
            and count(*) filter (where source_transactions.week >= 50) > 0
        order by {_ORDER_BY_HASH.format(column='source_transactions.household_id')}
        limit {int(households)}
    """)

    # The one line duplicated on purpose is the sample's first line in a fixed order.
    con.execute("""
        create table sample_transactions as
        with household_lines as (

            select source_transactions.*
            from source_transactions
            semi join sample_households
                on source_transactions.household_id = sample_households.household_id

        ),

        duplicated_line as (

            select *
            from household_lines
            order by household_id, basket_id, product_id, transaction_timestamp
            limit 1

        )

        select * from household_lines
        union all
        select * from duplicated_line
    """)

    con.execute(f"""
        create table sample_products as
        with bought_products as (

            select source_products.*
            from source_products
            semi join sample_transactions
                on source_products.product_id = sample_transactions.product_id

        ),

        unsold_products as (

            select source_products.*
            from source_products
            anti join sample_transactions
                on source_products.product_id = sample_transactions.product_id
            order by {_ORDER_BY_HASH.format(column='source_products.product_id')}
            limit {int(other_products)}

        )

        select * from bought_products
        union all
        select * from unsold_products
    """)

    con.execute(f"""
        create table sample_promotions as
        with busiest_stores as (

            select sample_transactions.store_id
            from sample_transactions
            group by sample_transactions.store_id
            order by count(*) desc, sample_transactions.store_id
            limit {PROMOTION_STORES}

        )

        select source_promotions.*
        from source_promotions
        semi join busiest_stores
            on source_promotions.store_id = busiest_stores.store_id
        semi join sample_products
            on source_promotions.product_id = sample_products.product_id
    """)
    return con


def sample_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts and dirt counts of the sample in ``con`` (from :func:`sample_connection`)."""
    names = ("transaction_lines", "households", "products", "promotion_rows", "weeks_40_to_53",
             "zero_quantity", "unknown_product", "fuel", "duplicate_lines")
    values = con.execute("""
        select
            (select count(*) from sample_transactions),
            (select count(distinct household_id) from sample_transactions),
            (select count(*) from sample_products),
            (select count(*) from sample_promotions),
            (select count(distinct week) from sample_transactions where week between 40 and 53),
            (select count(*) from sample_transactions where quantity = 0),
            (select count(*) from sample_transactions
             anti join sample_products using (product_id)),
            (select count(*) from sample_transactions
             join sample_products using (product_id)
             where sample_products.department = 'FUEL'),
            (select count(*) - count(distinct sample_transactions) from sample_transactions)
    """).fetchall()[0]
    return dict(zip(names, values))


def write_parquet_layout(folder: str | Path, with_promotions: bool = True,
                         con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write the sample as ``transactions.parquet``, ``products.parquet`` and (optional)
    ``promotions.parquet`` with the columns and types of the embedded files."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = con or sample_connection()
    entities = ("transactions", "products") + (("promotions",) if with_promotions else ())
    # in a fixed order, so that every copy has the same bytes and fingerprint: the test workers
    # each write one, and the session's shared build reads whichever was made first
    for entity in entities:
        con.execute(f"copy (select * from sample_{entity} order by all) "
                    f"to {_quoted(folder / (entity + '.parquet'))} (format parquet)")
    return folder


def write_csv_layout(folder: str | Path, with_causal: bool = True,
                     con: duckdb.DuckDBPyConnection | None = None) -> Path:
    """Write the sample as the course's ``retail_train.csv``, ``product.csv`` and (optional)
    ``causal_data.csv``: the course's headers, discounts as negative numbers, ``DAY`` counted
    from 1 on 2017-01-01, ``TRANS_TIME`` as hhmm, a blank description as a single space."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    con = con or sample_connection()
    csv = "(format csv, header true, delimiter ',')"

    # 0.0 - x, not -x: a zero discount is written "0.0" as in the course files, not "-0.0".
    con.execute(f"""
        copy (
            select
                household_id as household_key,
                basket_id as "BASKET_ID",
                date_diff('day', date '2017-01-01', cast(transaction_timestamp as date)) + 1
                    as "DAY",
                product_id as "PRODUCT_ID",
                quantity as "QUANTITY",
                sales_value as "SALES_VALUE",
                store_id as "STORE_ID",
                0.0 - retail_disc as "RETAIL_DISC",
                hour(transaction_timestamp) * 100 + minute(transaction_timestamp)
                    as "TRANS_TIME",
                week as "WEEK_NO",
                0.0 - coupon_disc as "COUPON_DISC",
                0.0 - coupon_match_disc as "COUPON_MATCH_DISC"
            from sample_transactions
            order by week, basket_id, product_id
        ) to {_quoted(folder / 'retail_train.csv')} {csv}
    """)

    con.execute(f"""
        copy (
            select
                product_id as "PRODUCT_ID",
                manufacturer_id as "MANUFACTURER",
                coalesce(department, ' ') as "DEPARTMENT",
                coalesce(brand, ' ') as "BRAND",
                coalesce(product_category, ' ') as "COMMODITY_DESC",
                coalesce(product_type, ' ') as "SUB_COMMODITY_DESC",
                coalesce(package_size, ' ') as "CURR_SIZE_OF_PRODUCT"
            from sample_products
            order by product_id
        ) to {_quoted(folder / 'product.csv')} {csv}
    """)

    if with_causal:
        con.execute(f"""
            copy (
                select
                    product_id as "PRODUCT_ID",
                    store_id as "STORE_ID",
                    week as "WEEK_NO",
                    display_location as display,
                    mailer_location as mailer
                from sample_promotions
                order by week, store_id, product_id
            ) to {_quoted(folder / 'causal_data.csv')} {csv}
        """)
    return folder


@dataclass(frozen=True)
class BadCase:
    """One defect of a CSV data folder and what the error message must say about it."""

    name: str
    file: str          # the file (or folder) the message must name
    problem: str       # words the message must contain


# The line that the line-level defects break: deep enough to be past DuckDB's sniffing sample.
BAD_LINE = 3001

BAD_CSV_CASES = {
    case.name: case for case in (
        BadCase("data_dir_missing", "no_such_folder", "the data folder does not exist"),
        BadCase("file_missing", "product.csv", "file missing"),
        BadCase("column_missing", "retail_train.csv", "missing column(s) QUANTITY"),
        BadCase("text_in_number", "retail_train.csv",
                f"line {BAD_LINE}, column SALES_VALUE: 'n/a' is not a number"),
        BadCase("empty_file", "retail_train.csv", "the file is empty"),
        BadCase("duplicated_header", "retail_train.csv",
                f"line {BAD_LINE} repeats the header line"),
        BadCase("nan_in_number", "retail_train.csv",
                f"line {BAD_LINE}, column SALES_VALUE: 'NaN' is not a finite number"),
        BadCase("infinity_in_number", "retail_train.csv",
                f"line {BAD_LINE}, column RETAIL_DISC: '-inf' is not a finite number"),
        BadCase("week_beyond_integer", "retail_train.csv",
                f"line {BAD_LINE}, column WEEK_NO: '99999999999' is out of range"),
        BadCase("id_beyond_integer", "retail_train.csv",
                f"line {BAD_LINE}, column BASKET_ID: '1e30' is out of range"),
        BadCase("not_utf8", "product.csv",
                f"line {BAD_LINE}, column COMMODITY_DESC: not UTF-8 text"),
    )
}

# The field that each one-value defect of retail_train.csv changes, and its new value.
_BAD_VALUES = {
    "text_in_number": ("SALES_VALUE", "n/a"),
    "nan_in_number": ("SALES_VALUE", "NaN"),
    "infinity_in_number": ("RETAIL_DISC", "-inf"),
    "week_beyond_integer": ("WEEK_NO", "99999999999"),
    "id_beyond_integer": ("BASKET_ID", "1e30"),
}


def set_csv_field(path: Path, line_number: int, column: str, value: str) -> None:
    """Set one field of one line (counted from 1) of a CSV file without quoted fields."""
    lines = path.read_text().split("\n")
    header = lines[0].split(",")
    fields = lines[line_number - 1].split(",")
    fields[header.index(column)] = value
    lines[line_number - 1] = ",".join(fields)
    path.write_text("\n".join(lines))


def make_bad_csv_case(case: str, good: str | Path, folder: str | Path) -> Path:
    """Copy the good CSV folder ``good`` into ``folder``, give the copy the defect ``case`` (a key
    of :data:`BAD_CSV_CASES`) and return the data folder to build from."""
    good, folder = Path(good), Path(folder)
    if case == "data_dir_missing":
        return folder / "no_such_folder"
    shutil.copytree(good, folder, dirs_exist_ok=True)
    transactions = folder / "retail_train.csv"
    if case == "file_missing":
        (folder / "product.csv").unlink()
    elif case == "column_missing":
        con = duckdb.connect()
        con.execute(f"""
            copy (
                select * exclude ("QUANTITY")
                from read_csv({_quoted(good / 'retail_train.csv')}, header = true, all_varchar = true)
            ) to {_quoted(transactions)} (format csv, header true)
        """)
    elif case in _BAD_VALUES:
        set_csv_field(transactions, BAD_LINE, *_BAD_VALUES[case])
    elif case == "empty_file":
        transactions.write_bytes(b"")
    elif case == "duplicated_header":
        # As if two exports had been glued together: the header again in the middle.
        lines = transactions.read_text().split("\n")
        lines.insert(BAD_LINE - 1, lines[0])
        transactions.write_text("\n".join(lines))
    elif case == "not_utf8":
        # a product description saved in Latin-1, as an old spreadsheet export writes "CAFÉ"
        products = folder / "product.csv"
        lines = products.read_bytes().split(b"\n")
        product_id = lines[BAD_LINE - 1].split(b",", 1)[0]
        lines[BAD_LINE - 1] = product_id + ",1,GROCERY,National,CAFÉ AU LAIT,COFFEE,12 OZ".encode("latin-1")
        products.write_bytes(b"\n".join(lines))
    else:
        raise ValueError(f"unknown bad case {case!r}; one of {', '.join(BAD_CSV_CASES)}")
    return folder
