"""A bad data folder stops the build with one clear line and leaves the previous database as it was.

Once per module, a good database is built from the CSV sample in a tmp workspace. Each bad case
then builds from a broken copy of the sample into the SAME workspace and must fail (exit code not
0), say in one stderr line which file is wrong and why, print no Python traceback, and leave the
earlier database readable with the same tables and row counts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import BAD_CSV_CASES, make_bad_csv_case

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built(new_workspace, csv_sample_build):
    """A workspace with a good database (a copy of the sample's) and its table row counts."""
    workspace = new_workspace("bad_input")
    workspace.copy_database(csv_sample_build[0])
    counts = workspace.table_counts()
    assert counts.get("stg_transactions", 0) > 0, counts
    return workspace, counts


def assert_database_intact(workspace, counts: dict[str, int]) -> None:
    assert workspace.table_counts() == counts
    assert workspace.staging_folders() == [], "the build left its staging folder behind"


@pytest.mark.parametrize("case", list(BAD_CSV_CASES))
def test_bad_input_fails_with_one_clear_line(case, built, csv_sample_dir, tmp_path):
    workspace, counts = built
    expected = BAD_CSV_CASES[case]
    data_dir = make_bad_csv_case(case, csv_sample_dir, tmp_path / "data")

    run = workspace.build(data_dir)

    assert run.returncode != 0, run.describe()
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    message = lines[0]
    assert message.startswith("error: "), message
    assert expected.file in message, message
    assert expected.problem in message, message
    # the check runs before dbt: nothing was built, not even started
    assert "Running with dbt" not in run.stdout
    assert_database_intact(workspace, counts)


def test_plain_dbt_build_on_bad_input_stops_before_any_model(built, csv_sample_dir, tmp_path):
    """The documented `dbt build --vars` form, without the wrapper: the first error line names
    the file and the problem, there is no traceback, and no model ran, so every table keeps
    what the good build wrote. The bad folder also lacks products: had the raw views been pointed
    at it and staging rebuilt, the product tables would have changed."""
    workspace, counts = built
    expected = BAD_CSV_CASES["text_in_number"]
    data_dir = make_bad_csv_case("text_in_number", csv_sample_dir, tmp_path / "data")
    products = (data_dir / "product.csv").read_text().split("\n")
    (data_dir / "product.csv").write_text("\n".join(products[:-100]))

    # one stream, as on a terminal, so that the order of the lines is the order a user sees
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--vars", f"{{data_dir: '{data_dir}'}}"],
        cwd=REPO, env=workspace.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1800)

    assert result.returncode != 0, result.stdout[-3000:]
    assert "Traceback" not in result.stdout, result.stdout
    errors = [line for line in result.stdout.splitlines() if "error" in line.lower()]
    assert errors, result.stdout[-3000:]
    assert errors[0].startswith("error: "), errors
    assert expected.file in errors[0] and expected.problem in errors[0], errors[0]
    assert " OK created " not in result.stdout and " PASS " not in result.stdout, result.stdout[-3000:]
    assert workspace.table_counts() == counts


def test_failed_dbt_run_keeps_previous_database(built, csv_sample_dir):
    """Good data but a dbt run that fails: the wrapper says so and swaps nothing in."""
    workspace, counts = built
    run = workspace.build(csv_sample_dir, "--no-such-dbt-option")
    assert run.returncode != 0, run.describe()
    assert f"{workspace.database} is unchanged" in run.stderr
    assert_database_intact(workspace, counts)
