"""metrics_at_k agrees with a plain-Python reading of the course's formulas.

The reference below knows nothing of the SQL: it reads the two inputs of the evaluation
(``recommendations`` and ``ground_truth``) as Python rows and applies mission.md's definitions
customer by customer. A deliberate exception to the project's "no per-user Python loops": a
reference must be simple enough to check by eye, and the embedded build has only ~2,500
evaluated customers. It runs on the database of the embedded build (test_embedded_build.py),
and on a case small enough to compute by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest

from test_embedded_build import embedded_build

# metrics_per_customer.sql scores k = 1, 3, 5 and 10 where the strategy keeps that many positions
# at the cutoff (the longest list of the strategy there).
KS = (1, 3, 5, 10)

TOLERANCE = 1e-9

METRIC_NAMES = ("precision", "recall", "money_precision", "money_recall", "hit_rate")


@dataclass(frozen=True)
class Metrics:
    n_users: int
    precision: float
    recall: float
    money_precision: float
    money_recall: float
    hit_rate: float


def course_metrics(recommendations, ground_truth, ks=KS) -> dict[tuple[int, str, int], Metrics]:
    """The course's metrics per (cutoff_week, strategy, k), averaged over evaluated customers.

    recommendations: rows (cutoff_week, strategy, user_id, position, item_id, price).
    ground_truth: rows (cutoff_week, user_id, item_id, price), one per distinct item a customer
    bought in the cutoff's test window. The evaluated customers of a cutoff are those with a row
    there.

    For a customer and the first k recommended places (positions 1..k):
    precision = hits / k; recall = hits / items bought; money precision = price of the hits /
    price of the recommended items (0 when there are none); money recall = price of the hits /
    price of the items bought; hit = at least one hit. A customer with fewer than k items (or
    none) still counts: the missing places are misses.
    """
    bought: dict[int, dict[int, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for cutoff_week, user_id, item_id, price in ground_truth:
        if price is None:
            raise ValueError(f"ground truth without a price: {(cutoff_week, user_id, item_id)}")
        if item_id in bought[cutoff_week][user_id]:
            raise ValueError(f"ground truth repeats an item: {(cutoff_week, user_id, item_id)}")
        bought[cutoff_week][user_id][item_id] = price

    # lists[(cutoff, strategy)][user] = [(position, item_id, price), ...]
    lists: dict[tuple[int, str], dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for cutoff_week, strategy, user_id, position, item_id, price in recommendations:
        if price is None:
            raise ValueError(f"recommendation without a price: {(cutoff_week, strategy, user_id, item_id)}")
        lists[cutoff_week, strategy][user_id].append((position, item_id, price))

    metrics = {}
    for (cutoff_week, strategy), per_user in lists.items():
        evaluated = bought.get(cutoff_week)
        if not evaluated:
            continue                      # the production cutoff has no test window
        depth = max(position for items in per_user.values() for position, _, _ in items)
        for k in (k for k in ks if k <= depth):
            totals = dict.fromkeys(METRIC_NAMES, 0.0)
            for user_id, items_bought in evaluated.items():
                first_k = [(item_id, price) for position, item_id, price in per_user.get(user_id, [])
                           if position <= k]
                hits = [price for item_id, price in first_k if item_id in items_bought]
                recommended_value = sum(price for _, price in first_k)
                totals["precision"] += len(hits) / k
                totals["recall"] += len(hits) / len(items_bought)
                totals["money_precision"] += sum(hits) / recommended_value if recommended_value else 0.0
                totals["money_recall"] += sum(hits) / sum(items_bought.values())
                totals["hit_rate"] += 1.0 if hits else 0.0
            n_users = len(evaluated)
            metrics[cutoff_week, strategy, k] = Metrics(
                n_users, *(totals[name] / n_users for name in METRIC_NAMES))
    return metrics


def test_reference_on_a_case_computed_by_hand():
    recommendations = [
        # customer 1: five items, hits at positions 2 (price 4) and 5 (price 1)
        (50, "s", 1, 1, 10, 2.0), (50, "s", 1, 2, 11, 4.0), (50, "s", 1, 3, 12, 2.0),
        (50, "s", 1, 4, 13, 1.0), (50, "s", 1, 5, 14, 1.0),
        # customer 2: two items only, a hit at position 1 (price 3)
        (50, "s", 2, 1, 20, 3.0), (50, "s", 2, 2, 21, 1.0),
        # customer 3 gets no list at all; customer 4 is not evaluated (bought nothing in the window)
        (50, "s", 4, 1, 10, 2.0),
        # the production cutoff has no ground truth and is not scored
        (53, "s", 1, 1, 10, 2.0),
    ]
    ground_truth = [
        (50, 1, 11, 4.0), (50, 1, 14, 1.0), (50, 1, 99, 5.0),     # 3 items, worth 10
        (50, 2, 20, 3.0), (50, 2, 98, 1.0),                       # 2 items, worth 4
        (50, 3, 10, 2.0),                                         # 1 item, worth 2
    ]
    metrics = course_metrics(recommendations, ground_truth)
    assert set(metrics) == {(50, "s", 1), (50, "s", 3), (50, "s", 5)}   # depth 5: no k = 10

    # k = 1: customer 1 misses (item 10), customer 2 hits, customer 3 has nothing
    assert metrics[50, "s", 1] == pytest.approx(Metrics(
        3, precision=(0 + 1 + 0) / 3, recall=(0 + 1 / 2 + 0) / 3,
        money_precision=(0 + 3 / 3 + 0) / 3, money_recall=(0 + 3 / 4 + 0) / 3,
        hit_rate=1 / 3), abs=1e-15)
    # k = 3: customer 1 hits item 11 among 10, 11, 12 (worth 8); customer 2 has two places of three
    assert metrics[50, "s", 3] == pytest.approx(Metrics(
        3, precision=(1 / 3 + 1 / 3 + 0) / 3, recall=(1 / 3 + 1 / 2 + 0) / 3,
        money_precision=(4 / 8 + 3 / 4 + 0) / 3, money_recall=(4 / 10 + 3 / 4 + 0) / 3,
        hit_rate=2 / 3), abs=1e-15)
    # k = 5: customer 1 hits 11 and 14 among five items worth 10
    assert metrics[50, "s", 5] == pytest.approx(Metrics(
        3, precision=(2 / 5 + 1 / 5 + 0) / 3, recall=(2 / 3 + 1 / 2 + 0) / 3,
        money_precision=(5 / 10 + 3 / 4 + 0) / 3, money_recall=(5 / 10 + 3 / 4 + 0) / 3,
        hit_rate=2 / 3), abs=1e-15)


@pytest.fixture(scope="module")
def embedded_con(shared_build):
    workspace, run = embedded_build(shared_build)
    assert run.returncode == 0, run.describe()
    con = workspace.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def reference(embedded_con):
    recommendations = embedded_con.execute("""
        select cutoff_week, strategy, user_id, position, item_id, price from recommendations
    """).fetchall()
    ground_truth = embedded_con.execute("""
        select cutoff_week, user_id, item_id, price from ground_truth
    """).fetchall()
    return course_metrics(recommendations, ground_truth)


@pytest.fixture(scope="module")
def sql_metrics(embedded_con) -> dict[tuple[int, str, int], Metrics]:
    rows = embedded_con.execute(f"""
        select cutoff_week, strategy, k, n_users, {', '.join(METRIC_NAMES)}
        from metrics_at_k
    """).fetchall()
    metrics = {}
    for cutoff_week, strategy, k, *values in rows:
        assert (cutoff_week, strategy, k) not in metrics, f"metrics_at_k repeats {(cutoff_week, strategy, k)}"
        metrics[cutoff_week, strategy, k] = Metrics(*values)
    return metrics


def test_same_cutoffs_strategies_and_ks(reference, sql_metrics):
    assert sorted(sql_metrics) == sorted(reference)
    # the embedded build scores the contract strategies and the ranker at both backtest cutoffs,
    # k up to 5 at least
    strategies = {strategy for _, strategy, _ in reference}
    assert {"popularity", "own_top", "als", "email_policy", "ranker"} <= strategies, strategies
    assert {cutoff_week for cutoff_week, _, _ in reference} == {47, 50}
    assert {k for _, _, k in reference} >= {1, 3, 5}


def test_n_users_is_the_number_of_evaluated_customers(embedded_con, sql_metrics):
    evaluated = dict(embedded_con.execute("""
        select cutoff_week, count(distinct user_id) from ground_truth group by cutoff_week
    """).fetchall())
    reported = dict(embedded_con.execute("""
        select cutoff_week, n_evaluated from evaluation_customers
    """).fetchall())
    assert evaluated == reported
    wrong = {key: metrics.n_users for key, metrics in sql_metrics.items()
             if metrics.n_users != evaluated.get(key[0])}
    assert wrong == {}, f"n_users differs from the {evaluated} evaluated customers: {wrong}"
    assert min(evaluated.values()) > 1000, evaluated


def close(sql: float | None, python: float) -> bool:
    """Equal up to TOLERANCE; a null from SQL (an average over nothing) never is."""
    return sql is not None and abs(sql - python) <= TOLERANCE


def test_metrics_match_the_reference(reference, sql_metrics):
    mismatches = [
        (key, name, getattr(sql_metrics[key], name), getattr(expected, name))
        for key, expected in sorted(reference.items()) if key in sql_metrics
        for name in METRIC_NAMES
        if not close(getattr(sql_metrics[key], name), getattr(expected, name))
    ]
    assert mismatches == [], "\n".join(
        f"{key} {name}: metrics_at_k {sql} != reference {python}"
        for key, name, sql, python in mismatches)
    # not vacuous: the customers' purchases are found, often
    assert any(metrics.hit_rate > 0.5 for metrics in reference.values()), reference
