"""`make report`: one self-contained HTML file, ``report.html``, beside the database.

The report reads the database read-only and shows what the build measured: the strategies'
precision, the e-mail's slots, the cleaning funnel, prices against upsell thresholds, catalog
coverage and three example e-mails. Charts are plotly figures; plotly.js is inlined once, so the
file opens offline and can be mailed as it is.

A section is a small function registered with :func:`section` that names the tables it reads.
It is skipped when one of them is missing (a narrowed build, a table another feature adds
later); every table of :data:`EXTRA_TABLES` that no section charts still appears, as a plain
table. Adding a chart for one of them is one more decorated function.

    python -m recsys.report [--database FILE] [--output FILE]
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

# Tables that other features of the build add (campaigns, measurement, ranker). Until a section
# charts one of them, it is shown as a plain table when the database has it.
EXTRA_TABLES = (
    "customer_channels", "send_plan", "send_list", "metrics_by_send",
    "experiment_goal", "experiment_power", "experiment_aa", "experiment_readout",
    "candidate_recall", "calibration",
)

# A plain table shows at most this many rows: a report is read, not scrolled through.
MAX_TABLE_ROWS = 50

# Example e-mails shown as a customer sees them.
EXAMPLE_EMAILS = 3

SLOT_LABELS = {"promo": "On promotion", "new": "New for you", "upsell": "Treat yourself"}

PLOT_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class Section:
    title: str
    tables: tuple[str, ...]
    render: Callable[[duckdb.DuckDBPyConnection], str]


SECTIONS: list[Section] = []


def section(title: str, *tables: str):
    """Register a section that needs ``tables``; its function returns the section's HTML body."""
    def register(render):
        SECTIONS.append(Section(title, tables, render))
        return render
    return register


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def chart(fig: go.Figure, name: str) -> str:
    """The figure as a div (plotly.js is in the page head once); ``data-chart`` names it."""
    fig.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=50, b=50))
    div = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG,
                      div_id=f"chart-{name}")
    return f'<div class="chart" data-chart="{name}">{div}</div>'


def cell(value) -> str:
    """A table cell: nothing for a missing value, four significant digits for a float."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def plain_table(df: pd.DataFrame, max_rows: int = MAX_TABLE_ROWS, total: int | None = None) -> str:
    """``df`` as an HTML table (values escaped), cut to ``max_rows`` with a note saying so.

    ``total``: the rows of the whole table when ``df`` holds only its first rows.
    """
    total = len(df) if total is None else total
    shown = df.head(max_rows).astype(object).map(cell)
    note = (f"<p class=note>First {len(shown)} of {total:,} rows.</p>"
            if total > len(shown) else "")
    return shown.to_html(index=False, border=0, classes="data", escape=True) + note


def table_head(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The first rows of ``table`` as a plain table: a send list may hold millions."""
    (total,) = con.execute(f'select count(*) from "{table}"').fetchone()
    return plain_table(frame(con, f'select * from "{table}" limit {MAX_TABLE_ROWS}'),
                       total=total)


def paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


# --- sections ------------------------------------------------------------------------------

@section("Build at a glance", "int_cutoffs", "email_recommendations")
def overview(con) -> str:
    cutoffs = frame(con, "select * from int_cutoffs order by cutoff_week desc")
    emails = frame(con, """
        select send_week, count(distinct user_id) as customers, count(*) as items,
               min(promo_week) as promo_week, min(promo_source) as promo_source
        from email_recommendations group by send_week order by send_week
    """)
    return (paragraph("The cutoffs of this build (the last week each may see) and the e-mails "
                      "of the production cutoff.")
            + plain_table(cutoffs) + plain_table(emails))


@section("How good is each strategy", "metrics_at_k")
def strategy_metrics(con) -> str:
    metrics = frame(con, """
        select cutoff_week, strategy, k, n_users, precision, money_precision
        from metrics_at_k order by cutoff_week, strategy, k
    """)
    long = metrics.melt(id_vars=["cutoff_week", "strategy", "k", "n_users"],
                        value_vars=["precision", "money_precision"], var_name="metric")
    long["fold"] = "backtest cutoff week " + long["cutoff_week"].astype(str)
    fig = px.line(long, x="k", y="value", color="strategy", facet_col="metric",
                  facet_row="fold", markers=True, hover_data=["n_users"],
                  labels={"value": "share of the items bought"},
                  title="Precision and money precision at k, per backtest fold")
    fig.for_each_annotation(lambda note: note.update(text=note.text.split("=")[-1]))
    fig.update_xaxes(tickvals=sorted(metrics["k"].unique()))
    fig.update_yaxes(rangemode="tozero", tickformat=".0%")
    fig.update_layout(height=320 + 260 * metrics["cutoff_week"].nunique())
    return (paragraph("Share of the first k recommended items that the customer bought in the "
                      "test window (money precision weighs each item by its price), over the "
                      "evaluated customers of each fold.")
            + chart(fig, "strategy-metrics"))


@section("Which e-mail slots sell", "metrics_by_slot")
def slot_hit_rate(con) -> str:
    slots = frame(con, """
        select cutoff_week, slot, n_users, n_items, n_hits, hit_rate, money_hit_rate
        from metrics_by_slot order by cutoff_week, slot
    """)
    slots["fold"] = "week " + slots["cutoff_week"].astype(str)
    fig = px.bar(slots, x="slot", y="hit_rate", color="fold", barmode="group",
                 text=slots["hit_rate"].map("{:.1%}".format), hover_data=["n_items", "n_hits"],
                 title="Share of the slot's items bought in the test window, per backtest cutoff")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return chart(fig, "slot-hit-rate") + plain_table(slots.drop(columns="fold"))


def funnel_stages(rules: pd.DataFrame) -> pd.DataFrame:
    """From data_quality_report's rows (rule_order, rule, lines): the lines left after each rule.

    The report's rows split the raw lines (every line is dropped by one rule or kept), so the raw
    lines are their sum, the first stage; the last stage is the kept lines.
    """
    rules = rules.sort_values("rule_order")
    dropped = rules[rules["rule"] != "kept"]["lines"].astype("int64")
    raw = int(rules["lines"].sum())
    return pd.DataFrame({
        "stage": ["raw lines", *("after " + rules[rules["rule"] != "kept"]["rule"])],
        "lines": [raw, *(raw - dropped.cumsum())],
        "dropped": [0, *dropped],
    })


@section("What cleaning removed", "data_quality_report")
def cleaning_funnel(con) -> str:
    rules = frame(con, """
        select rule_order, rule, description, cast(lines as bigint) as lines, share_of_raw
        from data_quality_report order by rule_order
    """)
    stages = funnel_stages(rules)
    fig = go.Figure(go.Funnel(
        y=stages["stage"], x=stages["lines"],
        texttemplate="%{value:,} lines (%{percentInitial:.2%})",
        customdata=stages["dropped"],
        hovertemplate="%{y}: %{x:,} lines (%{customdata:,} dropped by this rule)<extra></extra>"))
    fig.update_layout(title="Transaction lines left after each cleaning rule")
    return chart(fig, "cleaning-funnel") + plain_table(rules)


@section("Prices and upsell thresholds", "int_cutoffs", "int_user_price_profile",
         "email_recommendations")
def upsell_prices(con) -> str:
    # the production cutoff's profiles: the ones its e-mails were filled from
    upsell = frame(con, """
        select profile.user_id, profile.median_price, profile.upsell_threshold,
               email.price as upsell_price, email.product_type
        from email_recommendations as email
        inner join int_cutoffs as cutoffs on cutoffs.send_week = email.send_week
        inner join int_user_price_profile as profile
            on profile.cutoff_week = cutoffs.cutoff_week and profile.user_id = email.user_id
        where email.slot = 'upsell'
    """)
    if upsell.empty:
        return paragraph("No e-mail of the production cutoff has an upsell item.")
    long = upsell.melt(value_vars=["median_price", "upsell_threshold", "upsell_price"],
                       var_name="price", value_name="dollars")
    cap = float(long["dollars"].quantile(0.99))
    histogram = px.histogram(long[long["dollars"] <= cap], x="dollars", color="price",
                             barmode="overlay", opacity=0.6, nbins=60,
                             title="Customers' median price and upsell threshold, and the price "
                                   "of their upsell item (up to the 99th percentile)")
    scatter = px.scatter(upsell, x="upsell_threshold", y="upsell_price", opacity=0.5,
                         render_mode="svg",  # SVG: WebGL needs a GPU the reader may lack
                         hover_data=["user_id", "product_type", "median_price"],
                         title="Upsell item price against the customer's threshold")
    top = float(max(upsell["upsell_threshold"].max(), upsell["upsell_price"].max()))
    scatter.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="price = threshold",
                                 line=dict(dash="dash", color="grey")))
    below = int((upsell["upsell_price"] < upsell["upsell_threshold"]).sum())
    return (paragraph(f"{len(upsell):,} e-mails of the production cutoff have an upsell item; "
                      f"{below:,} of them lie below the dashed line, priced under the "
                      "customer's threshold.")
            + chart(histogram, "price-histogram") + chart(scatter, "upsell-scatter"))


@section("Catalog coverage", "recommendation_coverage")
def coverage(con) -> str:
    rows = frame(con, """
        select cutoff_week, strategy, n_users, n_distinct_items, catalog_coverage,
               share_all_types_differ
        from recommendation_coverage order by cutoff_week, strategy
    """)
    rows["cutoff"] = "week " + rows["cutoff_week"].astype(str)
    fig = px.bar(rows, x="strategy", y="catalog_coverage", color="cutoff", barmode="group",
                 text=rows["n_distinct_items"].map("{:,} items".format),
                 hover_data=["n_users", "share_all_types_differ"],
                 title="Share of the catalog (top items) among every customer's first five")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return chart(fig, "catalog-coverage") + plain_table(rows.drop(columns="cutoff"))


@section("Who was evaluated", "evaluation_customers")
def evaluated_customers(con) -> str:
    rows = frame(con, "select * from evaluation_customers order by cutoff_week")
    return (paragraph("Every strategy is scored on the same customers: those who bought both "
                      "before the cutoff and in the test window.") + plain_table(rows))


def text(value) -> str:
    """A description field as escaped text; a missing one (null) as nothing."""
    return "" if pd.isna(value) else html.escape(" ".join(str(value).split()))


def render_email(items: pd.DataFrame) -> str:
    """One customer's e-mail as the customer sees it: rows in position order."""
    first = items.iloc[0]
    cards = []
    for item in items.sort_values("position").itertuples():
        name = " ".join(part for part in (text(item.brand), text(item.product_type).title()) if part)
        size = f" &middot; {text(item.package_size)}" if text(item.package_size) else ""
        name = f"<span><strong>{name}</strong>{size}</span>"
        cards.append(
            f'<li class="item slot-{text(item.slot)}">'
            f'<span class="badge">{html.escape(SLOT_LABELS.get(item.slot, item.slot))}</span>'
            f'{name}'
            f'<span class="price">${item.price:,.2f}</span>'
            f'<em>{text(item.reason).capitalize()}</em>'
            f'<small>{text(item.department).title()} &rsaquo; {text(item.category).title()}'
            f'</small></li>')
    return (f'<div class="email" data-user="{int(first.user_id)}">'
            f'<div class="subject">Your picks for week {int(first.send_week)}</div>'
            f'<small>to customer {int(first.user_id)}</small>'
            f'<ol>{"".join(cards)}</ol></div>')


@section("Three e-mails as customers see them", "email_recommendations")
def example_emails(con) -> str:
    # the customers with the smallest ids: stable from build to build of the same data
    items = frame(con, """
        select * from email_recommendations
        where user_id in (select distinct user_id from email_recommendations
                          order by user_id limit ?)
        order by user_id, position
    """, [EXAMPLE_EMAILS])
    emails = [render_email(group) for _, group in items.groupby("user_id", sort=True)]
    return f'<div class="emails">{"".join(emails)}</div>'


@section("The ALS grid search", "als_grid")
def als_grid(con) -> str:
    grid = frame(con, "select * from als_grid order by rank")
    grid["configuration"] = (grid["factors"].astype(str) + " factors, reg " +
                             grid["regularization"].astype(str) + ", " +
                             grid["iterations"].astype(str) + " sweeps")
    fig = px.scatter(grid, x="fit_seconds", y="precision_at_5", color="weighting",
                     symbol="factors", hover_name="configuration",
                     hover_data=["money_precision_at_5", "rank"], render_mode="svg",
                     title="Plain ALS top 5 per configuration: precision@5 against fit time")
    fig.update_yaxes(tickformat=".1%")
    return (paragraph("make grid only: every configuration of the course's grid, fitted on the "
                      "latest backtest cutoff.")
            + chart(fig, "als-grid") + plain_table(grid.drop(columns="configuration").head(10)))


# --- the page ------------------------------------------------------------------------------

def sections_html(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(title, body) of every section whose tables exist, then the uncharted extra tables."""
    present = existing_tables(con)
    parts = [(entry.title, entry.render(con)) for entry in SECTIONS
             if set(entry.tables) <= present]
    charted = {table for entry in SECTIONS for table in entry.tables}
    for table in EXTRA_TABLES:
        if table in present and table not in charted:
            parts.append((table, table_head(con, table)))
    return parts


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0; } section { margin-top: 2.5rem; }
table.data { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
table.data th, table.data td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right; }
.note { color: #666; font-size: 0.85rem; }
.emails { display: flex; gap: 1rem; flex-wrap: wrap; }
.email { border: 1px solid #ccc; border-radius: 8px; width: 340px; padding: 0.8rem; box-sizing: border-box; }
.email .subject { font-weight: bold; margin-bottom: 0.5rem; }
.email ol { list-style: none; padding: 0; margin: 0; }
.email .item { border-top: 1px solid #eee; padding: 0.5rem 0; display: grid; gap: 0.1rem; }
.email .badge { font-size: 0.75rem; color: #fff; background: #2a7; border-radius: 4px; padding: 0 0.3rem; justify-self: start; }
.email .slot-new .badge { background: #27a; } .email .slot-upsell .badge { background: #a52; }
.email .price { font-weight: bold; } .email small { color: #777; }
"""


def render(con: duckdb.DuckDBPyConnection, database: Path) -> str:
    body = "".join(f"<section><h2>{html.escape(title)}</h2>{content}</section>"
                   for title, content in sections_html(con))
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>Recommender report</title><style>{STYLE}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>"
            f"<h1>Recommender report</h1>"
            f"<p class=note>From {html.escape(database.name)}.</p>{body}</body></html>")


def write(database: Path, output: Path | None = None) -> Path:
    """Write the report of ``database`` (default: report.html beside it); return its path."""
    output = output or database.with_name("report.html")
    con = duckdb.connect(str(database), read_only=True)
    try:
        page = render(con, database)
    finally:
        con.close()
    # written beside and renamed: a reader never opens half a report
    partial = output.with_name(output.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, output)
    return output


def main(argv: list[str] | None = None) -> int:
    from recsys.build import database_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=None,
                        help="the DuckDB file (default: RECSYS_DB or recsys.duckdb)")
    parser.add_argument("--output", type=Path, default=None,
                        help="the HTML file (default: report.html beside the database)")
    args = parser.parse_args(argv)
    database = args.database or database_path()
    if not database.is_file():
        print(f"error: {database}: no database; build it first (make run)", file=sys.stderr)
        return 2
    try:
        output = write(database, args.output)
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"error: {database}: {first_line}", file=sys.stderr)
        return 2
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
