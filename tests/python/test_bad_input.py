"""A bad data folder stops the build with one clear line and leaves the previous database as it was.

Once per module, a good database is built from the CSV sample in a tmp workspace. Each bad case
then builds from a broken copy of the sample into the SAME workspace and must fail (exit code not
0), say in one stderr line which file is wrong and why, print no Python traceback, and leave the
earlier database readable with the same tables and row counts.
"""

from __future__ import annotations

import pytest

from recsys.fixtures import BAD_CSV_CASES, make_bad_csv_case


@pytest.fixture(scope="module")
def built(new_workspace, csv_sample_dir):
    """A workspace with a good database and that database's table row counts."""
    workspace = new_workspace("bad_input")
    run = workspace.build(csv_sample_dir)
    assert run.returncode == 0, run.describe()
    counts = workspace.table_counts()
    assert counts.get("stg_transactions", 0) > 0, counts
    return workspace, counts


def assert_database_intact(workspace, counts: dict[str, int]) -> None:
    assert workspace.table_counts() == counts
    leftovers = sorted(path.name for path in workspace.root.glob("*.building*"))
    assert leftovers == [], "the build left its working copy behind"


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


def test_plain_dbt_build_on_bad_input_fails_and_keeps_tables(built, csv_sample_dir, tmp_path):
    """The documented `dbt build --vars` form, without the wrapper, on a bad value: dbt must
    fail with the same message, and tables that dbt could not rebuild keep their old rows."""
    workspace, counts = built
    expected = BAD_CSV_CASES["text_in_number"]
    data_dir = make_bad_csv_case("text_in_number", csv_sample_dir, tmp_path / "data")

    run = workspace.dbt("build", "--vars", f"{{data_dir: '{data_dir}'}}")

    assert run.returncode != 0, run.describe()
    output = run.stdout + run.stderr
    assert expected.file in output
    assert expected.problem in output
    assert "raw_transactions" in output
    # dbt rebuilds what does not depend on the transactions (seeds, products) from the same
    # sample, so every table still holds what the good build wrote
    assert workspace.table_counts() == counts


def test_failed_dbt_run_keeps_previous_database(built, csv_sample_dir):
    """Good data but a dbt run that fails: the wrapper says so and swaps nothing in."""
    workspace, counts = built
    run = workspace.build(csv_sample_dir, "--no-such-dbt-option")
    assert run.returncode != 0, run.describe()
    assert f"{workspace.database} is unchanged" in run.stderr
    assert_database_intact(workspace, counts)
