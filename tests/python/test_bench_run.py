"""bench/run.py's clean-up between sizes: it must find the files recsys.build leaves, or a
stopped 100x build keeps its 59 GB staging database."""

import importlib.util
from pathlib import Path

from recsys import build

RUN_PY = Path(__file__).resolve().parents[2] / "bench" / "run.py"


def bench_run():
    spec = importlib.util.spec_from_file_location("bench_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_remove_database_takes_the_database_its_log_and_a_killed_builds_staging(tmp_path):
    database, exports = tmp_path / "x100.duckdb", tmp_path / "x100.duckdb.exports"
    staging = build.Staging(database, exports)  # as a build does before dbt starts
    staging.database.write_bytes(b"half a database")
    database.write_bytes(b"measured database")
    (tmp_path / "x100.duckdb.wal").write_bytes(b"log")
    (tmp_path / "x4.duckdb").write_bytes(b"another size")
    run = bench_run()

    run.remove_database(database)

    assert not staging.database_folder.exists()
    assert not database.exists() and not (tmp_path / "x100.duckdb.wal").exists()
    assert (tmp_path / "x4.duckdb").exists()
