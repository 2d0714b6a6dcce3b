"""The course notebook's pipeline for one ALS configuration, as the seed document writes it.

    .venv/bin/python bench/notebook.py [CSV_FOLDER]

The yardstick for the 1x build time (issue: `make run` within 4x of this). It does what the
document's notebook does, in its order and with its tools, for the configuration the document
found best (factors 32, regularization 0.01, iterations 15):

    read retail_train.csv and product.csv with pandas; lower-case the columns; train = weeks
    before max - 3, test = the rest; the 5,000 items with the most units sold keep their id, the
    rest become 999999; pandas pivot_table of line counts; a CSR matrix and the id maps; fit
    implicit's ALS; per test customer, model.recommend(recalculate_user=True) for the top 5; the
    course's precision@5 per customer through pandas apply, and its mean.

CSV_FOLDER holds the course's files; without it, the embedded Complete Journey data is written
once in that layout to bench/data/csv1x (not timed: the notebook starts from the files). It
prints the precision@5 it measured, so that a run that computes nothing cannot look fast.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from implicit.als import AlternatingLeastSquares
from scipy.sparse import csr_matrix

REPO = Path(__file__).resolve().parents[1]
DEFAULT_FOLDER = REPO / "bench" / "data" / "csv1x"


def write_embedded_csv(folder: Path) -> Path:
    """The embedded data in the course's CSV layout (retail_train.csv, product.csv), once."""
    if (folder / "retail_train.csv").exists() and (folder / "product.csv").exists():
        return folder
    import duckdb

    sys.path.insert(0, str(REPO / "tests" / "python"))  # the tests' sample writers, tests/python/fixtures.py
    import fixtures
    from recsys import sources

    data = sources.locate(None).folder
    con = duckdb.connect()
    for entity in ("transactions", "products", "promotions"):
        con.execute(f"create view sample_{entity} as select * from "
                    f"read_parquet('{data / (entity + '.parquet')}')")
    return fixtures.write_csv_layout(folder, with_causal=False, con=con)


def precision_at_k(recommended_list, bought_list, k=5):
    """The course's metric, as its metrics.py defines it."""
    bought_list = np.array(bought_list)
    recommended_list = np.array(recommended_list)[:k]
    flags = np.isin(bought_list, recommended_list)
    return flags.sum() / len(recommended_list)


def notebook(folder: Path) -> float:
    warnings.filterwarnings("ignore")  # as the notebook does
    data = pd.read_csv(folder / "retail_train.csv")
    data.columns = [col.lower() for col in data.columns]
    data.rename(columns={"household_key": "user_id", "product_id": "item_id"}, inplace=True)

    test_size_weeks = 3
    data_train = data[data["week_no"] < data["week_no"].max() - test_size_weeks].copy()
    data_test = data[data["week_no"] >= data["week_no"].max() - test_size_weeks]

    item_features = pd.read_csv(folder / "product.csv")
    item_features.columns = [col.lower() for col in item_features.columns]
    item_features.rename(columns={"product_id": "item_id"}, inplace=True)

    popularity = data_train.groupby("item_id")["quantity"].sum().reset_index()
    popularity.rename(columns={"quantity": "n_sold"}, inplace=True)
    top_5000 = popularity.sort_values("n_sold", ascending=False).head(5000).item_id.tolist()
    data_train.loc[~data_train["item_id"].isin(top_5000), "item_id"] = 999999

    user_item_matrix = pd.pivot_table(data_train, index="user_id", columns="item_id",
                                      values="quantity", aggfunc="count", fill_value=0)
    user_item_matrix = user_item_matrix.astype(float)
    sparse_user_item = csr_matrix(user_item_matrix)

    userids = user_item_matrix.index.values
    itemids = user_item_matrix.columns.values
    id_to_itemid = dict(zip(np.arange(len(itemids)), itemids))
    userid_to_id = dict(zip(userids, np.arange(len(userids))))

    model = AlternatingLeastSquares(factors=32, regularization=0.01, iterations=15,
                                    random_state=42)
    # implicit >= 0.5 takes the user x item matrix (the course's 0.4 took item x user)
    model.fit(sparse_user_item, show_progress=False)

    def get_recommendations(user, n=5):
        if user not in userid_to_id:  # a test customer without training lines: nothing to say
            return []
        row = userid_to_id[user]
        ids, _ = model.recommend(row, sparse_user_item[row], N=n,
                                 filter_already_liked_items=False, recalculate_user=True)
        return [id_to_itemid[i] for i in ids]

    result = data_test.groupby("user_id")["item_id"].unique().reset_index()
    result.columns = ["user_id", "actual"]
    result = result[result["user_id"].isin(userid_to_id)]
    result["recs"] = result["user_id"].apply(get_recommendations)
    return result.apply(lambda row: precision_at_k(row["recs"], row["actual"]), axis=1).mean()


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else write_embedded_csv(DEFAULT_FOLDER)
    started = time.perf_counter()
    precision = notebook(folder)
    print(f"notebook pipeline: precision@5 {precision:.4f} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
