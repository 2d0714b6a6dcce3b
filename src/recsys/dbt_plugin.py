"""A dbt-duckdb plugin (profiles.yml, ``plugins:``) that lets dbt check the raw data first.

It registers the SQL function ``recsys_check_inputs(data_dir)`` on dbt's DuckDB connection, and
the project's ``on-run-start`` hook calls it before any model runs. A bad input file then stops
plain ``dbt build`` with the one-line message of :class:`recsys.sources.DataError` as its first
error, before any table has been replaced. For good files it returns the statements that create
the views of the dbt source ``raw`` over them, which the hook then runs.
"""

from __future__ import annotations

import sys

from dbt.adapters.duckdb.plugins import BasePlugin

from recsys import sources


def check_inputs(data_dir: str) -> str:
    """Check every input file of ``data_dir`` (empty: the embedded data); return the statements
    that point the views of the dbt source ``raw`` at its files (the hook runs them)."""
    try:
        source = sources.locate(data_dir or None)
        sources.check(source)
    except sources.DataError as error:
        # dbt reports a failed hook only in its summary at the end, inside DuckDB's wording;
        # this line comes first, right under the hook's START line
        print(f"error: {error}", file=sys.stderr, flush=True)
        raise
    return sources.views_sql(source)


class Plugin(BasePlugin):
    def configure_connection(self, conn):
        conn.create_function("recsys_check_inputs", check_inputs, ["VARCHAR"], "VARCHAR",
                             side_effects=True)
