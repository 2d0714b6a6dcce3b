"""The semantic layer (models/semantic, docs/metrics.md) answers with the tables' own figures.

MetricFlow's `mf` reads the semantic manifest at <project>/target/semantic_manifest.json, whatever
DBT_TARGET_PATH says, so the tests run it in a project folder of their own: links to the repo's
dbt files and a target folder of its own, which a `dbt parse` fills. The queries read the database
of the session's embedded build (test_embedded_build.py); each `mf` call takes about 3 s.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from test_embedded_build import embedded  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MF = BIN / "mf"
# what dbt reads of the project (dbt_project.yml's paths, the profile, the selectors)
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "selectors.yml",
                 "models", "macros", "seeds", "tests", "analyses")
# the figures are the same averages summed in another order
TOLERANCE = 1e-9


class MetricFlow:
    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env
        self.queries = 0

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MF), *args], cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=300)

    def query(self, *args: str) -> list[dict[str, str]]:
        """The rows of `mf query ARGS`, as strings (an empty string for null)."""
        self.queries += 1
        out = self.root / f"query_{self.queries}.csv"
        result = self.run("query", "--quiet", *args, "--csv", str(out))
        assert result.returncode == 0 and out.exists(), result.stdout + result.stderr
        with out.open(newline="") as file:
            return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def mf(embedded, tmp_path_factory, copy_for_dbt):  # noqa: F811
    if not MF.exists():
        pytest.skip("dbt-metricflow is not installed (make metrics installs it)")
    root = tmp_path_factory.mktemp("metricflow")
    for name in PROJECT_FILES:
        (root / name).symlink_to(REPO / name)
    # mf opens the database through dbt-duckdb, for writing: a copy (conftest.copy_for_dbt)
    env = {**copy_for_dbt(embedded, "metricflow_db").env, "DBT_PROFILES_DIR": str(root),
           "DBT_TARGET_PATH": str(root / "target"),
           "DBT_LOG_PATH": str(root / "logs")}
    parse = subprocess.run([str(BIN / "dbt"), "parse", "--project-dir", str(root)], cwd=root,
                           env=env, capture_output=True, text=True, timeout=600)
    assert parse.returncode == 0, parse.stdout + parse.stderr
    assert (root / "target" / "semantic_manifest.json").exists()
    yield MetricFlow(root, env)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def tables(embedded):  # noqa: F811
    """The tables' own figures, read before any `mf` call (closed: mf opens the database too)."""
    con = embedded.connect()
    try:
        return {
            "metrics_at_k": con.execute("""
                select cutoff_week, strategy, precision, money_precision, hit_rate
                from metrics_at_k where k = 5
            """).fetchall(),
            "metrics_by_send": con.execute("""
                select send_id, channel, send_weekday, precision, money_precision, hit_rate
                from metrics_by_send
            """).fetchall(),
            "by_channel_weekday": con.execute("""
                select channel, send_weekday, sum(precision * n_users) / sum(n_users)
                from metrics_by_send group by all having sum(n_users) > 0
            """).fetchall(),
            "send_plan": con.execute("select send_id, n_recipients from send_plan").fetchall(),
            "send_list": con.execute(
                "select send_id, count(distinct user_id) from send_list group by all").fetchall(),
        }
    finally:
        con.close()


def number(text: str) -> float | None:
    return float(text) if text != "" else None


def assert_close(got: float | None, expected: float | None, what: str) -> None:
    if expected is None:
        assert got is None, what
    else:
        assert got is not None and abs(got - expected) <= TOLERANCE, (what, got, expected)


def test_validate_configs(mf):
    """The semantic models and metrics are valid, and every column they name is in the database."""
    result = mf.run("validate-configs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout.replace("ERRORS: 0", ""), result.stdout


def test_precision_at_5_by_strategy_is_metrics_at_k(mf, tables):
    cutoff = max(row[0] for row in tables["metrics_at_k"])
    expected = {row[1]: row[2:] for row in tables["metrics_at_k"] if row[0] == cutoff}
    assert len(expected) > 1, expected
    rows = mf.query("--metrics", "precision_at_5,money_precision_at_5,hit_rate_at_5",
                    "--group-by", "evaluation__strategy",
                    "--where", f"{{{{ Dimension('evaluation__cutoff_week') }}}} = {cutoff}")
    assert {row["evaluation__strategy"] for row in rows} == set(expected)
    for row in rows:
        strategy = row["evaluation__strategy"]
        for column, value in zip(("precision_at_5", "money_precision_at_5", "hit_rate_at_5"),
                                 expected[strategy]):
            assert_close(number(row[column]), value, f"{cutoff} {strategy} {column}")


def test_send_metrics_are_metrics_by_send(mf, tables):
    """One send: its own row of metrics_by_send."""
    expected = {row[0]: row for row in tables["metrics_by_send"]}
    assert expected and any(row[3] is not None for row in expected.values()), expected
    rows = mf.query("--metrics", "send_precision_at_5,send_money_precision_at_5,send_hit_rate",
                    "--group-by", "send,send__channel,send__send_weekday")
    assert {row["send"] for row in rows} == set(expected)
    for row in rows:
        send_id, channel, weekday, *figures = expected[row["send"]]
        assert (row["send__channel"], row["send__send_weekday"]) == (channel, weekday)
        for column, value in zip(("send_precision_at_5", "send_money_precision_at_5",
                                  "send_hit_rate"), figures):
            assert_close(number(row[column]), value, f"{send_id} {column}")


def test_send_precision_by_channel_and_weekday(mf, tables):
    """The sends of a channel and weekday (one per cutoff): the mean over all their customers."""
    expected = {(row[0], row[1]): row[2] for row in tables["by_channel_weekday"]}
    assert expected
    rows = mf.query("--metrics", "send_precision_at_5",
                    "--group-by", "send__channel,send__send_weekday")
    got = {(row["send__channel"], row["send__send_weekday"]): number(row["send_precision_at_5"])
           for row in rows}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert_close(got[key], value, str(key))


def test_recipients_per_send_are_send_plan(mf, tables):
    expected = dict(tables["send_plan"])
    assert any(expected.values()), expected
    rows = mf.query("--metrics", "recipients", "--group-by", "planned_send")
    got = {row["planned_send"]: int(row["recipients"]) for row in rows}
    assert got == expected
    # the customers of send_list (a send without recipients has no rows there)
    assert {send: n for send, n in got.items() if n} == dict(tables["send_list"])
