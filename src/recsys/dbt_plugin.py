"""A dbt-duckdb plugin (profiles.yml, ``plugins:``) that lets dbt check the raw data first.

It registers the SQL function ``recsys_input_problem(data_dir)`` on dbt's DuckDB connection.
The project's ``on-run-start`` hook (macros/check_inputs.sql) calls it before any model runs and
turns a problem into a compilation error, which stops plain ``dbt build`` at once, before any
table has been replaced. For good files the hook then runs the statements of
``recsys_raw_views(data_dir)``, which create the views of the dbt source ``raw`` over them. (A hook that merely fails would need dbt's
``skip_nodes_if_on_run_start_fails``, whose skip path crashes on the project's exposures in
dbt 1.11.)
"""

from __future__ import annotations

import sys

from dbt.adapters.duckdb.plugins import BasePlugin

from recsys import sources


def input_problem(data_dir: str) -> str:
    """The one-line problem of the input files of ``data_dir`` (empty: the embedded data), or ''."""
    try:
        sources.check(sources.locate(data_dir or None))
    except sources.DataError as error:
        # dbt prints its compilation error after a few lines of its own; this line comes first
        print(f"error: {error}", file=sys.stderr, flush=True)
        return f"error: {error}"
    return ""


def raw_views(data_dir: str) -> str:
    """The statements that point the views of the dbt source ``raw`` at the files of ``data_dir``."""
    return sources.views_sql(sources.locate(data_dir or None))


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        conn.create_function("recsys_input_problem", input_problem, ["VARCHAR"], "VARCHAR",
                             side_effects=True)
        conn.create_function("recsys_raw_views", raw_views, ["VARCHAR"], "VARCHAR",
                             side_effects=True)
