"""The cookbook queries in analyses/ compile and run, and the docs reach DuckDB's catalog
(persist_docs), on the database of the session's embedded build (test_embedded_build.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# embedded: the workspace of the session's embedded build (module-scoped, built once)
from test_embedded_build import embedded  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled_analyses(embedded, tmp_path_factory, copy_for_dbt) -> dict[str, str]:
    """analysis name -> compiled SQL; compiled into a target of its own, so that the build's
    run_results.json stays the build's, on a copy of its database (conftest.copy_for_dbt)."""
    target = tmp_path_factory.mktemp("analyses_target")
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "compile", "--select",
         "resource_type:analysis", "--target-path", str(target)],
        cwd=REPO, env=copy_for_dbt(embedded, "analyses").env, capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    folder = target / "compiled" / "recsys" / "analyses"
    return {path.stem: path.read_text() for path in folder.glob("*.sql")}


def test_every_analysis_compiles(compiled_analyses):
    names = {path.stem for path in (REPO / "analyses").glob("*.sql")}
    assert names and set(compiled_analyses) == names, (names, set(compiled_analyses))
    assert all("{{" not in sql for sql in compiled_analyses.values())


def test_analyses_return_what_the_readme_shows(compiled_analyses, embedded):
    con = embedded.connect()
    try:
        email = con.execute(compiled_analyses["example_email"]).fetchall()
        strategies = con.execute(compiled_analyses["strategy_comparison"]).fetchall()
        slots = con.execute(compiled_analyses["slot_hit_rates"]).fetchall()
    finally:
        con.close()
    # the README's customer gets both e-mails of the week, five positions each, Wednesday first
    assert [row[1] for row in email] == [1, 2, 3, 4, 5] * 2, email
    assert [row[0] for row in email[::5]] == ["w54-wed-email", "w54-fri-email"], email
    assert {row[2] for row in strategies} == {5, 10}, strategies
    assert {row[1] for row in strategies} >= {"popularity", "own_top", "als", "email_policy"}
    cutoffs = {row[0] for row in strategies}
    assert len(cutoffs) == 2, cutoffs
    assert sorted((row[0], row[1]) for row in slots) == sorted(
        (cutoff, slot) for cutoff in cutoffs for slot in ("new", "promo", "upsell")), slots


def test_descriptions_are_comments_in_duckdb(embedded):
    manifest = json.loads((embedded.root / "target" / "manifest.json").read_text())
    model = manifest["nodes"]["model.recsys.metrics_at_k"]
    con = embedded.connect()
    try:
        (table_comment,) = con.execute(
            "select comment from duckdb_tables() where table_name = 'metrics_at_k'").fetchone()
        columns = dict(con.execute(
            "select column_name, comment from duckdb_columns() "
            "where table_name = 'metrics_at_k'").fetchall())
    finally:
        con.close()
    assert table_comment == model["description"]
    documented = {name: column["description"] for name, column in model["columns"].items()}
    assert documented and {name: columns[name] for name in documented} == documented
