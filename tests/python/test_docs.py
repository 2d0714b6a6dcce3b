"""The documentation holds together: every relative link of README.md, docs/ and bench/ reaches an
existing file (and heading), the README stays short and starts with the two commands, it links
every docs page, and docs/configuration.md names every var of dbt_project.yml. No dbt build."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = sorted([README, *(REPO / "docs").rglob("*.md"), *(REPO / "bench").glob("*.md")])
README_MAX_LINES = 250

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target); the target ends at whitespace (an optional "title" follows)
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def links(path: Path) -> list[tuple[int, str]]:
    """(line number, target) of every link and image of a markdown file, outside code."""
    found = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        reference = REFERENCE_LINK.match(line)
        if reference:
            found.append((number, reference.group(1)))
            continue
        found += [(number, match.group(1)) for match in INLINE_LINK.finditer(INLINE_CODE.sub("", line))]
    return found


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: its text as rendered (code spans and link texts kept), lower
    case, every character but letters, digits, '-', '_' and spaces dropped, spaces to '-'."""
    text = INLINE_CODE.sub(lambda match: match.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a markdown file's headings; repeated headings get -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    result = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if not heading:
            continue
        anchor = github_anchor(heading.group(2))
        result.add(anchor if anchor not in seen else f"{anchor}-{seen[anchor]}")
        seen[anchor] = seen.get(anchor, 0) + 1
    return result


def broken_links(path: Path, root: Path = REPO) -> list[str]:
    """One line per link of ``path`` whose file or heading does not exist (paths shown from ``root``)."""
    problems = []
    for number, target in links(path):
        if SCHEME.match(target):  # https:, mailto: ...: not checked here
            continue
        file_part, _, fragment = unquote(target).partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(root)}:{number}: {target}"
        if not resolved.exists():
            problems.append(f"{where}: no such file {resolved}")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
            problems.append(f"{where}: no heading #{fragment} in {resolved.relative_to(root)}")
    return problems


def test_the_pages_are_found():
    names = {str(path.relative_to(REPO)) for path in PAGES}
    assert {"README.md", "docs/configuration.md", "docs/operations.md", "bench/history.md"} <= names, names


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(REPO)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_links_and_anchors_are_read_as_github_does(tmp_path):
    target = tmp_path / "target.md"
    target.write_text("# How `make run` replaces the database\n\n## Files, beside it\n\n## Files, beside it\n"
                      "```\n# not a heading\n```\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](target.md#how-make-run-replaces-the-database) ![img](target.md)\n"
                    "[ok](target.md#files-beside-it-1) [web](https://example.org/x#y) `[code](missing.md)`\n"
                    "[bad anchor](target.md#not-a-heading) [bad file](missing.md)\n"
                    "[self](#nowhere)\n")
    assert anchors(target) == {"how-make-run-replaces-the-database", "files-beside-it", "files-beside-it-1"}
    targets = [target for _, target in links(page)]
    assert targets == ["target.md#how-make-run-replaces-the-database", "target.md",
                       "target.md#files-beside-it-1", "https://example.org/x#y",
                       "target.md#not-a-heading", "missing.md", "#nowhere"]
    problems = broken_links(page, root=tmp_path)
    assert [problem.split(": ")[1] for problem in problems] == [
        "target.md#not-a-heading", "missing.md", "#nowhere"], problems


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines, at most {README_MAX_LINES}"


def test_readme_starts_with_the_two_commands():
    lines = [line for line in README.read_text(encoding="utf-8").splitlines() if line.strip()]
    if lines[0].startswith("# "):  # the title
        lines = lines[1:]
    assert FENCE.match(lines[0]), f"README.md must start with a code block, not {lines[0]!r}"
    block = []
    for line in lines[1:]:
        if FENCE.match(line):
            break
        block.append(line.split("#")[0].strip())  # the command, without its comment
    assert block[:2] == ["make run", "make test"], block


def test_readme_links_every_docs_page():
    linked = {(README.parent / unquote(target).partition("#")[0]).resolve()
              for _, target in links(README) if not SCHEME.match(target)}
    pages = set((REPO / "docs").glob("*.md"))
    assert pages and pages <= linked, sorted(str(page.relative_to(REPO)) for page in pages - linked)


def test_configuration_names_every_var():
    variables = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in variables if f"`{name}`" not in page]
    assert variables and missing == [], missing


@pytest.mark.parametrize("name", ["RECSYS_DB", "RECSYS_EXPORTS", "RECSYS_MEMORY_LIMIT", "RECSYS_MAX_TEMP_SIZE",
                                  "RECSYS_SPARK_MASTER", "RECSYS_SPARK_DRIVER_MEMORY",
                                  "RECSYS_SPARK_WAREHOUSE", "DATA_DIR", "TARGET"])
def test_configuration_names_every_environment_variable(name):
    assert f"`{name}`" in (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_every_environment_variable_the_code_reads_is_documented():
    sources = [*(REPO / "src").rglob("*.py"), REPO / "profiles.yml", *(REPO / "macros").rglob("*.sql")]
    read = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r"env_var\(\s*['\"](\w+)['\"]", text))
        read |= set(re.findall(r"os\.environ(?:\.get)?[\[(]\s*['\"](\w+)['\"]", text))
    page = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert {"RECSYS_DB", "DATA_DIR"} <= read, read
    assert sorted(name for name in read if f"`{name}`" not in page) == []
