"""Nothing on the Spark driver grows with the data (issue 25): a static guard.

Every Python model under models/ and every module of src/recsys is parsed (ast), and every call
that brings rows onto the driver or hands rows from the driver to Spark is found:

* Spark's own: ``.toArrow()``, ``.toPandas()``, ``.collect()``, ``.createDataFrame(...)``;
* the wrappers of recsys.frames that do one of those on Spark: ``frames.to_arrow``,
  ``frames.to_arrow_beside`` (a collect), ``frames.from_arrow`` (a createDataFrame) and
  ``frames.record_batches`` (which must stream on DuckDB and may not collect on Spark).

A call passes only when its (file, function) is in ALLOWED below, with the reason why what it
moves is bounded: it does not grow with the customers or the lines. A new collect of a relation
that grows with the data fails here; score it on the executors instead (recsys.ranker's
``mapInArrow``), or aggregate it in SQL first (the experiment's per-salt and per-group sums).
The DuckDB-only calls (``to_arrow_table``, ``fetchall``) are not Spark's and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SPARK_CALLS = {"toArrow", "toPandas", "collect", "createDataFrame"}
FRAMES_WRAPPERS = {"to_arrow", "to_arrow_beside", "from_arrow", "record_batches"}

# (file relative to the repository, innermost function; "<module>" at the top level) -> why every
# driver call there moves a bounded amount. Keep it short and keep each reason true.
ALLOWED: dict[tuple[str, str], str] = {
    # the wrappers themselves: every caller of them is checked here instead
    ("src/recsys/frames.py", "to_arrow"): "the wrapper; its callers are checked",
    ("src/recsys/frames.py", "to_arrow_beside"): "the wrapper; its callers are checked",
    ("src/recsys/frames.py", "from_arrow"): "the wrapper; its callers are checked",
    # the ranker: the cutoff weeks, and the training sample, at most ranker_max_training_rows rows
    # per cutoff (ranker.training_sample); the scores are computed on the executors (mapInArrow)
    ("src/recsys/ranker.py", "fitted_boosters"): "cutoff weeks; the training sample, bounded by "
                                                 "ranker_max_training_rows",
    # DuckDB only: ranker_scores streams its batches on DuckDB (record_batches refuses Spark)
    ("src/recsys/ranker.py", "scores"): "DuckDB branch only: the streamed scores of stream_scores",
    # ALS: the cutoff weeks (a handful); the fits and the top-N run on the cluster
    ("models/candidates/als_candidates.py", "model"): "cutoff weeks",
    ("models/candidates/als_candidates.py", "interactions_at"): "DuckDB branch only (Spark returns "
                                                                "before): one cutoff's matrix",
    ("src/recsys/als.py", "mllib_candidates_per_cutoff"): "cutoff weeks",
    # the grid is a tuning tool on one backtest cutoff, not part of a build (make grid): its
    # inputs, one cutoff's interactions, ground truth and prices, and one row per configuration
    ("models/candidates/als_grid.py", "model"): "make grid only: one cutoff's small tables and "
                                                "one row per configuration",
    ("src/recsys/grid.py", "grid_search"): "make grid only: one cutoff's interactions",
    ("src/recsys/grid.py", "_mllib_rows"): "make grid only: the evaluated customers' keys",
    ("src/recsys/grid.py", "mllib_top_k"): "make grid only: top 5 of the evaluated customers",
    ("src/recsys/als.py", "mllib_cells"): "make grid and tests only: one cutoff's matrix",
    # the experiment reads per-group, per-salt and per-look aggregates (int_experiment_group_sums,
    # int_experiment_aa_sums, ...: SQL sums, squares and cross-products), never per customer, and
    # hands back one row per metric, group, look or salt
    **{(f"models/experiment/{name}.py", "model"): "per-group / per-salt / per-look aggregates in "
       "and out" for name in ("experiment_aa", "experiment_power", "experiment_power_weekly",
                              "experiment_readout", "experiment_readout_weekly")},
    ("models/campaigns/build_info.py", "model"): "one row: the build's metadata",
    # an empty frame that carries a schema (no rows)
    ("src/recsys/ledger.py", "spark_sources"): "an empty table's schema",
    # the raw files: on Spark the build stages them as parquet that the executors read
    # (dbt_recsys_spark._load_raw); this Arrow hand-over remains for a caller that reads one entity
    ("src/recsys/sources.py", "read"): "not on the build's Spark path (dbt_recsys_spark stages the "
                                       "raw files as parquet); a single entity for other callers",
}


def python_files() -> list[Path]:
    models = [path for path in (REPO / "models").rglob("*.py")]
    return sorted(models + list((REPO / "src" / "recsys").glob("*.py")))


def driver_calls(path: Path) -> list[tuple[str, int, str]]:
    """(innermost function, line, call) of every driver call in ``path``."""
    found = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
                continue
            if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute):
                name = child.func.attr
                owner = child.func.value
                if name in SPARK_CALLS:
                    found.append((function, child.lineno, name))
                elif (name in FRAMES_WRAPPERS and isinstance(owner, ast.Name)
                      and owner.id == "frames"):
                    found.append((function, child.lineno, f"frames.{name}"))
            elif (isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                  and path.name == "frames.py" and child.func.id in FRAMES_WRAPPERS):
                found.append((function, child.lineno, child.func.id))  # a wrapper calling another
            visit(child, function)

    visit(ast.parse(path.read_text(), str(path)), "<module>")
    return found


def unlisted_calls() -> list[str]:
    problems = []
    for path in python_files():
        relative = path.relative_to(REPO).as_posix()
        for function, line, call in driver_calls(path):
            if (relative, function) not in ALLOWED:
                problems.append(f"{relative}:{line} {function}() calls {call}")
    return problems


def test_every_driver_call_is_in_the_bounded_allow_list():
    """A collect or createDataFrame outside ALLOWED may pull data that grows with the customers
    onto the Spark driver (today's record_batches collected a cutoff's every candidate)."""
    assert unlisted_calls() == []


def test_the_allow_list_has_no_stale_entry_and_every_entry_a_reason():
    used = {(path.relative_to(REPO).as_posix(), function)
            for path in python_files() for function, _, _ in driver_calls(path)}
    assert sorted(set(ALLOWED) - used) == []
    assert all(reason.strip() for reason in ALLOWED.values())


def test_the_guard_finds_a_collect_in_a_new_function(tmp_path):
    model = tmp_path / "scores.py"
    model.write_text("def model(dbt, session):\n"
                     "    rows = dbt.ref('int_ranker_features').toArrow()\n"
                     "    return frames.from_arrow(rows, session)\n")
    assert [call for _, _, call in driver_calls(model)] == ["toArrow", "frames.from_arrow"]
