"""`make send`: record the production week's sends in the campaign ledger, which no build rewrites.

The ledger is a folder of parquet files beside the database (``<database>.ledger``;
RECSYS_LEDGER names another), one folder per recorded send week, in the hive layout that
DuckDB, Spark, pandas and every parquet reader understand::

    <ledger>/.recsys-ledger                    the marker (and the writers' lock)
    <ledger>/send_week=54/sends.parquet        one row per send, customer and item, as sent
    <ledger>/send_week=54/audience.parquet     one row per channel and customer the week could
                                               reach, with the experiment group they were given
    <ledger>/send_week=54/exports/<list>/...   the export files handed over, per list fingerprint

Recording is atomic: a week's folder is written beside the ledger and renamed into place, and a
replacement is journaled (the old folder is renamed aside first, and put back if the
replacement did not finish), so that a killed `make send` leaves the ledger as it was. It is
idempotent: the same lists again change nothing. Other lists for a week already recorded are
refused unless ``--replace`` is given, and then the replaced rows stay, with ``replaced_at``.

    python -m recsys.ledger [--replace]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from recsys import paths
from recsys.processes import stop_with_parent

REFUSED_EXIT = 2
WEEK_PREFIX = "send_week="
# Where a replacement parks the week it replaces until the new one is in place.
REPLACED_PREFIX = ".replaced-"

SENDS_FILE, AUDIENCE_FILE = "sends.parquet", "audience.parquet"

# The columns of the ledger's files (send_week is the folder's hive partition). The sends:
SEND_COLUMNS = {
    "send_id": pa.string(), "channel": pa.string(), "send_weekday": pa.string(),
    "send_date": pa.date32(), "send_time": pa.string(), "window_end_date": pa.date32(),
    "user_id": pa.int64(),
    "experiment_group": pa.string(), "position": pa.int32(), "item_id": pa.int64(),
    "slot": pa.string(), "price": pa.float64(), "score": pa.float64(),
    "expected_revenue": pa.float64(), "reason": pa.string(), "display_text": pa.string(),
    # what produced the list: the send's own rows, the code, the data and the novelty rule
    "list_fingerprint": pa.string(), "commit": pa.string(), "data_fingerprint": pa.string(),
    "novelty_weeks": pa.int32(),
    "recorded_at": pa.timestamp("us", tz="UTC"), "replaced_at": pa.timestamp("us", tz="UTC"),
}
AUDIENCE_COLUMNS = {
    "channel": pa.string(), "user_id": pa.int64(), "experiment_group": pa.string(),
    "stratum": pa.int32(), "recorded_at": pa.timestamp("us", tz="UTC"),
}


# The dbt source `ledger` (models/staging/__sources.yml): one view per file kind.
LEDGER_SCHEMA = "ledger"
SOURCE_FILES = {"sends": (SENDS_FILE, SEND_COLUMNS), "audience": (AUDIENCE_FILE, AUDIENCE_COLUMNS)}
_SQL_TYPES = {pa.string(): "varchar", pa.date32(): "date", pa.int64(): "bigint", pa.int32(): "integer",
              pa.float64(): "double", pa.timestamp("us", tz="UTC"): "timestamptz"}


class LedgerError(Exception):
    """The ledger cannot be read or written as asked; the message says which file and why."""


def week_folder(ledger: Path, send_week: int) -> Path:
    return ledger / f"{WEEK_PREFIX}{send_week}"


def recorded_weeks(ledger: Path) -> list[int]:
    """The send weeks recorded in ``ledger``, in order (none for a missing ledger)."""
    if not ledger.is_dir():
        return []
    return sorted(int(folder.name[len(WEEK_PREFIX):]) for folder in ledger.glob(WEEK_PREFIX + "*")
                  if folder.name[len(WEEK_PREFIX):].isdigit())


def check(ledger: Path) -> None:
    """Raise :class:`LedgerError` when ``ledger`` is not a ledger (it holds other files) or one of
    its files cannot be read as the ledger's parquet with the ledger's columns."""
    problem = paths.folder_problem(ledger, paths.LEDGER_MARKER, "RECSYS_LEDGER")
    if problem:
        raise LedgerError(problem)
    for send_week in recorded_weeks(ledger):
        for name, columns in ((SENDS_FILE, SEND_COLUMNS), (AUDIENCE_FILE, AUDIENCE_COLUMNS)):
            path = week_folder(ledger, send_week) / name
            try:
                schema = pq.read_schema(path)
            except (OSError, pa.ArrowException) as error:
                raise LedgerError(f"{path}: not a readable ledger file ({str(error).splitlines()[0]})") from None
            missing = [column for column in columns if column not in schema.names]
            if missing:
                raise LedgerError(f"{path}: not a ledger file (no column {', '.join(missing)})")


def views_sql(ledger: Path) -> str:
    """The statements that (re)create the views of the dbt source ``ledger`` over ``ledger``'s
    files, with ``send_week`` from the folder names; typed empty views when nothing is recorded
    (the first week of a campaign). A view reads the files at every query, so it shows the weeks
    recorded after the build too."""
    statements = [f"create schema if not exists {LEDGER_SCHEMA}"]
    for entity, (name, columns) in SOURCE_FILES.items():
        typed = ", ".join(f"cast({column} as {_SQL_TYPES[kind]}) as {column}" for column, kind in columns.items())
        if recorded_weeks(ledger):
            files = str(ledger / f"{WEEK_PREFIX}*" / name).replace("'", "''")
            select = (f"select cast(send_week as integer) as send_week, {typed} "
                      f"from read_parquet('{files}', hive_partitioning = true)")
        else:
            empty = ", ".join(f"cast(null as {_SQL_TYPES[kind]}) as {column}" for column, kind in columns.items())
            select = f"select cast(null as integer) as send_week, {empty} where false"
        statements.append(f"create or replace view {LEDGER_SCHEMA}.{entity} as {select}")
    return ";\n".join(statements)


def spark_sources(spark, ledger: Path) -> dict:
    """The source ``ledger``'s tables as Spark DataFrames, read by Spark from the files (the
    schema of :func:`views_sql`, empty when nothing is recorded)."""
    frames = {}
    for entity, (name, columns) in SOURCE_FILES.items():
        fields = [pa.field("send_week", pa.int32()), *(pa.field(column, kind) for column, kind in columns.items())]
        empty = spark.createDataFrame(pa.schema(fields).empty_table())  # a schema, no rows
        if recorded_weeks(ledger):
            files = spark.read.option("basePath", str(ledger)).parquet(str(ledger / f"{WEEK_PREFIX}*" / name))
            frames[entity] = files.selectExpr(*(f"cast({field.name} as {empty.schema[field.name].dataType.simpleString()})"
                                                f" as {field.name}" for field in fields))
        else:
            frames[entity] = empty
    return frames


@contextmanager
def writing(ledger: Path) -> Iterator[None]:
    """Hold the ledger's write lock (a flock on its marker) and finish an interrupted replacement
    first: its new week folder is in place (the parked one goes, its rows are in the new file)
    or it is not (the parked one comes back)."""
    paths.claim_folder(ledger, paths.LEDGER_MARKER, "RECSYS_LEDGER")
    with open(ledger / paths.LEDGER_MARKER, "rb") as marker:
        try:
            fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LedgerError(f"{ledger} is being written by another `make send`; run again when it "
                              "has finished") from None
        for parked in ledger.glob(REPLACED_PREFIX + "*"):
            live = ledger / parked.name[len(REPLACED_PREFIX):].rsplit("-", 1)[0]
            if live.exists():
                shutil.rmtree(parked)
            else:
                os.rename(parked, live)
        for unfinished in ledger.glob(".building-*"):
            shutil.rmtree(unfinished)
        yield


@dataclass(frozen=True)
class Week:
    """What one build sends in its production week, read from its database."""

    send_week: int
    sends: pa.Table      # SEND_COLUMNS but recorded_at and replaced_at
    audience: pa.Table   # AUDIENCE_COLUMNS but recorded_at
    exports: Path        # the build's export files

    def fingerprints(self) -> dict[str, str]:
        return fingerprints(self.sends)


def fingerprints(sends: pa.Table) -> dict[str, str]:
    """send_id -> the list_fingerprint of its rows."""
    ids, prints = sends["send_id"].to_pylist(), sends["list_fingerprint"].to_pylist()
    return dict(zip(ids, prints))


def read_week(database: Path) -> Week:
    """The production sends of the build in ``database``, with their audience."""
    if not database.is_file():
        raise LedgerError(f"{database}: no database; build it first (make run)")
    con = duckdb.connect(str(database), read_only=True)
    try:
        tables = {name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}
        missing = sorted({"send_list", "send_plan", "send_audience", "build_info"} - tables)
        if missing:
            raise LedgerError(f"{database}: no table {', '.join(missing)}; build it with make run")
        weeks = con.execute("select distinct send_week from send_plan").fetchall()
        if len(weeks) != 1:
            raise LedgerError(f"{database}: send_plan holds {len(weeks)} send weeks, not one")
        sends = con.sql("""
            with lists as (
                select
                    send_list.*,
                    md5(string_agg(send_list.user_id || ':' || send_list.position || ':' || send_list.item_id, ','
                        order by send_list.user_id, send_list.position) over (partition by send_list.send_id))
                        as list_fingerprint
                from send_list
            )
            select
                lists.send_id, lists.channel, send_plan.send_weekday, send_plan.send_date,
                send_plan.send_time, send_plan.window_end_date, lists.user_id,
                send_audience.experiment_group, lists.position,
                lists.item_id, lists.slot, lists.price, lists.score, lists.expected_revenue,
                lists.reason, lists.display_text, lists.list_fingerprint, build_info.commit,
                build_info.data_fingerprint, build_info.novelty_weeks
            from lists
            inner join send_plan
                on lists.send_id = send_plan.send_id
            inner join send_audience
                on lists.channel = send_audience.channel
                and lists.user_id = send_audience.user_id
            cross join build_info
            order by lists.send_id, lists.user_id, lists.position
        """).to_arrow_table()
        audience = con.sql("""
            select channel, user_id, experiment_group, stratum from send_audience
            order by channel, user_id
        """).to_arrow_table()
    finally:
        con.close()
    if sends.num_rows == 0:
        raise LedgerError(f"{database}: send_list is empty; there is nothing to record")
    return Week(weeks[0][0], _typed(sends, SEND_COLUMNS), _typed(audience, AUDIENCE_COLUMNS),
                paths.exports_path(database))


def _typed(table: pa.Table, columns: dict[str, pa.DataType]) -> pa.Table:
    """``table`` with the ledger's types for the columns it has, in the ledger's order."""
    names = [name for name in columns if name in table.column_names]
    return pa.table({name: table[name].cast(columns[name]) for name in names})


def record(ledger: Path, week: Week, replace: bool = False, now: datetime | None = None) -> str:
    """Record ``week`` in ``ledger``; return the one line that says what happened.

    Raise :class:`LedgerError` when the week is recorded already with other lists and
    ``replace`` is false."""
    now = now or datetime.now(timezone.utc)
    with writing(ledger):
        folder = week_folder(ledger, week.send_week)
        previous = pq.read_table(folder / SENDS_FILE) if folder.exists() else None
        current = (previous.filter(pc.is_null(previous["replaced_at"]))
                   if previous is not None else None)
        summary = f"send week {week.send_week} ({len(week.fingerprints())} sends, {week.sends.num_rows} rows)"
        if current is not None and fingerprints(current) == week.fingerprints():
            return f"{summary} is recorded already with the same lists; nothing changed"
        if current is not None and not replace:
            differing = sorted(send for send in set(fingerprints(current)) | set(week.fingerprints())
                               if fingerprints(current).get(send) != week.fingerprints().get(send))
            raise LedgerError(f"send week {week.send_week} is recorded already with other lists "
                              f"({', '.join(differing[:3])}{' ...' if len(differing) > 3 else ''}); "
                              "`make send REPLACE=1` replaces them and keeps the old rows")
        rows = week.sends.append_column("recorded_at", pa.array([now] * week.sends.num_rows,
                                                                 SEND_COLUMNS["recorded_at"]))
        rows = rows.append_column("replaced_at", pa.nulls(rows.num_rows, SEND_COLUMNS["replaced_at"]))
        if previous is not None:
            replaced_at = pc.if_else(pc.is_null(previous["replaced_at"]),
                                     pa.scalar(now, SEND_COLUMNS["replaced_at"]), previous["replaced_at"])
            previous = previous.set_column(previous.schema.get_field_index("replaced_at"), "replaced_at",
                                           replaced_at)
            rows = pa.concat_tables([previous.select(list(SEND_COLUMNS)), rows])
        audience = week.audience.append_column(
            "recorded_at", pa.array([now] * week.audience.num_rows, AUDIENCE_COLUMNS["recorded_at"]))
        _write_week(ledger, folder, rows, audience, week)
        what = "replaced" if previous is not None else "recorded"
        return f"{what} {summary} in {ledger}"


def _write_week(ledger: Path, folder: Path, sends: pa.Table, audience: pa.Table, week: Week) -> None:
    """Write the week's folder beside and swap it in (journaled, see :func:`writing`)."""
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=ledger))
    pq.write_table(sends, building / SENDS_FILE)
    pq.write_table(audience, building / AUDIENCE_FILE)
    exports = building / "exports"
    if folder.exists() and (folder / "exports").is_dir():
        # the files handed over for lists replaced before: kept, as links, not copies
        shutil.copytree(folder / "exports", exports, copy_function=os.link)
    _copy_exports(week, exports / week_fingerprint(week))
    paths.readable_by_all(building)
    _sync(building)
    if folder.exists():
        parked = ledger / f"{REPLACED_PREFIX}{folder.name}-{os.getpid()}"
        os.rename(folder, parked)
        os.rename(building, folder)
        shutil.rmtree(parked)
    else:
        os.rename(building, folder)
    _sync_folder(ledger)


def week_fingerprint(week: Week) -> str:
    digest = hashlib.md5()
    for send_id, fingerprint in sorted(week.fingerprints().items()):
        digest.update(f"{send_id}={fingerprint};".encode())
    return "list=" + digest.hexdigest()[:16]


def _copy_exports(week: Week, target: Path) -> None:
    """The build's export files of the week's sends, as handed over, into ``target``."""
    if target.exists():
        return
    sends = set(week.fingerprints())
    for file in sorted(week.exports.rglob("send_id=*/*")) if week.exports.is_dir() else []:
        if file.parent.name.removeprefix("send_id=") in sends:
            destination = target / file.relative_to(week.exports)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)


def _sync(folder: Path) -> None:
    """Flush the folder's files and folders to disk before the rename that publishes them."""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                os.fsync(handle.fileno())
        _sync_folder(Path(root))


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def main(argv: list[str] | None = None) -> int:
    stop_with_parent()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replace", action="store_true",
                        help="replace the lists of a send week recorded already (the old rows stay, "
                             "with replaced_at)")
    args = parser.parse_args(argv)
    database = paths.database_path()
    ledger = paths.ledger_path(database)
    try:
        check(ledger)
        print(record(ledger, read_week(database), replace=args.replace))
    except (LedgerError, paths.OutputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return REFUSED_EXIT
    return 0


if __name__ == "__main__":
    sys.exit(main())
