"""recsys.frames.with_memory_limit: DuckDB's memory limit lowered while a Python model's result
is read (what als_candidates does around its fits), and given back after."""

import gc
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from recsys import frames

SCHEMA = pa.schema([("limit", pa.string()), ("cached_mb", pa.float64())])


def limit_of(con) -> str:
    return con.execute("select current_setting('memory_limit')").fetchone()[0]


def cached_mb(con) -> float:
    return con.execute("select sum(memory_usage_bytes) / 1e6 from duckdb_memory()").fetchone()[0]


def observing_reader(con, batches=3, between=None) -> pa.RecordBatchReader:
    """A reader whose every batch records DuckDB's limit and memory as it is made; ``between`` runs
    after the first batch (the model's work between two reads)."""
    def made():
        for number in range(batches):
            yield pa.record_batch([pa.array([limit_of(con)]), pa.array([cached_mb(con)])], schema=SCHEMA)
            if number == 0 and between:
                between()
    return pa.RecordBatchReader.from_batches(SCHEMA, made())


def test_memory_sizes_in_duckdb_units():
    assert frames.memory_bytes("5GB") == 5e9
    assert frames.memory_bytes("4.6 GiB") == pytest.approx(4.6 * 2 ** 30)
    assert frames.memory_bytes(" 300mb ") == 3e8
    for bad in ("5", "five GB", "5 parsecs", "80%"):
        with pytest.raises(ValueError, match="not a memory size"):
            frames.memory_bytes(bad)


def test_the_limit_is_lowered_while_read_and_given_back(tmp_path):
    con = duckdb.connect(str(tmp_path / "pool.duckdb"), config={"memory_limit": "1GB"})
    con.execute("create table numbers as select random() as value from range(10000000)")
    con.execute("checkpoint")
    con.execute("select sum(value) from numbers").fetchone()
    assert cached_mb(con) > 50  # the scan's pages stay cached up to the limit

    rows = frames.with_memory_limit(observing_reader(con), con, limit="20MB", restore_to="1GB").read_all()

    assert rows["limit"].to_pylist() == ["19.0 MiB"] * 3  # 20 MB, as DuckDB shows it
    assert max(rows["cached_mb"].to_pylist()) < 20  # evicted, not only capped for later queries
    assert limit_of(con) == "953.6 MiB"  # 1 GB again


def test_a_refused_limit_is_tried_again_before_the_next_batch():
    # an in-memory table with nowhere to spill holds its memory: DuckDB refuses a lower limit
    con = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": ""})
    con.execute("create table held as select random() as value from range(10000000)")

    rows = frames.with_memory_limit(observing_reader(con, between=lambda: con.execute("drop table held")),
                                    con, limit="20MB", restore_to="1GB").read_all()

    # the second batch is asked for (and the limit tried) before the table goes
    assert rows["limit"].to_pylist() == ["953.6 MiB", "953.6 MiB", "19.0 MiB"]
    assert limit_of(con) == "953.6 MiB"


def test_a_reader_let_go_early_gives_the_limit_back(tmp_path):
    # as when dbt fails while it writes the stream: the reader is dropped half read
    con = duckdb.connect(str(tmp_path / "pool.duckdb"), config={"memory_limit": "1GB"})
    reader = frames.with_memory_limit(observing_reader(con), con, limit="20MB", restore_to="1GB")
    assert reader.read_next_batch()["limit"].to_pylist() == ["19.0 MiB"]
    del reader
    gc.collect()
    assert limit_of(con) == "953.6 MiB"


def test_a_limit_not_below_the_profiles_changes_nothing():
    con = duckdb.connect(config={"memory_limit": "1GB"})
    reader = observing_reader(con)
    assert frames.with_memory_limit(reader, con, limit="2GB", restore_to="1GB") is reader
    assert reader.read_all()["limit"].to_pylist() == ["953.6 MiB"] * 3


def test_als_candidates_gives_back_the_profiles_own_default_limit():
    # the default is written twice: in profiles.yml, and where als_candidates restores it
    repo = Path(__file__).resolve().parents[2]
    default = re.compile(r"env_var\('RECSYS_MEMORY_LIMIT', '([^']*)'\)")
    profile = default.findall((repo / "profiles.yml").read_text())
    model = default.findall((repo / "models" / "candidates" / "als_candidates.yml").read_text())
    assert len(profile) == 1 and model == profile
