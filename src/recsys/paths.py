"""Where a database's files lie, and which of them a build may replace.

Everything a database's builds write sits beside it under its own name, so that two databases in
one folder never touch each other's files:

    recsys.duckdb              the database (RECSYS_DB names another file)
    recsys.duckdb.lock         the build lock
    recsys.duckdb.exports/     the send files of the last build (RECSYS_EXPORTS names another folder)
    recsys.duckdb.report.html  the report
    recsys.duckdb.ledger/      the sends recorded by `make send` (RECSYS_LEDGER names another folder)
    recsys.duckdb.logs/        dbt's log of the wrapped builds
    recsys.duckdb.target/      dbt's target folder of the wrapped builds

A build only ever replaces what this project wrote: an exports or ledger folder must be missing,
empty, or hold the project's marker file (or be a link to such a folder), and a report must be
one that the report module wrote. Anything else is refused before any work starts.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Marker files: a folder that holds one was made by this project, and a build may replace it.
EXPORTS_MARKER = ".recsys-exports"
LEDGER_MARKER = ".recsys-ledger"
# The report's HTML carries this tag; a file at the report's path without it is not ours.
REPORT_GENERATOR = '<meta name="generator" content="recsys.report">'


def from_repo(path: str | os.PathLike) -> Path:
    """A path from the environment: absolute, or relative to the repo root as dbt reads it."""
    return Path(path) if Path(path).is_absolute() else REPO / path


def database_path() -> Path:
    """The database that profiles.yml names: RECSYS_DB, relative to the repo root, or recsys.duckdb."""
    return from_repo(os.environ.get("RECSYS_DB", "recsys.duckdb"))


def beside(database: Path, suffix: str) -> Path:
    """``<database>.<suffix>``: a file or folder that belongs to one database."""
    return database.with_name(f"{database.name}.{suffix}")


def exports_path(database: Path) -> Path:
    """The live exports folder: RECSYS_EXPORTS, or ``<database>.exports``."""
    folder = os.environ.get("RECSYS_EXPORTS")
    return from_repo(folder) if folder else beside(database, "exports")


def ledger_path(database: Path) -> Path:
    """The ledger of recorded sends: RECSYS_LEDGER, or ``<database>.ledger``."""
    folder = os.environ.get("RECSYS_LEDGER")
    return from_repo(folder) if folder else beside(database, "ledger")


def report_path(database: Path) -> Path:
    return beside(database, "report.html")


def named(path: Path, variable: str) -> str:
    """How a message names ``path``: as the environment variable that set it, if one did."""
    return f"{variable}={os.environ[variable]}" if os.environ.get(variable) else str(path)


def folder_problem(path: Path, marker: str, variable: str) -> str:
    """'' when a build may replace the folder ``path``, else the one-line reason it may not.

    Replaceable: missing, an empty folder, a folder that holds ``marker``, or a link to one of
    those. Anything else holds what a user put there.
    """
    if not os.path.lexists(path):
        return ""
    target = path.resolve() if path.is_symlink() else path
    if path.is_symlink() and not target.exists():
        return ""  # a link left dangling: replacing it removes nothing but the link
    if not target.is_dir():
        return f"{named(path, variable)} is a file, not a folder; choose an empty folder"
    # emptiness first, the marker second: the claim writes the marker before anything else, so
    # content seen here means the marker is there, even while another export claims the folder
    # (in the other order, a marker written between the two looks was taken for a user's file)
    if not any(target.iterdir()) or (target / marker).is_file():
        return ""
    return f"{named(path, variable)} holds files this project did not write; choose an empty folder"


def claim_folder(path: Path, marker: str, variable: str) -> None:
    """Create ``path`` if needed and mark it as this project's; raise if it holds other files."""
    problem = folder_problem(path, marker, variable)
    if problem:
        raise OutputError(problem)
    folder = path.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    (folder / marker).touch()


def database_problem(database: Path) -> str:
    """'' when a build can write ``database`` (a file that may not exist yet), else why not."""
    name = named(database, "RECSYS_DB")
    if database.is_dir():
        return f"{name} is a folder; name a database file"
    folder = database.parent
    while not folder.exists():  # the build creates missing folders, from the first existing one
        folder = folder.parent
    if not folder.is_dir():
        return f"{name}: {folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"{name}: no permission to write in {folder}"
    return ""


def report_problem(path: Path) -> str:
    """'' when the report may be written to ``path``: missing, or a report this project wrote."""
    if not os.path.lexists(path):
        return ""
    if path.is_file():
        with open(path, "rb") as report:
            if REPORT_GENERATOR.encode() in report.read(4096):
                return ""
    return f"{path} is not a report this project wrote; move it away or name another file"


class OutputError(Exception):
    """A path the build would write holds something this project did not write."""


def readable_by_all(folder: Path) -> None:
    """Folders 0755 and files 0644 below and at ``folder``, whatever the umask was."""
    folder.chmod(0o755)
    for root, folders, files in os.walk(folder):
        for name in folders:
            os.chmod(os.path.join(root, name), 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
