"""The project's dbt conventions hold: the SQL keeps the house style of `.sqlfluff`, and every
model, seed, source and column is documented (dbt-coverage on the embedded build's artifacts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# embedded: the workspace of the session's embedded build (module-scoped, built once)
from test_embedded_build import embedded  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# every folder of SQL that dbt reads
SQL_FOLDERS = ("models", "analyses", "tests", "macros")


def test_sql_has_no_sqlfluff_findings():
    """`sqlfluff lint` under the house style of .sqlfluff, over every SQL file dbt reads."""
    result = subprocess.run([str(BIN / "sqlfluff"), "lint", *SQL_FOLDERS, "--format", "json",
                             "--processes", "2"],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    files = json.loads(result.stdout)
    findings = [f"{file['filepath']}:{finding['start_line_no']}: {finding['code']} "
                f"{finding['description']}"
                for file in files for finding in file["violations"]]
    # .sqlfluffignore names the Jinja-only macros
    ignored = [line.strip() for line in (REPO / ".sqlfluffignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    sql_files = [path for folder in SQL_FOLDERS for path in (REPO / folder).rglob("*.sql")
                 if not any(str(path.relative_to(REPO)).startswith(name) for name in ignored)]
    assert len(files) == len(sql_files) > 90, (len(files), len(sql_files))
    assert findings == [], "\n".join(findings)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.fixture(scope="module")
def docs_target(embedded, tmp_path_factory, copy_for_dbt) -> Path:  # noqa: F811
    """manifest.json and catalog.json of the embedded build, in a target of their own, from a
    copy of its database (conftest.copy_for_dbt)."""
    target = tmp_path_factory.mktemp("docs_target")
    result = subprocess.run([str(BIN / "dbt"), "docs", "generate", "--target-path", str(target)],
                            cwd=REPO, env=copy_for_dbt(embedded, "docs").env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return target


def test_every_column_is_documented(docs_target):
    """dbt-coverage counts a column of the database (catalog.json) as documented when its
    model's YAML (manifest.json) describes it."""
    report = docs_target / "coverage-doc.json"
    result = subprocess.run([str(BIN / "dbt-coverage"), "compute", "doc", "--run-artifacts-dir",
                             str(docs_target), "--cov-report", str(report),
                             "--cov-fail-under", "1.0"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    coverage = json.loads(report.read_text())
    assert coverage["covered"] == coverage["total"] > 200, coverage["covered"]


def test_every_model_seed_and_source_is_described(docs_target):
    manifest = json.loads((docs_target / "manifest.json").read_text())
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    undescribed = sorted(node["unique_id"] for node in nodes
                         if node["resource_type"] in ("model", "seed", "source")
                         and not node["description"].strip())
    assert undescribed == []
    assert any(node["resource_type"] == "source" for node in nodes), "no dbt source"


def test_lineage_starts_at_the_raw_files(docs_target, embedded):  # noqa: F811
    """The staging models read the source `raw`, whose tables are views over the input files:
    the database holds no copy of the raw lines."""
    manifest = json.loads((docs_target / "manifest.json").read_text())
    for model, source in [("stg_transaction_checks", "transactions"), ("stg_products", "products"),
                          ("stg_promotions", "promotions")]:
        parents = manifest["nodes"][f"model.recsys.{model}"]["depends_on"]["nodes"]
        assert f"source.recsys.raw.{source}" in parents, (model, parents)
    con = embedded.connect()
    try:
        views = dict(con.execute(
            "select view_name, sql from duckdb_views() where schema_name = 'raw'").fetchall())
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' "
            "or (schema_name = 'main' and table_name like 'raw%')").fetchall()
    finally:
        con.close()
    # the retailer's own campaigns (the parquet layout ships them) beside the four inputs
    assert set(views) == {"transactions", "products", "promotions", "customer_channels", "campaigns",
                          "campaign_descriptions", "coupons", "coupon_redemptions"}, views
    assert "transactions.parquet" in views["transactions"], views["transactions"][:500]
    assert tables == []
