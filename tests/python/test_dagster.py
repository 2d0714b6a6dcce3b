"""Dagster runs the weekly routine (src/recsys/orchestration.py, docs/orchestration.md): the
definitions load, the schedule ticks before the first send of Wednesday and of Friday, the sensor
starts the job on a new or changed data file only, one run of the job builds through
recsys.build and records the send, and the UI loads in headless Chromium with no console error.

The job runs on a copy of the session's CSV sample build and rebuilds only ``send_list`` (a
build with a selection starts from the live database), so this file adds no full build.
"""

import csv
import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest
from dagster._utils.schedules import schedule_execution_time_iterator

from recsys import browser, ledger, paths

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dagster_home(tmp_path_factory) -> Path:
    """A DAGSTER_HOME of the tests' own, with the project's instance settings."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copyfile(REPO / "dagster-instance.yaml", home / "dagster.yaml")
    return home


@pytest.fixture(scope="module")
def orchestration(dagster_home):
    """The Definitions module, loaded with DAGSTER_HOME in a tmp folder (it parses dbt there)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", str(dagster_home))
        return importlib.import_module("recsys.orchestration")


def test_the_definitions_load(orchestration):
    defs = orchestration.defs
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {dg.AssetKey("send_list"), dg.AssetKey("metrics_at_k"), orchestration.LEDGER_KEY} <= keys
    assert len(list(orchestration.dbt_project.check_specs)) > 100, "the dbt tests, as asset checks"
    job = defs.resolve_job_def("weekly_campaign")
    assert defs.resolve_schedule_def("campaign_calendar").job_name == job.name
    assert defs.resolve_sensor_def("new_data_files").job_name == job.name
    # the ledger comes after the build: it depends on the send list
    ledger_parents = defs.resolve_asset_graph().get(orchestration.LEDGER_KEY).parent_keys
    assert dg.AssetKey("send_list") in ledger_parents


def first_sends() -> dict[str, str]:
    """The time of each weekday's first send, from the seed that schedules them."""
    with open(REPO / "seeds" / "send_schedule.csv") as seed:
        rows = list(csv.DictReader(seed))
    return {day: min(row["send_time"] for row in rows if row["send_weekday"] == day)
            for day in {row["send_weekday"] for row in rows}}


def test_the_schedule_ticks_before_the_first_send_of_wednesday_and_friday(orchestration):
    schedule = orchestration.defs.resolve_schedule_def("campaign_calendar")
    zone = ZoneInfo(schedule.execution_timezone)
    start = datetime(2026, 3, 2, tzinfo=zone)  # a Monday; the zone changes to summer time on the 8th
    ticks = schedule_execution_time_iterator(start.timestamp(), schedule.cron_schedule,
                                             schedule.execution_timezone)
    upcoming = [next(ticks) for _ in range(6)]
    assert [(tick.strftime("%A"), tick.hour) for tick in upcoming] == [
        ("Wednesday", 5), ("Friday", 6), ("Wednesday", 5), ("Friday", 6), ("Wednesday", 5), ("Friday", 6)]
    assert {tick.utcoffset().total_seconds() / 3600 for tick in upcoming} == {-5, -4}, "store time"
    first = first_sends()
    assert all(tick.strftime("%H:%M") < first[tick.strftime("%A")] for tick in upcoming), first
    # Wednesday builds and records; Friday only records, the week's lists being built
    wednesday, friday = (schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=tick))
                         for tick in upcoming[:2])
    assert [request.asset_selection for request in wednesday.run_requests] == [None]
    assert [request.asset_selection for request in friday.run_requests] == [[orchestration.LEDGER_KEY]]


def test_the_sensor_starts_the_job_on_a_new_or_changed_data_file(orchestration, tmp_path, monkeypatch):
    sensor = orchestration.defs.resolve_sensor_def("new_data_files")
    cursor = None

    def look() -> int:
        nonlocal cursor
        result = sensor.evaluate_tick(dg.build_sensor_context(cursor=cursor))
        cursor = result.cursor or cursor
        return len(result.run_requests or [])

    monkeypatch.delenv("DATA_DIR", raising=False)
    assert look() == 0, "no DATA_DIR: nothing to watch"
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    (tmp_path / "retail_train.csv").write_text("old")
    assert look() == 0, "the first look only takes note of the files"
    assert look() == 0, "nothing changed"
    (tmp_path / "product.csv").write_text("new")
    assert look() == 1, "a new file"
    assert look() == 0
    (tmp_path / "notes.txt").write_text("not data")
    assert look() == 0, "a file the build does not read"
    changed = tmp_path / "retail_train.csv"
    os.utime(changed, (changed.stat().st_atime, changed.stat().st_mtime + 60))
    assert look() == 1, "a changed file"


def test_a_run_of_the_job_builds_the_send_list_and_records_it(orchestration, csv_sample_build, csv_sample_dir,
                                                             new_workspace, monkeypatch):
    sample, _ = csv_sample_build
    workspace = new_workspace("dagster_job")
    workspace.copy_database(sample)
    for name, value in {**workspace.env, "DATA_DIR": str(csv_sample_dir)}.items():
        monkeypatch.setenv(name, value)
    job = orchestration.defs.resolve_job_def("weekly_campaign")
    result = job.execute_in_process(asset_selection=[dg.AssetKey("send_list"), orchestration.LEDGER_KEY],
                                    instance=dg.DagsterInstance.ephemeral())
    assert result.success
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    assert materialized == {dg.AssetKey("send_list"), orchestration.LEDGER_KEY}
    checks = result.get_asset_check_evaluations()
    assert checks and all(check.passed for check in checks), "send_list's dbt tests, as asset checks"
    assert workspace.staging_folders() == [], "built through recsys.build, which swapped the database in"
    con = workspace.connect()
    try:
        (send_week,) = con.execute("select distinct send_week from send_plan").fetchone()
        (rows,) = con.execute("select count(*) from send_list").fetchone()
    finally:
        con.close()
    where = paths.ledger_path(workspace.database)
    assert ledger.recorded_weeks(where) == [send_week]
    sends = ledger.week_folder(where, send_week) / ledger.SENDS_FILE
    assert duckdb.connect().execute(f"select count(*) from '{sends}'").fetchone()[0] == rows > 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_ui_loads_in_chromium_without_console_errors(orchestration, dagster_home, tmp_path):
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-m", "recsys.orchestration",
         "-h", "127.0.0.1", "-p", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "webserver.log", "w"),
        env={**os.environ, "DAGSTER_HOME": str(dagster_home), "RECSYS_DB": str(tmp_path / "recsys.duckdb")})
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "webserver.log").read_text()[-3000:]
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "dagster-webserver did not answer in 120 s"
                time.sleep(1)
        with browser.open_page(f"{url}/locations/recsys.orchestration/jobs/weekly_campaign") as (page, log):
            page.get_by_text("2 schedules/sensors").wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            title = page.title()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert log.console_errors == [], log.console_errors
    assert log.requests == [], f"the UI asked the network for {log.requests}"
    assert "weekly_campaign" in title, title
