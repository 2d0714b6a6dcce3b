# One row: what built this database. `make send` records it with every send, so that a list in the
# campaign ledger names the code and the data it came from. The logic lives in recsys.sources.
import subprocess
from datetime import datetime, timezone

import pyarrow as pa

from recsys import frames, sources
from recsys.paths import REPO


def git(*args):
    result = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else ""


def model(dbt, session):
    # each config.get on a line of its own: dbt's parser misses one inside an `or`
    data_dir = dbt.config.get("data_dir")
    last_data_week = dbt.config.get("last_data_week")
    novelty_weeks = dbt.config.get("novelty_weeks")
    source = sources.locate(data_dir or None)
    commit = git("rev-parse", "HEAD") or "unknown"
    if git("status", "--porcelain", "--untracked-files=no"):
        commit += "-modified"  # uncommitted changes to tracked files: the commit alone is not the code
    return frames.from_arrow(pa.table({
        "commit": [commit],
        "data_folder": [str(source.folder)],
        "data_layout": [source.layout],
        "data_fingerprint": [sources.fingerprint(source)],
        "last_data_week": pa.array([int(last_data_week) if last_data_week else None], pa.int32()),
        "novelty_weeks": pa.array([int(novelty_weeks)], pa.int32()),
        "built_at": pa.array([datetime.now(timezone.utc)], pa.timestamp("us", tz="UTC")),
    }), session)
