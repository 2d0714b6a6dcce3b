"""Open the HTML report (offline) or Dagster's local UI in Debian's headless Chromium.

Used by the browser test and to make the README's chart picture:

    python -m recsys.browser report.html --chart strategy-metrics docs/report_strategy_metrics.png

Playwright drives the system Chromium (``/usr/bin/chromium``, `make test` installs it): the
playwright wheel ships its driver, but its own browser download cannot reach its host here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")

# Headless in a container as root, and nothing that phones home: the report must need no network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Per chart (a div with data-chart): the plotly marks drawn, i.e. the SVG paths of its traces
# (points, line segments, bars, funnel bars) that have an area or a length on the page. An empty
# figure draws none; legend swatches are not traces and do not count.
COUNT_MARKS = """() => Object.fromEntries(
    [...document.querySelectorAll('[data-chart]')].map(chart => [
        chart.dataset.chart,
        [...chart.querySelectorAll('g.trace path')].filter(path => {
            const box = path.getBBox();
            return box.width > 0 || box.height > 0;
        }).length,
    ]))"""


@dataclass
class PageLog:
    """What went wrong while the page loaded: console errors, page errors, network requests."""
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def open_page(page_at: Path | str, width: int = 1200) -> Iterator[tuple[Page, PageLog]]:
    """``page_at`` loaded in a fresh headless Chromium: an HTML file with the network off, or a
    URL of a server on this machine (Dagster's UI) with the network limited to that server.

    Every request that is not for a ``file:`` or ``data:`` URL, or the server's, is blocked and
    recorded in the log, as are console errors and uncaught exceptions.
    """
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM}: not installed (apt-get install chromium; "
                                "make test does it)")
    url = page_at if isinstance(page_at, str) else page_at.resolve().as_uri()
    server = "/".join(url.split("/")[:3]) + "/" if url.startswith("http") else None
    log = PageLog()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            offline=server is None, viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            page.on("console", lambda message: message.type == "error"
                    and log.console_errors.append(message.text))
            page.on("pageerror", lambda error: log.console_errors.append(str(error)))

            def block(route):
                if (route.request.url.split(":", 1)[0] in ("file", "data")
                        or server and route.request.url.startswith(server)):
                    route.continue_()
                else:
                    log.requests.append(route.request.url)
                    route.abort()
            page.route("**/*", block)
            page.goto(url, wait_until="load")
            # plotly draws on load; wait until every chart holds its plot layer
            page.wait_for_function("""() => [...document.querySelectorAll('[data-chart]')]
                .every(chart => chart.querySelector('.main-svg'))""", timeout=30_000)
            yield page, log
        finally:
            context.close()


def chart_marks(page: Page) -> dict[str, int]:
    """Marks drawn per chart, by the chart's data-chart name."""
    return page.evaluate(COUNT_MARKS)


def screenshot_chart(html_file: Path, chart: str, png: Path) -> Path:
    """A PNG of one chart of the report, as Chromium draws it."""
    with open_page(html_file) as (page, _):
        page.locator(f'[data-chart="{chart}"]').screenshot(path=str(png))
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshot one chart of the HTML report.")
    parser.add_argument("html", type=Path)
    parser.add_argument("--chart", required=True, help="the chart's data-chart name")
    parser.add_argument("png", type=Path)
    args = parser.parse_args(argv)
    print(f"wrote {screenshot_chart(args.html, args.chart, args.png)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
