"""recsys.sources without dbt: locating the data, checking the files, reading both layouts."""

from __future__ import annotations

import shutil

import duckdb
import pytest

import fixtures
from fixtures import BAD_CSV_CASES, make_bad_csv_case
from recsys import sources


def check_folder(data_dir) -> None:
    sources.check(sources.locate(str(data_dir)))


def copy_of(sample_dir, tmp_path):
    """A copy of a sample folder, to break."""
    return shutil.copytree(sample_dir, tmp_path / "data")


def rewrite_line(path, line_number: int, change) -> None:
    """Replace one line of a text file with change(line); line_number counts from 1."""
    lines = path.read_text().split("\n")
    lines[line_number - 1] = change(lines[line_number - 1])
    path.write_text("\n".join(lines))


# --- the sample itself ---------------------------------------------------------------------

def test_sample_is_realistic_and_dirty(sample_con):
    counts = fixtures.sample_counts(sample_con)
    assert counts["households"] == fixtures.HOUSEHOLDS
    assert counts["transaction_lines"] > 5000
    assert counts["weeks_40_to_53"] == 14
    # the dirt the cleaning rules must see
    assert counts["zero_quantity"] > 0
    assert counts["unknown_product"] > 0
    assert counts["fuel"] > 0
    assert counts["duplicate_lines"] == 1
    assert counts["promotion_rows"] > 1000


def test_sample_is_deterministic(sample_con):
    again = fixtures.sample_connection()
    for table in ("sample_transactions", "sample_products", "sample_promotions"):
        query = f"select * from {table} order by all"
        assert sample_con.execute(query).fetchall() == again.execute(query).fetchall(), table


def test_csv_layout_follows_the_course(csv_sample_dir):
    headers = {name: (csv_sample_dir / name).read_text().split("\n", 1)[0]
               for name in ("retail_train.csv", "product.csv", "causal_data.csv")}
    assert headers["retail_train.csv"] == ",".join(fixtures.CSV_TRANSACTIONS_HEADER)
    assert headers["retail_train.csv"].startswith("household_key,BASKET_ID,DAY,PRODUCT_ID")
    assert headers["product.csv"] == ",".join(fixtures.CSV_PRODUCTS_HEADER)
    assert headers["causal_data.csv"] == "PRODUCT_ID,STORE_ID,WEEK_NO,display,mailer"
    con = duckdb.connect()
    signs, days, times, blanks = con.execute(f"""
        select
            (select [max(cast("RETAIL_DISC" as double)), min(cast("RETAIL_DISC" as double))]
             from read_csv('{csv_sample_dir / 'retail_train.csv'}', all_varchar = true)),
            (select [min(cast("DAY" as integer)), max(cast("DAY" as integer))]
             from read_csv('{csv_sample_dir / 'retail_train.csv'}', all_varchar = true)),
            (select [min(cast("TRANS_TIME" as integer)), max(cast("TRANS_TIME" as integer))]
             from read_csv('{csv_sample_dir / 'retail_train.csv'}', all_varchar = true)),
            (select count(*) filter (where "CURR_SIZE_OF_PRODUCT" = ' ')
             from read_csv('{csv_sample_dir / 'product.csv'}', all_varchar = true))
    """).fetchall()[0]
    assert signs[0] <= 0 < -signs[1], "course discounts are negative numbers"
    assert days[0] == 1 and 360 <= days[1] <= 366
    assert 0 <= times[0] and times[1] <= 2359
    assert blanks > 0, "a blank description is a single space, as in the course files"


# --- good folders pass ---------------------------------------------------------------------

def test_good_csv_folder_passes(csv_sample_dir):
    source = sources.locate(str(csv_sample_dir))
    assert source.layout == "csv"
    sources.check(source)


def test_good_parquet_folder_passes(parquet_sample_dir):
    source = sources.locate(str(parquet_sample_dir))
    assert source.layout == "parquet"
    sources.check(source)


def test_embedded_data_passes():
    source = sources.locate(None)
    assert source.layout == "parquet"
    assert source.folder == sources.embedded_data_dir().resolve()
    sources.check(source)


def test_csv_without_causal_data_passes_and_reads_no_promotions(tmp_path, sample_con):
    folder = fixtures.write_csv_layout(tmp_path / "no_causal", with_causal=False, con=sample_con)
    source = sources.locate(str(folder))
    sources.check(source)
    con = duckdb.connect()
    assert con.sql(sources.promotions_sql(source)).fetchall() == []


# --- each bad case names the file and the problem ------------------------------------------

@pytest.mark.parametrize("case", list(BAD_CSV_CASES))
def test_bad_case_raises_data_error_naming_file_and_problem(case, csv_sample_dir, tmp_path):
    expected = BAD_CSV_CASES[case]
    data_dir = make_bad_csv_case(case, csv_sample_dir, tmp_path / "data")
    with pytest.raises(sources.DataError) as raised:
        check_folder(data_dir)
    message = str(raised.value)
    assert expected.file in message
    assert expected.problem in message
    assert "\n" not in message


def test_folder_with_neither_layout(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(sources.DataError, match=r"retail_train\.csv: file missing .*transactions\.parquet"):
        check_folder(tmp_path)


def test_data_dir_that_is_a_file(tmp_path):
    path = tmp_path / "retail_train.csv"
    path.write_text("x")
    with pytest.raises(sources.DataError, match="not a folder"):
        check_folder(path)


def test_header_without_rows(csv_sample_dir, tmp_path):
    folder = make_bad_csv_case("empty_file", csv_sample_dir, tmp_path / "data")
    (folder / "retail_train.csv").write_text(",".join(fixtures.CSV_TRANSACTIONS_HEADER) + "\n")
    with pytest.raises(sources.DataError, match=r"retail_train\.csv: the file has a header but no rows"):
        check_folder(folder)


def test_fraction_in_a_whole_number_column(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    fixtures.set_csv_field(folder / "retail_train.csv", 40, "QUANTITY", "1.5")
    with pytest.raises(sources.DataError,
                       match=r"retail_train\.csv: line 40, column QUANTITY: '1.5' is not a whole number"):
        check_folder(folder)


def test_blank_id(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    fixtures.set_csv_field(folder / "retail_train.csv", 77, "PRODUCT_ID", "")
    with pytest.raises(sources.DataError, match=r"retail_train\.csv: line 77 has an empty id"):
        check_folder(folder)


def test_bad_value_in_product_file(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    rewrite_line(folder / "product.csv", 12, lambda line: "abc," + line.split(",", 1)[1])
    with pytest.raises(sources.DataError,
                       match=r"product\.csv: line 12, column PRODUCT_ID: 'abc' is not a number"):
        check_folder(folder)


@pytest.mark.parametrize("line_number", [12, 5001])
def test_line_with_a_field_too_few(csv_sample_dir, tmp_path, line_number):
    # early lines fall in DuckDB's sniffing sample, later ones do not: both must name the line
    folder = copy_of(csv_sample_dir, tmp_path)
    rewrite_line(folder / "product.csv", line_number, lambda line: line.split(",", 1)[1])
    with pytest.raises(sources.DataError,
                       match=rf"product\.csv: line {line_number} has 6 fields, the header has 7$"):
        check_folder(folder)


def test_unterminated_quote(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    rewrite_line(folder / "retail_train.csv", 2000, lambda line: line + ',"oops')
    with pytest.raises(sources.DataError,
                       match=r"retail_train\.csv: line 2000 cannot be read \(.*unterminated quote"):
        check_folder(folder)


def test_missing_column_in_causal_data(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    rewrite_line(folder / "causal_data.csv", 1, lambda line: line.replace("mailer", "mail"))
    with pytest.raises(sources.DataError, match=r"causal_data\.csv: missing column\(s\) MAILER"):
        check_folder(folder)


def test_parquet_missing_column(parquet_sample_dir, tmp_path):
    folder = copy_of(parquet_sample_dir, tmp_path)
    con = duckdb.connect()
    con.execute(f"""
        copy (select * exclude (quantity) from read_parquet('{parquet_sample_dir / 'transactions.parquet'}'))
        to '{folder / 'transactions.parquet'}' (format parquet)
    """)
    with pytest.raises(sources.DataError, match=r"transactions\.parquet: missing column\(s\) quantity"):
        check_folder(folder)


def test_parquet_text_in_numeric_column(parquet_sample_dir, tmp_path):
    folder = copy_of(parquet_sample_dir, tmp_path)
    con = duckdb.connect()
    con.execute(f"""
        copy (select * replace (cast(product_id as varchar) as product_id)
              from read_parquet('{parquet_sample_dir / 'products.parquet'}'))
        to '{folder / 'products.parquet'}' (format parquet)
    """)
    with pytest.raises(sources.DataError, match=r"products\.parquet: column product_id holds VARCHAR"):
        check_folder(folder)


def test_not_a_parquet_file(parquet_sample_dir, tmp_path):
    folder = copy_of(parquet_sample_dir, tmp_path)
    (folder / "promotions.parquet").write_text("PRODUCT_ID,STORE_ID\n1,2\n")
    with pytest.raises(sources.DataError, match=r"promotions\.parquet: not a readable parquet file"):
        check_folder(folder)


# --- headers are matched case-insensitively ------------------------------------------------

def test_header_case_and_byte_order_mark_do_not_matter(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    # lower-case header as pandas' to_csv of the course notebook writes it, and a BOM as a
    # spreadsheet does; a mixed-case one in the product file
    rewrite_line(folder / "retail_train.csv", 1, lambda line: "\ufeff" + line.lower())
    rewrite_line(folder / "product.csv", 1, lambda line: line.title())
    check_folder(folder)

    con = duckdb.connect()
    for entity, reader in sources.READERS.items():
        original = con.sql(reader(sources.locate(str(csv_sample_dir)))).order("all").fetchall()
        renamed = con.sql(reader(sources.locate(str(folder)))).order("all").fetchall()
        assert renamed == original, entity


def test_csv_reader_types_and_signs(csv_sample_dir, parquet_sample_dir):
    """The CSV reader gives the parquet reader's rows: positive discounts, the same day and time.
    Only the parquet layout has calendar dates: there purchase_date is the date of the day number,
    in the CSV layout it is null."""
    con = duckdb.connect()
    from_csv = con.sql(sources.transactions_sql(sources.locate(str(csv_sample_dir))))
    from_parquet = con.sql(sources.transactions_sql(sources.locate(str(parquet_sample_dir))))
    assert from_csv.columns == from_parquet.columns
    assert from_csv.types == from_parquet.types
    assert from_csv.aggregate("count(purchase_date)").fetchall() == [(0,)]
    assert from_parquet.filter(
        "purchase_date is null or purchase_date <> date '2017-01-01' + day - 1").aggregate(
        "count(*)").fetchall() == [(0,)]
    assert (from_csv.select("* exclude (purchase_date)").order("all").fetchall()
            == from_parquet.select("* exclude (purchase_date)").order("all").fetchall())
    # a zero discount read from "0.0" is 0.0, not -0.0
    negative_zero = con.sql(
        "select count(*) from from_csv where cast(retail_disc as varchar) = '-0.0'").fetchall()
    assert negative_zero == [(0,)]


# --- dirty values: refused files and dropped lines (README, Bad input) -----------------------

def test_blank_number_passes_the_check_and_reads_as_null(csv_sample_dir, tmp_path):
    # a dirty line, not a broken file: staging drops it under missing_value
    folder = copy_of(csv_sample_dir, tmp_path)
    fixtures.set_csv_field(folder / "retail_train.csv", 50, "SALES_VALUE", "")
    fixtures.set_csv_field(folder / "retail_train.csv", 60, "WEEK_NO", " ")
    check_folder(folder)
    con = duckdb.connect()
    nulls = con.execute(f"""
        select count(*) filter (where sales_value is null), count(*) filter (where week is null)
        from ({sources.transactions_sql(sources.locate(str(folder)))})
    """).fetchone()
    assert nulls == (1, 1)


def test_not_utf8_in_a_number_column_names_that_column(csv_sample_dir, tmp_path):
    folder = copy_of(csv_sample_dir, tmp_path)
    fixtures.set_csv_field(folder / "retail_train.csv", 500, "STORE_ID", "STORE_PLACEHOLDER")
    path = folder / "retail_train.csv"
    path.write_bytes(path.read_bytes().replace(b"STORE_PLACEHOLDER", "3É".encode("latin-1")))
    with pytest.raises(sources.DataError,
                       match=r"retail_train\.csv: line 500, column STORE_ID: not UTF-8 text"):
        check_folder(folder)


def test_small_whole_numbers_are_checked_against_32_bits(csv_sample_dir, tmp_path):
    # DAY is read as a 32-bit integer, BASKET_ID as 64-bit: the same value is fine in one only
    folder = copy_of(csv_sample_dir, tmp_path)
    fixtures.set_csv_field(folder / "retail_train.csv", 90, "BASKET_ID", "2147483648")
    check_folder(folder)
    fixtures.set_csv_field(folder / "retail_train.csv", 90, "DAY", "2147483648")
    with pytest.raises(sources.DataError,
                       match=r"retail_train\.csv: line 90, column DAY: '2147483648' is out of range"):
        check_folder(folder)
