"""A real customer_channels.csv in the data folder replaces the simulated reach, and a bad one stops
the build with one line that names it.

The CSV sample gets a customer_channels.csv with some of its customers on e-mail and push (one line
twice, one channel spelled in capitals). The build must take exactly those opt-ins (source file,
nothing simulated), keep the receipt for the recent store shoppers, and send the e-mails only to
the file's e-mail customers. Each bad copy of the file must fail before dbt starts, with one line,
and leave the database as it was.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

FILE = "customer_channels.csv"


def sample_customers(data_dir) -> list[int]:
    con = duckdb.connect()
    rows = con.execute(f"""
        select distinct cast(household_key as bigint) as user_id
        from read_csv('{data_dir / "retail_train.csv"}', header = true)
        order by user_id
    """).fetchall()
    con.close()
    return [user_id for (user_id,) in rows]


def write_opt_ins(folder, lines: list[tuple[object, str]]) -> None:
    (folder / FILE).write_text("user_id,channel\n" + "".join(f"{user},{channel}\n"
                                                           for user, channel in lines))


@pytest.fixture(scope="module")
def opt_ins(tmp_path_factory, csv_sample_dir):
    """The sample with a customer_channels.csv: (data folder, the expected {(user, channel)})."""
    folder = tmp_path_factory.mktemp("channels_data") / "data"
    shutil.copytree(csv_sample_dir, folder)
    customers = sample_customers(folder)
    email, push = customers[:8], customers[4:24]
    lines = [(user, "email") for user in email] + [(user, "push") for user in push]
    lines += [(email[0], "email"), (push[-1], "PUSH")]   # a repeated line, a capitalised channel
    write_opt_ins(folder, lines)
    expected = {(user, "email") for user in email} | {(user, "push") for user in push}
    return folder, expected


@pytest.fixture(scope="module")
def built(new_workspace, opt_ins):
    data_dir, _ = opt_ins
    workspace = new_workspace("customer_channels")
    run = workspace.build(data_dir)
    assert run.returncode == 0, run.describe()
    return workspace


def test_file_replaces_the_simulated_reach(built, opt_ins):
    _, expected = opt_ins
    con = built.connect()
    try:
        rows = con.execute("""
            select customer_channels.user_id, customer_channels.channel, customer_channels.source
            from customer_channels
            inner join channels on customer_channels.channel = channels.channel
            where channels.reach = 'opt_in'
        """).fetchall()
        assert {(user, channel) for user, channel, _ in rows} == expected
        assert len(rows) == len(expected)
        assert {source for _, _, source in rows} == {"file"}
        # the receipt still reaches the recent store shoppers, from the transactions
        receipt = con.execute("""
            select count(*), list(distinct source) from customer_channels where channel = 'receipt'
        """).fetchall()[0]
        assert receipt[0] > 0 and receipt[1] == ["transactions"], receipt
        # e-mails go only to the file's e-mail customers
        emailed = {user for (user,) in con.execute(
            "select distinct user_id from send_list where channel = 'email'").fetchall()}
        assert emailed and emailed <= {user for user, channel in expected if channel == "email"}
    finally:
        con.close()


@pytest.mark.parametrize("case, line, problem", [
    ("unknown_channel", (None, "fax"), "column CHANNEL: 'fax' is not an opt-in channel"),
    ("store_channel", (None, "receipt"), "column CHANNEL: 'receipt' is not an opt-in channel"),
    ("unknown_user", (987654321, "email"), "column USER_ID: '987654321' is not a customer"),
    ("bad_id", ("12x", "email"), "column USER_ID: '12x' is not a number"),
])
def test_bad_file_fails_with_one_line(built, opt_ins, tmp_path, case, line, problem):
    data_dir, expected = opt_ins
    counts = built.table_counts()
    folder = tmp_path / "data"
    shutil.copytree(data_dir, folder)
    good = sorted(expected)
    user, channel = line
    # the bad line is the fourth line of the file, after the header and two good lines
    write_opt_ins(folder, [*good[:2], (good[0][0] if user is None else user, channel), *good[2:]])

    run = built.build(folder)

    assert run.returncode != 0, run.describe()
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith(f"error: {folder / FILE}: line 4, {problem}"), lines[0]
    assert "Running with dbt" not in run.stdout
    assert built.table_counts() == counts
