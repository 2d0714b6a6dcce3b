"""The rules of dbt-project-evaluator that fit this project, checked on `dbt parse`'s
manifest.json (no dbt hub packages here), and the checks that keep the YAML honest about what
dbt cannot see: the report's exposure names every table report.py reads, and every model built by
post-hook inserts says so.

Each rule is a pure function of the manifest dict that returns its findings as {model: detail};
a test fails on a finding that its ALLOWED dict does not name, and on an ALLOWED entry that is no
longer a finding, so each allow-list stays as small as the project (docs/dbt-conventions.md).
test_rules_flag_a_synthetic_manifest shows that each rule can fail.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections import defaultdict
from pathlib import PurePosixPath

import pytest

from recsys import report

# --- the allowed exceptions: {model: why the finding is right here} ------------------------------

ALLOWED_FOLDER_LOOPS: dict[str, str] = {}

ALLOWED_STAGING_ON_STAGING = {
    "stg_transaction_checks": "reads stg_products to flag lines of unknown products and excluded "
                              "departments: the rule needs the products as staging cleans them",
    "stg_transactions": "keeps the lines of stg_transaction_checks that break no rule: the rules "
                        "live there once, and data_quality_report counts the same rules",
}

ALLOWED_SOURCES_OUTSIDE_STAGING: dict[str, str] = {}

# keyed by the model in between, the one the evaluator would fold into the child
ALLOWED_REJOINED_CONCEPTS = {
    "int_strategy_own_top": "a baseline of its own, which recommendations unions with the others "
                            "(popularity among them); it reads the popularity list only to fill up",
    "int_user_type_history": "a feature per cutoff, customer and product type, summed once and "
                             "joined to every candidate of the type, with its own key test",
    "int_user_department_spend": "a feature per cutoff, customer and department, summed once, "
                                 "with its own key test and "
                                 "tests/ranker/department_spend_shares_sum_to_one",
    "int_user_promo_affinity": "a feature per cutoff and customer with its own key and range "
                               "tests, joined beside the other per-customer features",
    "int_promo_items": "the send week's promotions per cutoff and item (calendar or discounts), "
                       "with its own key test; tests/email reads it too",
    "ranker_scores": "the Python model that fits and applies the ranker: it cannot be a CTE of "
                     "the SQL model int_email_candidates",
    "int_ranker_training": "the training relation that the Python model ranker_scores reads "
                           "(recsys.ranker); a view, with its own key test",
    "int_experiment_audience": "the audience fixed at each period's start (intention to treat), "
                               "with its own key test; the metrics view adds each look to it",
    "send_responses": "also built on its own by recsys.replay (+send_responses) after each "
                      "replayed week, which the evaluator's child count leaves out",
    "category_weekday_lift": "int_send_picks reads it once per send statement "
                             "(macros/send_picks.sql): a CTE would compute the lift again for "
                             "every send and batch",
}

ALLOWED_MANY_PARENTS = {
    "int_item_catalog": "the one place every item fact per cutoff meets (price, popularity, "
                        "promotion, product text), so that the other models read one table",
    "int_ranker_candidate_features": "the ranker's customer-and-item features: each parent is "
                                     "one feature family, joined per batch of customers",
    "int_send_picks": "one send's slot rules need its candidates, recipients, recent sends, the "
                      "schedule, products, weekday lift, slots seed and customer batches",
    "recommendations": "the union of the five strategy tables and the e-mail, priced once",
}

ALLOWED_WITHOUT_PRIMARY_KEY = {
    "stg_transaction_checks": "every raw line, exact duplicates included: data_quality_report "
                              "counts each line the file holds",
    "stg_transactions": "a purchase line has no key in the input files (a basket may list an item "
                        "twice); select distinct drops only exact duplicates",
    "int_cutoff_transactions": "a view of stg_transactions' lines with their band: the same "
                               "keyless grain",
    "stg_coupon_redemptions": "an event log without an id: a household may redeem one coupon "
                              "twice on one day",
}

ALLOWED_HOOKS_UNDESCRIBED: dict[str, str] = {}

# --- the manifest ----------------------------------------------------------------------------

# resources of the DAG: tests, analyses and exposures are not parents or children
DAG_TYPES = ("model", "seed", "snapshot", "source")
MANY_PARENTS = 7


@pytest.fixture(scope="session")
def manifest(new_workspace) -> dict:
    """manifest.json of one `dbt parse` in a workspace of its own (no database is built)."""
    workspace = new_workspace("manifest")
    run = workspace.dbt("parse")
    assert run.returncode == 0, run.describe()
    return json.loads((workspace.root / "target" / "manifest.json").read_text())


def dag(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in {**manifest["nodes"], **manifest["sources"]}.items()
            if node["resource_type"] in DAG_TYPES}


def models(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items()
            if node["resource_type"] == "model"}


def parents(node: dict, resources: dict[str, dict]) -> list[str]:
    return sorted({uid for uid in node.get("depends_on", {}).get("nodes", []) if uid in resources})


def label(uid: str, resources: dict[str, dict]) -> str:
    node = resources[uid]
    if node["resource_type"] == "source":
        return f"{node['source_name']}.{node['name']}"
    return node["name"]


def folder(node: dict) -> str:
    return PurePosixPath(node["original_file_path"]).parent.as_posix()


def is_staging(node: dict) -> bool:
    return node["resource_type"] == "model" and folder(node).split("/")[:2] == ["models", "staging"]


# --- the rules: pure functions of the manifest dict -------------------------------------------

def folder_loops(manifest: dict) -> dict[str, list[str]]:
    """The models whose edge from a parent in another folder lies on a cycle of the folder graph
    (leaf folder of each model's file, an edge per cross-folder dependency)."""
    nodes = models(manifest)
    edges = defaultdict(list)  # (parent folder, child folder) -> model edges
    for uid, node in nodes.items():
        for parent in parents(node, nodes):
            if folder(nodes[parent]) != folder(node):
                edges[folder(nodes[parent]), folder(node)].append((parent, uid))
    following = defaultdict(set)
    for source, target in edges:
        following[source].add(target)

    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in following[stack.pop()] - seen:
                seen.add(nxt)
                stack.append(nxt)
        return seen

    reach = {name: reachable(name) for name in {name for pair in edges for name in pair}}
    findings = defaultdict(list)
    for (source, target), pairs in edges.items():
        if source in reach[target]:  # the edge closes a loop: target leads back to source
            for parent, child in pairs:
                findings[nodes[child]["name"]].append(
                    f"{nodes[parent]['name']} ({source}) -> {nodes[child]['name']} ({target})")
    return dict(findings)


def staging_on_staging(manifest: dict) -> dict[str, list[str]]:
    """Staging models with a parent that is not a source or a seed."""
    resources = dag(manifest)
    return {node["name"]: others for node in models(manifest).values() if is_staging(node)
            for others in [[label(uid, resources) for uid in parents(node, resources)
                            if resources[uid]["resource_type"] not in ("source", "seed")]]
            if others}


def sources_outside_staging(manifest: dict) -> dict[str, list[str]]:
    """Models outside models/staging that read a source() directly."""
    resources = dag(manifest)
    return {node["name"]: direct for node in models(manifest).values() if not is_staging(node)
            for direct in [[label(uid, resources) for uid in parents(node, resources)
                            if resources[uid]["resource_type"] == "source"]]
            if direct}


def rejoined_concepts(manifest: dict) -> dict[str, list[str]]:
    """dbt-project-evaluator's fct_rejoining_of_upstream_concepts: a child that depends on a
    parent both directly and through a model in between, where that model has no other child.
    Keyed by the model in between."""
    resources = dag(manifest)
    direct = {uid: set(parents(node, resources)) for uid, node in resources.items()}
    children = defaultdict(set)
    for uid, ups in direct.items():
        for parent in ups:
            children[parent].add(uid)
    findings = defaultdict(list)
    for child, ups in direct.items():
        for middle in ups:
            if children[middle] != {child}:
                continue
            for parent in sorted(direct[middle] & ups):
                findings[label(middle, resources)].append(
                    f"{label(parent, resources)} -> {label(middle, resources)} -> "
                    f"{label(child, resources)}, which also reads {label(parent, resources)}")
    return dict(findings)


def too_many_parents(manifest: dict, threshold: int = MANY_PARENTS) -> dict[str, list[str]]:
    """dbt-project-evaluator's fct_too_many_joins: models with `threshold` or more direct
    parents."""
    resources = dag(manifest)
    return {node["name"]: names for node in models(manifest).values()
            for names in [[label(uid, resources) for uid in parents(node, resources)]]
            if len(names) >= threshold}


def without_primary_key(manifest: dict) -> dict[str, str]:
    """Models with neither `unique` and `not_null` on one column nor a `unique_combination`
    (tests/generic/unique_combination.sql) among the tests attached to them."""
    column_tests = defaultdict(lambda: defaultdict(set))
    combined = set()
    for node in manifest["nodes"].values():
        metadata = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or not node.get("attached_node") or not metadata:
            continue
        if metadata["name"] == "unique_combination":
            combined.add(node["attached_node"])
        elif metadata["name"] in ("unique", "not_null") and node.get("column_name"):
            column_tests[node["attached_node"]][node["column_name"]].add(metadata["name"])
    return {node["name"]: "no unique + not_null column and no unique_combination"
            for uid, node in models(manifest).items()
            if uid not in combined
            and not any({"unique", "not_null"} <= tests for tests in column_tests[uid].values())}


def hooks_undescribed(manifest: dict) -> dict[str, list[str]]:
    """Models with a post-hook whose description does not say "post-hook"."""
    return {node["name"]: [hook["sql"] for hook in hooks]
            for node in models(manifest).values()
            for hooks in [node["config"].get("post-hook") or []]
            if hooks and "post-hook" not in node["description"].lower()}


# --- the checks ------------------------------------------------------------------------------

def check(findings: dict, allowed: dict[str, str], rule: str) -> None:
    """No finding outside ``allowed``, and no entry of ``allowed`` that is no finding."""
    unexpected = {name: detail for name, detail in sorted(findings.items()) if name not in allowed}
    stale = sorted(set(allowed) - set(findings))
    lines = [f"{rule}: {name}: {detail}" for name, detail in unexpected.items()]
    lines += [f"{rule}: {name} is allowed but no longer flagged: remove it from the allow-list"
              for name in stale]
    assert not lines, "\n".join(lines)


def test_no_folder_loops(manifest):
    check(folder_loops(manifest), ALLOWED_FOLDER_LOOPS, "folder loop")


def test_staging_reads_only_sources_and_seeds(manifest):
    check(staging_on_staging(manifest), ALLOWED_STAGING_ON_STAGING, "staging reads a model")


def test_sources_are_read_only_in_staging(manifest):
    check(sources_outside_staging(manifest), ALLOWED_SOURCES_OUTSIDE_STAGING,
          "source() outside models/staging")


def test_no_rejoined_upstream_concepts(manifest):
    check(rejoined_concepts(manifest), ALLOWED_REJOINED_CONCEPTS, "rejoined upstream concept")


def test_no_model_has_too_many_parents(manifest):
    check(too_many_parents(manifest), ALLOWED_MANY_PARENTS, f"{MANY_PARENTS} or more parents")


def test_every_model_has_a_primary_key_test(manifest):
    check(without_primary_key(manifest), ALLOWED_WITHOUT_PRIMARY_KEY, "no primary-key test")


def test_post_hooks_are_described(manifest):
    """The models built by post-hook inserts (macros/customer_batches.sql, macros/send_picks.sql)
    say so, since dbt's lineage does not show it."""
    check(hooks_undescribed(manifest), ALLOWED_HOOKS_UNDESCRIBED,
          "post-hook not in the description")


def test_report_exposure_names_every_table_the_report_reads(manifest):
    """models/exposures/report.yml lists exactly recsys.report.report_tables(), but for the models
    dbt disables in an ordinary build (als_grid, opt-in), which no exposure may name."""
    exposure = manifest["exposures"]["exposure.recsys.report"]
    declared = [uid.split(".")[-1] for uid in exposure["depends_on"]["nodes"]]
    disabled = {entry["name"] for entries in manifest["disabled"].values() for entry in entries
                if entry["resource_type"] == "model"}
    known = {node["name"] for node in models(manifest).values()}
    read = report.report_tables()
    assert set(read) <= known | disabled, f"not a model: {sorted(set(read) - known - disabled)}"
    expected = [table for table in read if table not in disabled]
    assert sorted(declared) == sorted(expected), (
        f"report.yml lacks {sorted(set(expected) - set(declared))}, "
        f"names tables report.py does not read {sorted(set(declared) - set(expected))}")


SQL_TABLE = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b", re.IGNORECASE)


def test_report_sections_read_the_tables_they_name():
    """Every query of a report section (the SQL passed to frame()) reads exactly the tables that
    the section registers, so report_tables() is complete."""
    wrong = {}
    for entry in report.SECTIONS:
        tree = ast.parse(inspect.getsource(entry.render))
        queries = [call.args[1] for call in ast.walk(tree) if isinstance(call, ast.Call)
                   and getattr(call.func, "id", None) == "frame" and len(call.args) > 1]
        assert queries, f"section {entry.title!r} runs no frame() query"
        assert all(isinstance(query, ast.Constant) for query in queries), entry.title
        read = {table.lower() for query in queries for table in SQL_TABLE.findall(query.value)}
        if read != set(entry.tables):
            wrong[entry.title] = (sorted(read), sorted(entry.tables))
    assert not wrong, f"section: (tables its SQL reads, tables it registers): {wrong}"


# --- the rules can fail ----------------------------------------------------------------------

def fake_manifest() -> dict:
    """A tiny manifest that breaks every rule once."""
    def node(name, path, parents=(), kind="model", description="", post_hook=()):
        return {"unique_id": f"{kind}.p.{name}", "name": name, "resource_type": kind,
                "original_file_path": path, "description": description,
                "depends_on": {"nodes": list(parents)},
                "config": {"post-hook": [{"sql": sql} for sql in post_hook]}}

    def test(name, model, test_name, column=None):
        return {"unique_id": f"test.p.{name}", "name": name, "resource_type": "test",
                "attached_node": f"model.p.{model}", "column_name": column,
                "test_metadata": {"name": test_name}, "depends_on": {"nodes": [f"model.p.{model}"]}}

    nodes = [
        node("stg_a", "models/staging/stg_a.sql", ["source.p.raw.a"]),
        node("stg_b", "models/staging/stg_b.sql", ["model.p.stg_a"]),  # staging on staging
        node("x", "models/x/x.sql", ["model.p.stg_a", "source.p.raw.a"]),  # source outside staging
        node("y", "models/y/y.sql", ["model.p.x"]),
        # the folders loop (x -> y -> x), and x2 reads x directly and through y
        node("x2", "models/x/x2.sql", ["model.p.y", "model.p.x"]),
        node("wide", "models/y/wide.sql", [f"model.p.p{i}" for i in range(MANY_PARENTS)],
             post_hook=["{{ insert_customer_batches() }}"]),
        *(node(f"p{i}", f"models/p/p{i}.sql") for i in range(MANY_PARENTS)),
        test("u", "stg_a", "unique", "id"), test("n", "stg_a", "not_null", "id"),
        test("c", "x", "unique_combination"),
        test("only_unique", "y", "unique", "id"), test("other_not_null", "y", "not_null", "other"),
    ]
    return {"nodes": {n["unique_id"]: n for n in nodes},
            "sources": {"source.p.raw.a": {"unique_id": "source.p.raw.a", "name": "a",
                                           "source_name": "raw", "resource_type": "source"}}}


def test_rules_flag_a_synthetic_manifest():
    fake = fake_manifest()
    assert set(folder_loops(fake)) == {"y", "x2"}, folder_loops(fake)
    assert staging_on_staging(fake) == {"stg_b": ["stg_a"]}
    assert sources_outside_staging(fake) == {"x": ["raw.a"]}
    assert rejoined_concepts(fake) == {"y": ["x -> y -> x2, which also reads x"]}
    assert list(too_many_parents(fake)) == ["wide"]
    assert set(without_primary_key(fake)) == {"stg_b", "y", "x2", "wide"} | {
        f"p{i}" for i in range(MANY_PARENTS)}
    assert list(hooks_undescribed(fake)) == ["wide"]
    with pytest.raises(AssertionError, match="no longer flagged"):
        check({}, {"gone": "was fixed"}, "rule")
    with pytest.raises(AssertionError, match="rule: x: "):
        check({"x": ["raw.a"]}, {}, "rule")


# --- ownership and freshness: owners, macro docs, source freshness, tests ---------------------

MACRO_SIGNATURE = re.compile(r"\{%-?\s*(?:macro|test)\s+(\w+)\s*\(([^)]*)\)")


def signature_arguments(macro: dict) -> list[str]:
    """The argument names of a macro's (or generic test's) signature, in order."""
    match = MACRO_SIGNATURE.search(macro["macro_sql"])
    return re.findall(r"(?:^|,)\s*(\w+)", match.group(2)) if match else []


def without_owner(manifest: dict) -> dict[str, str]:
    """Models and seeds outside a group whose owner has a name and an e-mail, or whose meta.owner
    (which dbt-score's has_owner reads) is not that owner's name."""
    groups = {group["name"]: group for group in manifest.get("groups", {}).values()}
    findings = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        group = groups.get(node.get("group") or "")
        owner = (group or {}).get("owner") or {}
        if group is None:
            findings[node["name"]] = f"group {node.get('group')!r} is not in models/groups.yml"
        elif not (owner.get("name") and owner.get("email")):
            findings[node["name"]] = f"group {group['name']} has no owner name and e-mail"
        elif node.get("meta", {}).get("owner") != owner["name"]:
            findings[node["name"]] = (f"meta.owner {node.get('meta', {}).get('owner')!r} is not the "
                                      f"group's owner {owner['name']!r}")
    return findings


def macros_undescribed(manifest: dict) -> dict[str, str]:
    """The project's macros (macros/, and the generic tests of tests/generic/, which dbt keeps as
    macros) without a description, or whose documented arguments are not their signature's, each
    with a description."""
    project = manifest["metadata"]["project_name"]
    findings = {}
    for macro in manifest["macros"].values():
        if macro["package_name"] != project:
            continue
        documented = [argument["name"] for argument in macro.get("arguments") or []]
        if not (macro.get("description") or "").strip():
            findings[macro["name"]] = f"{macro['original_file_path']}: no description"
        elif documented != signature_arguments(macro):
            findings[macro["name"]] = (f"arguments documented {documented}, signature "
                                       f"{signature_arguments(macro)}")
        elif not all((argument.get("description") or "").strip() for argument in macro["arguments"]):
            findings[macro["name"]] = "an argument without a description"
    return findings


def sources_without_freshness(manifest: dict) -> dict[str, str]:
    """Tables of the file source raw with a date column (a column named *_date) but no freshness:
    a warn_after and a loaded_at_field that reads one of those columns."""
    findings = {}
    for source in manifest["sources"].values():
        dates = [name for name in source.get("columns", {}) if name.endswith("_date")]
        if source["source_name"] != "raw" or not dates:
            continue
        freshness = source.get("freshness") or {}
        loaded_at = source.get("loaded_at_field") or ""
        if not (freshness.get("warn_after") or {}).get("count"):
            findings[source["name"]] = f"no warn_after, though it has {', '.join(dates)}"
        elif not any(re.search(rf"\b{name}\b", loaded_at) for name in dates):
            findings[source["name"]] = f"loaded_at_field {loaded_at!r} reads none of {', '.join(dates)}"
    return findings


def untested_models(manifest: dict) -> dict[str, str]:
    """Models that no data test and no unit test reads."""
    tested = {uid for node in [*manifest["nodes"].values(), *manifest.get("unit_tests", {}).values()]
              if node["resource_type"] in ("test", "unit_test")
              for uid in node.get("depends_on", {}).get("nodes", [])}
    return {node["name"]: "no data or unit test" for uid, node in models(manifest).items()
            if uid not in tested}


def failures_not_stored(manifest: dict) -> dict[str, str]:
    """Data tests that do not keep the rows they flag (store_failures; unit tests cannot)."""
    return {node["name"]: "store_failures is not true" for node in manifest["nodes"].values()
            if node["resource_type"] == "test" and node["config"].get("store_failures") is not True}


def test_every_model_and_seed_has_an_owner(manifest):
    check(without_owner(manifest), {}, "no owner")


def test_every_macro_is_described(manifest):
    check(macros_undescribed(manifest), {}, "macro not described")


def test_file_sources_with_dates_have_freshness(manifest):
    check(sources_without_freshness(manifest), {}, "no freshness")


def test_every_model_has_a_test(manifest):
    check(untested_models(manifest), {}, "untested model")


def test_every_data_test_stores_its_failures(manifest):
    check(failures_not_stored(manifest), {}, "failures not stored")


def test_ownership_rules_flag_a_synthetic_manifest():
    group = {"name": "g", "owner": {"name": "Team", "email": "team@example.com"}}
    nodes = [
        {"name": "owned", "resource_type": "model", "group": "g", "meta": {"owner": "Team"}},
        {"name": "lone", "resource_type": "seed", "group": None, "meta": {}},
        {"name": "drifted", "resource_type": "model", "group": "g", "meta": {"owner": "Other"}},
        {"name": "t", "resource_type": "test", "config": {"store_failures": None},
         "depends_on": {"nodes": ["model.p.owned"]}},
    ]
    manifest = {
        "metadata": {"project_name": "p"},
        "groups": {"group.p.g": group},
        "nodes": {f"{node['resource_type']}.p.{node['name']}": node for node in nodes},
        "unit_tests": {"unit_test.p.drifted.u": {"resource_type": "unit_test",
                                                 "depends_on": {"nodes": ["model.p.drifted"]}}},
        "macros": {
            "macro.p.described": {"name": "described", "package_name": "p", "description": "Does x.",
                                  "original_file_path": "macros/d.sql",
                                  "macro_sql": "{% macro described(a, b=1) %}{% endmacro %}",
                                  "arguments": [{"name": "a", "description": "A."},
                                                {"name": "b", "description": "B."}]},
            "macro.p.bare": {"name": "bare", "package_name": "p", "description": "",
                             "original_file_path": "macros/b.sql",
                             "macro_sql": "{% macro bare() %}{% endmacro %}", "arguments": []},
            "macro.p.short": {"name": "short", "package_name": "p", "description": "Does y.",
                              "original_file_path": "macros/s.sql",
                              "macro_sql": "{% macro short(a, b) %}{% endmacro %}",
                              "arguments": [{"name": "a", "description": "A."}]},
            "macro.dbt.other": {"name": "other", "package_name": "dbt", "description": ""},
        },
        "sources": {
            "source.p.raw.dated": {"name": "dated", "source_name": "raw",
                                   "columns": {"sold_date": {}}, "loaded_at_field": None,
                                   "freshness": {"warn_after": {"count": None}}},
            "source.p.raw.fresh": {"name": "fresh", "source_name": "raw",
                                   "columns": {"sold_date": {}},
                                   "loaded_at_field": "cast(sold_date as timestamp)",
                                   "freshness": {"warn_after": {"count": 8, "period": "day"}}},
            "source.p.raw.undated": {"name": "undated", "source_name": "raw", "columns": {"id": {}}},
        },
    }
    assert set(without_owner(manifest)) == {"lone", "drifted"}
    assert set(macros_undescribed(manifest)) == {"bare", "short"}
    assert list(sources_without_freshness(manifest)) == ["dated"]
    assert untested_models(manifest) == {}
    assert list(failures_not_stored(manifest)) == ["t"]
    del manifest["unit_tests"]
    assert list(untested_models(manifest)) == ["drifted"]
