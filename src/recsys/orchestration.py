"""Dagster runs the weekly routine on the campaign's calendar (docs/orchestration.md).

Why: by hand the routine is new data in, `make run`, `make send`, every week, before the
Wednesday 07:00 receipts. Dagster starts it on time and when new data lands, keeps each run's
log, and shows the dbt lineage. It changes none of the steps: the dbt assets are materialized
by ``python -m recsys.build`` (the build lock, every dbt test, the atomic swap of the database
and its exports), never by a plain `dbt build`, which would replace the tables one at a time;
the ledger asset is ``python -m recsys.ledger``, what `make send` runs.

- ``weekly_campaign``: the job, the build then the send.
- the schedule: Wednesday 05:00 the whole job; Friday 06:00 the send step alone, which records
  nothing new and fails if the lists changed since Wednesday's record, before Friday's sends go
  out. Times are the stores' (:data:`TIMEZONE`; seeds/send_schedule.csv has the send times).
- ``new_data_files``: the sensor that starts the job when a data file in DATA_DIR is new or changed.

The dbt manifest is parsed when the module loads (into ``$DAGSTER_HOME/dbt``, apart from dbt's
own and the builds' target folders), so a clean clone needs no step before `make dagster`.
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import dbt_assets

from recsys import build, paths, sources

# The send times of seeds/send_schedule.csv are store time; the Complete Journey comes from a
# US retailer (84.51°, Cincinnati). Set your stores' zone here.
TIMEZONE = "America/New_York"
# Wednesday: build and record before the first send (receipts, 07:00). Friday: the send step
# again before Friday's first send (receipts, 07:00).
BUILD_AND_SEND_CRON, SEND_CRON = "0 5 * * 3", "0 6 * * 5"
LEDGER_KEY = dg.AssetKey("campaign_ledger")
DATA_FILES = {raw.name.lower() for layout in sources.LAYOUTS.values() for raw in layout.values()}


def parse_manifest(folder: Path) -> dict:
    """``dbt parse`` into ``folder`` and its manifest, one process at a time: the code location and
    each run's process load this module, and dbt's partial parsing keeps a reparse to seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "parse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([str(Path(sys.executable).with_name("dbt")), "parse", "--quiet",
                        "--target-path", str(folder), "--log-path", str(folder)], cwd=paths.REPO, check=True)
        return json.loads((folder / "manifest.json").read_text())


MANIFEST = parse_manifest(Path(os.environ.get("DAGSTER_HOME") or paths.REPO / ".dagster") / "dbt")


def run_step(context: dg.AssetExecutionContext, module: str, *args: str) -> str:
    """``python -m module args`` from the repo root, its output in the step's log; its last line."""
    # RECSYS_STOP_WITH_PARENT: a run that is stopped or dies takes the build and dbt with it
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=paths.REPO, capture_output=True,
                            text=True, env={**os.environ, "RECSYS_STOP_WITH_PARENT": "1"})
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise dg.Failure(f"python -m {module} exited {result.returncode}",
                         metadata={"stderr": result.stderr[-2000:]})
    last = (result.stdout.strip().splitlines() or [f"python -m {module}: done"])[-1]
    context.log.info(last)
    return last


@dbt_assets(manifest=MANIFEST)
def dbt_project(context: dg.AssetExecutionContext):
    """The dbt project, built by recsys.build; a selection of it with ``--select``."""
    models = {spec.metadata["dagster_dbt/unique_id"]: spec.key for spec in context.assets_def.specs}
    tests = {spec.metadata["dagster_dbt/unique_id"]: spec.key for spec in context.assets_def.check_specs}
    selected = [uid.split(".")[-1] for uid, key in models.items() if key in context.selected_asset_keys]
    run_step(context, "recsys.build", *(["--", "--select", *selected] if context.is_subset else []))
    target = Path(build.dbt_environment(paths.database_path())["DBT_TARGET_PATH"])
    # in the order dbt ran them, as Dagster wants: a model after its parents, a test after its model
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        model, test, status = models.get(result["unique_id"]), tests.get(result["unique_id"]), result["status"]
        if model in context.selected_asset_keys and status == "success":
            yield dg.MaterializeResult(asset_key=model)
        elif test in context.selected_asset_check_keys:
            severity = dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR
            yield dg.AssetCheckResult(asset_key=test.asset_key, check_name=test.name,
                                      passed=status == "pass", severity=severity)


@dg.asset(key=LEDGER_KEY, group_name="campaigns",
          deps=[dg.AssetKey(name) for name in ("send_list", "send_plan", "send_audience", "build_info")])
def campaign_ledger(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The production week's sends recorded in the ledger beside the database (`make send`)."""
    return dg.MaterializeResult(metadata={"result": run_step(context, "recsys.ledger")})


weekly_campaign = dg.define_asset_job(
    "weekly_campaign", selection=dg.AssetSelection.assets(dbt_project, campaign_ledger),
    description="make run, then make send: the build (lock, tests, swap) and the ledger's record")


@dg.schedule(job=weekly_campaign, cron_schedule=[BUILD_AND_SEND_CRON, SEND_CRON],
             execution_timezone=TIMEZONE, default_status=dg.DefaultScheduleStatus.RUNNING)
def campaign_calendar(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Wednesday: build and record the week. Friday: the send step alone (see the module)."""
    if context.scheduled_execution_time.strftime("%A") == "Friday":
        return dg.RunRequest(asset_selection=[LEDGER_KEY])
    return dg.RunRequest()


def data_files(folder: Path) -> dict[str, float]:
    """The build's input files in ``folder`` (sources.LAYOUTS), by name, with their mtimes."""
    return {path.name: path.stat().st_mtime for path in sorted(folder.iterdir())
            if path.is_file() and path.name.lower() in DATA_FILES}


@dg.sensor(job=weekly_campaign, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def new_data_files(context: dg.SensorEvaluationContext):
    """Start the job when a data file in DATA_DIR is new or has changed since the last look.

    The cursor holds the files' names and mtimes; the first look only takes note of them, so
    that starting Dagster starts no build.
    """
    folder = os.environ.get("DATA_DIR")
    if not folder or not Path(folder).is_dir():
        return dg.SkipReason(f"DATA_DIR {'is not set' if not folder else folder + ' is no folder'}; "
                             "the schedule alone starts the job")
    cursor = json.dumps(data_files(Path(folder)), sort_keys=True)
    previous = context.cursor
    context.update_cursor(cursor)
    if previous is None or previous == cursor:
        return dg.SkipReason(f"no new or changed file in {folder}")
    return dg.RunRequest(run_key=hashlib.md5(cursor.encode()).hexdigest())


defs = dg.Definitions(assets=[dbt_project, campaign_ledger], jobs=[weekly_campaign],
                      schedules=[campaign_calendar], sensors=[new_data_files])
