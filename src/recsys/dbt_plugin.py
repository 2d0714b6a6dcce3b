"""A dbt-duckdb plugin (profiles.yml, ``plugins:``) that lets dbt check the raw data first.

It registers SQL functions on dbt's DuckDB connection:

* ``recsys_input_problem(data_dir, horizon_weeks, backtest_folds)``: the project's ``on-run-start`` hook
  (macros/check_inputs.sql) calls it before any model runs and turns a problem into a
  compilation error, which stops plain ``dbt build`` at once, before any table has been
  replaced. It checks the input files, that they span the weeks the backtest needs, and that
  the exports folder is one this project may write into (recsys.paths).
* ``recsys_raw_views(data_dir, last_data_week)``: for good files, the statements that create the
  views of the dbt source ``raw`` over them (the transactions up to ``last_data_week``, 0: all),
  and those of the source ``ledger`` over the campaign ledger (recsys.ledger).
* ``recsys_claim_exports(folder, format)``: an export model's pre-hook; it creates the exports
  folder with the project's marker, and the format's folder in it.

(A hook that merely fails would need dbt's ``skip_nodes_if_on_run_start_fails``, whose skip path
crashes on the project's exposures in dbt 1.11.)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dbt.adapters.duckdb.plugins import BasePlugin

from recsys import ledger, paths, sources


def input_problem(data_dir: str, horizon_weeks: int, backtest_folds: int) -> str:
    """The one-line problem of the input files of ``data_dir`` (empty: the embedded data) or of
    the exports folder, or ''."""
    try:
        source = sources.locate(data_dir or None)
        sources.check(source)
        sources.check_weeks(source, horizon_weeks, backtest_folds)
        problem = paths.folder_problem(exports_folder(), paths.EXPORTS_MARKER, "RECSYS_EXPORTS")
        if problem:
            raise paths.OutputError(problem)
        ledger.check(ledger_folder())
    except (sources.DataError, paths.OutputError, ledger.LedgerError) as error:
        # dbt prints its compilation error after a few lines of its own; this line comes first
        print(f"error: {error}", file=sys.stderr, flush=True)
        return f"error: {error}"
    return ""


def exports_folder() -> Path:
    """The folder the export models write to (macros/exports.sql, exports_dir), from dbt's cwd."""
    database = os.environ.get("RECSYS_DB", "recsys.duckdb")
    return Path(os.environ.get("RECSYS_EXPORTS") or f"{database}.exports").absolute()


def ledger_folder() -> Path:
    """The campaign ledger the source ``ledger`` reads, from dbt's cwd (a wrapped build names the
    live database's, since its own RECSYS_DB is a staging file)."""
    database = os.environ.get("RECSYS_DB", "recsys.duckdb")
    return Path(os.environ.get("RECSYS_LEDGER") or f"{database}.ledger").absolute()


def claim_exports(folder: str, file_format: str) -> str:
    paths.claim_folder(Path(folder).absolute(), paths.EXPORTS_MARKER, "RECSYS_EXPORTS")
    (Path(folder).absolute() / file_format).mkdir(exist_ok=True)
    return folder


def raw_views(data_dir: str, last_data_week: int) -> str:
    """The statements that point the views of the dbt sources ``raw`` and ``ledger`` at their files."""
    return ";\n".join([sources.views_sql(sources.locate(data_dir or None), last_data_week or None),
                        ledger.views_sql(ledger_folder())])


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        conn.create_function("recsys_input_problem", input_problem, ["VARCHAR", "INTEGER", "INTEGER"], "VARCHAR",
                             side_effects=True)
        conn.create_function("recsys_raw_views", raw_views, ["VARCHAR", "INTEGER"], "VARCHAR",
                             side_effects=True)
        conn.create_function("recsys_claim_exports", claim_exports, ["VARCHAR", "VARCHAR"], "VARCHAR",
                             side_effects=True)
