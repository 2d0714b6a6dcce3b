"""`make report`: one self-contained HTML file, ``<database>.report.html``, beside the database.

The report reads the database read-only and shows what the build measured: the strategies'
precision, the e-mail's slots, the cleaning funnel, prices against upsell thresholds, catalog
coverage, three example e-mails, next week's sends and their backtest, the ranker's candidates
and calibration, and the hold-out experiment (goal, power, A/A check, readout). Charts are plotly
figures; plotly.js is inlined once, so the file opens offline and can be mailed as it is.

A section is a small function registered with :func:`section` that names the tables it reads.
It is skipped when one of them is missing (a narrowed build, a table another feature adds
later). :func:`report_tables` lists every table the report reads, and the dbt exposure ``report`` names the same models.

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
import plotly.io as pio
from plotly.offline import get_plotlyjs

from recsys import paths

# The formats of the export files, as the export models write them (models/exports).
EXPORT_FORMATS = ("csv", "parquet")

# A plain table shows at most this many rows: a report is read, not scrolled through.
MAX_TABLE_ROWS = 50

# Example e-mails shown as a customer sees them.
EXAMPLE_EMAILS = 3

SLOT_LABELS = {"promo": "On promotion", "new": "New for you", "upsell": "Treat yourself"}

PLOT_CONFIG = {"displaylogo": False, "responsive": True}

# Every figure's template, made plotly's default once: set on each figure instead, it was
# validated again figure by figure (0.9 of the time, bench/history.md).
pio.templates.default = "plotly_white"

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# One colour per channel in every chart of the campaign and the experiment.
CHANNEL_COLORS = {"email": "#1f77b4", "push": "#ff7f0e", "receipt": "#2ca02c"}

METRIC_LABELS = {"revenue_per_customer": "revenue per customer", "retention": "retention",
                 "average_check": "average check", "baskets_per_customer": "baskets per customer"}

# Words for the column names and values a chart shows as axis, legend and facet titles or as
# ticks: the report is read by marketers, who know neither the tables nor their codes.
WORDS = {
    **METRIC_LABELS,
    # columns whose names are words already, checked (tests/python/test_report.py)
    **{word: word for word in ("channel", "strategy", "decile", "status", "look", "weighting",
                               "factors", "rank", "price", "audience", "recipients", "buyers",
                               "households", "redeemers", "customers", "weekday")},
    "email": "e-mail",
    "k": "items in the list (k)", "precision": "precision",
    "money_precision": "money precision", "n_users": "customers evaluated",
    "popularity": "the most popular items", "own_top": "the customer's own top items",
    "als": "ALS", "hybrid": "the hybrid score", "ranker": "the ranker",
    "email_policy": "the e-mail",
    "slot": "e-mail slot", "hit_rate": "share of the slot's items bought",
    "n_items": "items sent", "n_hits": "items bought", "fold": "backtest cutoff",
    "promo": "on promotion", "new": "new for you", "upsell": "upsell",
    "non_positive_quantity": "quantity zero or below",
    "non_positive_sales_value": "sales value zero or below", "missing_value": "a missing value",
    "date_out_of_range": "date out of range", "unknown_product": "unknown product",
    "excluded_department": "excluded department", "implausible_amount": "implausible amount",
    "duplicate_line": "duplicate line",
    "median_price": "customer's median price", "upsell_threshold": "customer's upsell threshold",
    "upsell_price": "price of the upsell item", "dollars": "price ($)",
    "user_id": "customer", "product_type": "product type",
    "catalog_coverage": "share of the catalog's top items", "cutoff": "backtest cutoff",
    "n_distinct_items": "different items", "share_all_types_differ": "lists of five types",
    "send_weekday": "weekday", "n_recipients": "recipients", "send_id": "send",
    "send_date": "send date", "window_end_date": "window until",
    "source": "candidate source", "recall": "share of the window's purchases among the candidates",
    "own": "the customer's own history", "popular": "popular items",
    "type_alternative": "other items of a bought type", "all": "all sources",
    "n_purchases": "items bought", "n_found": "among the candidates", "n_candidates": "candidates",
    "mean_probability": "predicted purchase probability (decile mean)",
    "purchase_rate": "share bought in the window",
    "n_customers": "customers", "n_control": "control customers",
    "required_customers": "customers needed for the goal", "n_salts": "control groups drawn",
    "mean_control_customers": "control customers (mean)", "p_value": "p-value",
    "n_treatment": "treatment customers",
    "effect_cuped": "effect with CUPED", "nominal_alpha": "sequential level",
    "mde_cuped": "minimum detectable uplift (fixed horizon)",
    "item_hit_rate": "share of sent items bought", "windows_complete": "window complete",
    "experiment_group": "group", "send_week": "send week",
    "redemption_rate": "redemption rate", "start_date": "start", "end_date": "end",
    "fit_seconds": "fit time (seconds)", "precision_at_5": "precision@5",
    "money_precision_at_5": "money precision@5",
}


def words(name: str) -> str:
    """A column name or a code in words, for a chart; a name without words as it is."""
    return WORDS.get(name, name)


def labels(**specific: str) -> dict[str, str]:
    """plotly express's ``labels``: every column in words, ``specific`` the chart's own."""
    return {**WORDS, **specific}

# The A/A band: a calibrated readout's false-positive rate lies within this many binomial
# standard errors of 5 %, as the dbt test experiment_aa_false_positive_rate holds it.
AA_BAND_ERRORS = 3.5


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


def report_tables() -> tuple[str, ...]:
    """Every table the report reads, each once: the registered sections' tables in the order of
    the page. The exposure ``report`` (models/exposures/report.yml)
    lists the same, and each section's queries read its tables (tests/python/test_manifest.py)."""
    return tuple(dict.fromkeys(table for entry in SECTIONS for table in entry.tables))


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main'").fetchall()}


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def chart(fig: go.Figure, name: str, takeaway: str) -> str:
    """The figure as a div (plotly.js is in the page head once), ``data-chart`` naming it, and
    under it ``takeaway``: one sentence computed from the figure's table, what to read in it."""
    fig.update_layout(margin=dict(l=60, r=20, t=50, b=50))
    div = fig.to_html(full_html=False, include_plotlyjs=False, config=PLOT_CONFIG,
                      div_id=f"chart-{name}")
    return (f'<div class="chart" data-chart="{name}">{div}</div>'
            f'<p class="takeaway">{html.escape(takeaway)}</p>')


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


def paragraph(text: str) -> str:
    return f"<p>{html.escape(text)}</p>"


def percent(value: float, signed: bool = False) -> str:
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def facet_titles_without_names(fig: go.Figure) -> None:
    """Facet titles as plotly express writes them ("metric=precision") cut to the value."""
    fig.for_each_annotation(lambda note: note.update(text=note.text.split("=")[-1]))


def by_weekday(df: pd.DataFrame, *then: str) -> pd.DataFrame:
    """``df`` in the order of the week (send_weekday), then by ``then``: the course's CSV data
    has no send dates to sort by."""
    order = df["send_weekday"].map({day: number for number, day in enumerate(WEEKDAYS)})
    return df.assign(_day=order).sort_values(["_day", *then]).drop(columns="_day")


def label_metrics(df: pd.DataFrame) -> list[str]:
    """Name the experiment's metrics in words in ``df``; return them in the seed's order (the
    goal first), metrics the report does not know last."""
    known = list(METRIC_LABELS)
    order = sorted(df["metric"].unique(),
                   key=lambda metric: (known.index(metric) if metric in known else len(known),
                                       metric))
    df["metric"] = df["metric"].map(lambda metric: METRIC_LABELS.get(metric, metric))
    return [METRIC_LABELS.get(metric, metric) for metric in order]


def plain_and_cuped(df: pd.DataFrame, **cuped_columns: str) -> pd.DataFrame:
    """Each row of ``df`` twice, as estimate "plain" and as "with CUPED": in the second, each
    column named in ``cuped_columns`` takes the value of its CUPED column
    (effect="effect_cuped")."""
    cuped = df.assign(**{column: df[cuped] for column, cuped in cuped_columns.items()})
    return pd.concat([df.assign(estimate="plain"), cuped.assign(estimate="with CUPED")],
                     ignore_index=True)


def weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """Mean of ``values`` weighted by ``weights``, over the rows where a value exists; NaN when
    no weight is left."""
    present = values.notna() & (weights > 0)
    total = float(weights[present].sum())
    return float((values[present] * weights[present]).sum()) / total if total else float("nan")


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


def ranked(values: pd.Series) -> pd.Series:
    """``values`` largest first, ties in the order of their index (a stable sentence)."""
    return values.sort_values(ascending=False, kind="stable")


def latest(df: pd.DataFrame, column: str = "cutoff_week") -> pd.DataFrame:
    """The rows of the latest fold (or week): the one a takeaway speaks of."""
    return df[df[column] == df[column].max()]


def extremes(values: pd.Series, most: str, least: str) -> str:
    """A takeaway: ``most`` about the largest of ``values``, then ``least`` about the smallest
    if there are two or more; format strings of {name} (in words) and {value}."""
    order = ranked(values)
    text = most.format(name=words(order.index[0]), value=order.iloc[0])
    if len(order) > 1:
        text += least.format(name=words(order.index[-1]), value=order.iloc[-1])
    return text + "."


def strategy_takeaway(metrics: pd.DataFrame) -> str:
    """The strategy with the best precision at k = 5 (the e-mail's items; else the largest k),
    averaged over the folds, against the next best."""
    top_k = 5 if (metrics["k"] == 5).any() else metrics["k"].max()
    mean = ranked(metrics[metrics["k"] == top_k].groupby("strategy", sort=True)["precision"].mean())
    best = f"At {top_k} items the best precision, {mean.iloc[0]:.3f}, comes from {words(mean.index[0])}"
    if len(mean) == 1:
        return best + "."
    return (f"{best}, against {mean.iloc[1]:.3f} from {words(mean.index[1])}, the next best "
            f"(mean of the {metrics['cutoff_week'].nunique()} backtest folds).")


@section("How good is each strategy", "metrics_at_k")
def strategy_metrics(con) -> str:
    metrics = frame(con, """
        select cutoff_week, strategy, k, n_users, precision, money_precision
        from metrics_at_k order by cutoff_week, strategy, k
    """)
    long = metrics.melt(id_vars=["cutoff_week", "strategy", "k", "n_users"],
                        value_vars=["precision", "money_precision"], var_name="metric")
    long["fold"] = "backtest cutoff week " + long["cutoff_week"].astype(str)
    long[["strategy", "metric"]] = long[["strategy", "metric"]].map(words)
    fig = px.line(long, x="k", y="value", color="strategy", facet_col="metric",
                  facet_row="fold", markers=True, hover_data=["n_users"],
                  labels=labels(value="share of the items bought"),
                  title="Precision and money precision at k, per backtest fold")
    facet_titles_without_names(fig)
    fig.update_xaxes(tickvals=sorted(metrics["k"].unique()))
    fig.update_yaxes(rangemode="tozero", tickformat=".0%")
    fig.update_layout(height=320 + 260 * metrics["cutoff_week"].nunique())
    return (paragraph("Share of the first k recommended items that the customer bought in the "
                      "test window (money precision weighs each item by its price), over the "
                      "evaluated customers of each fold.")
            + chart(fig, "strategy-metrics", strategy_takeaway(metrics)))


def slot_takeaway(slots: pd.DataFrame) -> str:
    """The slot whose items sell best in the latest fold, against the one that sells least."""
    fold = latest(slots)
    return extremes(fold.set_index("slot")["hit_rate"],
                    f"At backtest cutoff week {fold['cutoff_week'].iloc[0]}, the items '{{name}}' "
                    "sell best: {value:.1%} of them were bought",
                    ", against {value:.1%} of the items '{name}'")


@section("Which e-mail slots sell", "metrics_by_slot")
def slot_hit_rate(con) -> str:
    slots = frame(con, """
        select cutoff_week, slot, n_users, n_items, n_hits, hit_rate, money_hit_rate
        from metrics_by_slot order by cutoff_week, slot
    """)
    shown = slots.assign(fold="week " + slots["cutoff_week"].astype(str),
                         slot=slots["slot"].map(words))
    fig = px.bar(shown, x="slot", y="hit_rate", color="fold", barmode="group",
                 text=shown["hit_rate"].map("{:.1%}".format), hover_data=["n_items", "n_hits"],
                 labels=labels(),
                 title="Share of the slot's items bought in the test window, per backtest cutoff")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return chart(fig, "slot-hit-rate", slot_takeaway(slots)) + plain_table(slots)


def funnel_stages(rules: pd.DataFrame) -> pd.DataFrame:
    """From data_quality_report's rows (rule_order, rule, lines): the lines left after each rule
    (its name in words) and the lines it dropped.

    The report's rows split the raw lines (every line is dropped by one rule or kept), so the raw
    lines are their sum, the first stage; the last stage is the kept lines.
    """
    rules = rules.sort_values("rule_order")
    applied = rules[rules["rule"] != "kept"]
    dropped = applied["lines"].astype("int64")
    raw = int(rules["lines"].sum())
    return pd.DataFrame({
        "stage": ["raw lines", *("after " + applied["rule"].map(words))],
        "rule": ["", *applied["rule"].map(words)],
        "lines": [raw, *(raw - dropped.cumsum())],
        "dropped": [0, *dropped],
    })


def funnel_takeaway(stages: pd.DataFrame) -> str:
    """The share of the raw lines cleaning keeps, and the stage that drops the most."""
    raw, kept = int(stages["lines"].iloc[0]), int(stages["lines"].iloc[-1])
    kept_text = f"Cleaning keeps {kept:,} of {raw:,} raw lines ({percent(kept / raw if raw else 1)})"
    if stages["dropped"].max() == 0:
        return kept_text + ": no rule drops a line."
    worst = stages.loc[stages["dropped"].idxmax()]
    return (f"{kept_text}; the rule that drops the most is '{worst.rule}', "
            f"{worst.dropped:,} lines.")


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
    fig.update_layout(title="Transaction lines left after each cleaning rule",
                      # a funnel hides its x axis, and with it the title; its ticks run
                      # both ways from the middle, so they stay hidden
                      xaxis_visible=True, xaxis_showticklabels=False,
                      xaxis_title="transaction lines left",
                      yaxis_title="cleaning step")
    return chart(fig, "cleaning-funnel", funnel_takeaway(stages)) + plain_table(rules)


def price_takeaway(upsell: pd.DataFrame) -> str:
    """The median of each price the histogram draws, in dollars."""
    median = upsell[["median_price", "upsell_threshold", "upsell_price"]].median()
    return (f"The typical upsell item costs ${median['upsell_price']:,.2f}, against a typical "
            f"threshold of ${median['upsell_threshold']:,.2f} and a typical price paid of "
            f"${median['median_price']:,.2f} (medians over the customers).")


def upsell_takeaway(upsell: pd.DataFrame) -> str:
    """How far above (or below) the customer's threshold the upsell item lies, in the median."""
    ratio = (upsell["upsell_price"] / upsell["upsell_threshold"]).median()
    side = "above" if ratio > 1 else "below" if ratio < 1 else "at"
    return (f"The median upsell item costs {ratio:.2f} times the customer's threshold, {side} "
            "it.")


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
    long["price"] = long["price"].map(words)
    cap = float(long["dollars"].quantile(0.99))
    histogram = px.histogram(long[long["dollars"] <= cap], x="dollars", color="price",
                             barmode="overlay", opacity=0.6, nbins=60,
                             labels=labels(),
                             title="Customers' median price and upsell threshold, and the price "
                                   "of their upsell item (up to the 99th percentile)")
    histogram.update_yaxes(title="customers")  # one value of each price per customer
    scatter = px.scatter(upsell, x="upsell_threshold", y="upsell_price", opacity=0.5,
                         render_mode="svg",  # SVG: WebGL needs a GPU the reader may lack
                         hover_data=["user_id", "product_type", "median_price"],
                         labels=labels(),
                         title="Upsell item price against the customer's threshold")
    top = float(max(upsell["upsell_threshold"].max(), upsell["upsell_price"].max()))
    scatter.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="price = threshold",
                                 line=dict(dash="dash", color="grey")))
    below = int((upsell["upsell_price"] < upsell["upsell_threshold"]).sum())
    return (paragraph(f"{len(upsell):,} e-mails of the production cutoff have an upsell item; "
                      f"{below:,} of them lie below the dashed line, priced under the "
                      "customer's threshold.")
            + chart(histogram, "price-histogram", price_takeaway(upsell))
            + chart(scatter, "upsell-scatter", upsell_takeaway(upsell)))


def coverage_takeaway(rows: pd.DataFrame) -> str:
    """The strategy that covers the most of the catalog and the one that covers the least, in
    the latest fold that has every strategy (the production cutoff has the e-mail alone)."""
    strategies = rows.groupby("cutoff_week")["strategy"].nunique()
    week = strategies[strategies == strategies.max()].index.max()
    return extremes(rows[rows["cutoff_week"] == week].set_index("strategy")["catalog_coverage"],
                    f"At backtest cutoff week {week}, the widest choice comes from {{name}}, "
                    "{value:.1%} of the catalog's top items",
                    "; the narrowest from {name}, {value:.1%}")


@section("Catalog coverage", "recommendation_coverage")
def coverage(con) -> str:
    rows = frame(con, """
        select cutoff_week, strategy, n_users, n_distinct_items, catalog_coverage,
               share_all_types_differ
        from recommendation_coverage order by cutoff_week, strategy
    """)
    shown = rows.assign(cutoff="week " + rows["cutoff_week"].astype(str),
                        strategy=rows["strategy"].map(words))
    fig = px.bar(shown, x="strategy", y="catalog_coverage", color="cutoff", barmode="group",
                 text=shown["n_distinct_items"].map("{:,} items".format),
                 hover_data=["n_users", "share_all_types_differ"], labels=labels(),
                 title="Share of the catalog (top items) among every customer's first five")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return chart(fig, "catalog-coverage", coverage_takeaway(rows)) + plain_table(rows)


@section("Who was evaluated", "evaluation_customers")
def evaluated_customers(con) -> str:
    rows = frame(con, "select * from evaluation_customers order by cutoff_week")
    return (paragraph("Every strategy is scored on the same customers: those who bought both "
                      "before the cutoff and in the test window.") + plain_table(rows))


def text(value, case=None) -> str:
    """A description field as escaped text, ``case`` (str.title, str.capitalize) applied before
    escaping, so that "BULK&BAG" reads "Bulk&amp;Bag" and not "&Amp;"; a missing one as nothing."""
    if pd.isna(value):
        return ""
    words = " ".join(str(value).split())
    return html.escape(case(words) if case else words)


def render_email(items: pd.DataFrame) -> str:
    """One e-mail as the customer receives it: the send's day and time, its five items in
    position order."""
    first = items.iloc[0]
    cards = []
    for item in items.sort_values("position").itertuples():
        name = " ".join(part for part in (text(item.brand), text(item.product_type, str.title)) if part)
        size = f" &middot; {text(item.package_size)}" if text(item.package_size) else ""
        name = f"<span><strong>{name}</strong>{size}</span>"
        cards.append(
            f'<li class="item slot-{text(item.slot)}">'
            f'<span class="badge">{html.escape(SLOT_LABELS.get(item.slot, item.slot))}</span>'
            f'{name}'
            f'<span class="price">${item.price:,.2f}</span>'
            f'<em>{text(item.reason, str.capitalize)}</em>'
            f'<small>{text(item.department, str.title)} &rsaquo; {text(item.category, str.title)}'
            f'</small></li>')
    when = " ".join(text(part) for part in (first.send_weekday, first.send_date, first.send_time)
                    if not pd.isna(part))
    return (f'<div class="email" data-send="{text(first.send_id)}">'
            f'<div class="subject">Your picks for week {int(first.send_week)}</div>'
            f'<small>{when}</small>'
            f'<ol>{"".join(cards)}</ol></div>')


@section("Three customers' e-mails as they receive them", "email_recommendations", "send_plan")
def example_emails(con) -> str:
    # the customers with the smallest ids: stable from build to build of the same data
    items = frame(con, """
        select emails.*, plan.send_weekday, cast(plan.send_date as varchar) as send_date, plan.send_time
        from email_recommendations as emails
        left join send_plan as plan on emails.send_id = plan.send_id
        where emails.user_id in (select distinct user_id from email_recommendations
                                 order by user_id limit ?)
        order by emails.user_id, plan.send_date, plan.send_weekday = 'Friday', emails.send_id,
                 emails.position
    """, [EXAMPLE_EMAILS])
    customers = []
    for user_id, sends in items.groupby("user_id", sort=True):
        emails = "".join(render_email(send) for _, send in sends.groupby("send_id", sort=False))
        customers.append(f'<div class="customer" data-user="{int(user_id)}">'
                         f'<h3>Customer {int(user_id)}</h3><div class="emails">{emails}</div></div>')
    return (paragraph("Each e-mail as it goes out: five items, in the order of the send, with its "
                      "day and time. A customer gets two a week, with no item twice.")
            + "".join(customers))


@section("Who each channel reaches", "customer_channels")
def reach(con) -> str:
    reached = frame(con, """
        select channel, source, count(distinct user_id) as customers
        from customer_channels group by channel, source order by channel, source
    """)
    return (paragraph("The customers each channel can reach, by where the address comes from: "
                      "'file' from customer_channels.csv, 'simulated' drawn at the channel's "
                      "reach share when there is no file, 'transactions' the recent store "
                      "shoppers that the till receipt reaches.")
            + plain_table(reached))


def database_of(con: duckdb.DuckDBPyConnection) -> Path:
    (path,) = con.execute(
        "select path from duckdb_databases() where database_name = current_database()").fetchone()
    return Path(path)


def export_links(database: Path, channel: str, send_id: str) -> str:
    """Links from the report to a send's export files, those that exist (relative, so that the
    report and the files can move together)."""
    report_folder = paths.report_path(database).parent
    links = []
    for export_format in EXPORT_FORMATS:
        file = (paths.exports_path(database) / export_format / channel / f"send_id={send_id}"
                / f"data_0.{export_format}")
        if file.is_file():
            href = html.escape(os.path.relpath(file, report_folder), quote=True)
            links.append(f'<a href="{href}">{export_format}</a>')
    return " ".join(links)


@section("The send files", "send_list", "send_plan")
def send_files(con) -> str:
    sends = by_weekday(frame(con, """
        select plan.send_id, plan.channel, plan.send_weekday, plan.send_time,
               count(distinct lists.user_id) as customers, count(lists.item_id) as items
        from send_plan as plan
        left join send_list as lists on plan.send_id = lists.send_id
        group by all
    """), "send_time", "channel")
    database = database_of(con)
    sends["files"] = [export_links(database, row.channel, row.send_id) for row in sends.itertuples()]
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell(value))}</td>" for value in
                         (row.send_id, row.channel, row.send_weekday, row.send_time,
                          f"{row.customers:,}", f"{row.items:,}"))
        + f"<td>{row.files}</td></tr>" for row in sends.itertuples())
    header = "".join(f"<th>{name}</th>" for name in
                     ("send", "channel", "weekday", "time", "customers", "items", "files"))
    return (paragraph("What each sending system receives: one file per send and format, a row per "
                      "customer and position (the links open the files of this build; "
                      "`make send` records them in the ledger).")
            + f'<table class="data"><tr>{header}</tr>{rows}</table>')


def send_plan_takeaway(plan: pd.DataFrame) -> str:
    """The channel with the most recipients per send, and the one with the fewest."""
    return extremes(plan.groupby("channel", sort=True)["n_recipients"].mean(),
                    "The {name} reaches the most customers, {value:,.0f} per send",
                    "; the {name} the fewest, {value:,.0f}")


@section("Next week's sends", "send_plan")
def send_plan(con) -> str:
    plan = by_weekday(frame(con, """
        select send_id, channel, send_week, send_weekday, send_time, send_date, n_recipients,
               window_end_date
        from send_plan
    """), "send_time", "channel")
    plan["label"] = plan["send_time"] + ": " + plan["n_recipients"].map("{:,}".format)
    fig = px.bar(plan, x="send_weekday", y="n_recipients", color="channel", barmode="group",
                 text="label", color_discrete_map=CHANNEL_COLORS,
                 hover_data=["send_id", "send_date", "window_end_date"], labels=labels(),
                 title="Recipients per send, by weekday and channel (send time on the bar)")
    per_channel = plan.groupby("channel", sort=True)["n_recipients"].sum()
    weeks = ", ".join(str(week) for week in sorted(plan["send_week"].unique()))
    return (paragraph(f"{len(plan)} sends in week {weeks}, {per_channel.sum():,} messages: "
                      + ", ".join(f"{channel} {n:,}" for channel, n in per_channel.items())
                      + ". A receipt send's list is printed at every store visit until the "
                        "channel's next send.")
            + chart(fig, "send-plan", send_plan_takeaway(plan)))


def sends_takeaway(sends: pd.DataFrame) -> str:
    """Which scores higher in the latest fold, the sends or the single weekly list, and on which
    weekday the gap is widest; why, where the data says: a later send of the week leaves out the
    items of the earlier ones (int_send_picks), and its window may be longer or shorter."""
    latest = sends[(sends["cutoff_week"] == sends["cutoff_week"].max()) & (sends["n_users"] > 0)]
    if latest.empty:
        return "No send of the latest backtest fold has a customer to evaluate."

    def precision(rows: pd.DataFrame) -> tuple[float, float]:
        return (weighted_mean(rows["precision"], rows["n_users"]),
                weighted_mean(rows["single_list_precision"], rows["n_users"]))

    send, single = precision(latest)
    leader = ("the single weekly list scores higher than the sends" if single > send else
              "the sends score higher than the single weekly list" if send > single else
              "the sends score as the single weekly list")
    text = (f"At backtest cutoff week {latest['cutoff_week'].iloc[0]}, {leader}: precision@5 "
            f"{send:.3f} for the sends against {single:.3f} for the list")
    days = [day for day in WEEKDAYS if day in set(latest["send_weekday"])]
    if len(days) < 2:
        return text + "."
    by_day = {day: precision(latest[latest["send_weekday"] == day]) for day in days}
    widest = max(days, key=lambda day: by_day[day][1] - by_day[day][0])
    text += f"; the list's lead is widest on {widest} (" + ", ".join(
        f"{day} {by_day[day][0]:.3f} against {by_day[day][1]:.3f}" for day in days) + ")"
    if widest == days[0] or by_day[widest][1] <= by_day[widest][0]:
        return text + "."
    text += f": {widest}'s lists leave out the items sent earlier in the week"
    window = (pd.to_datetime(latest["window_end_date"]) - pd.to_datetime(latest["send_date"])).dt.days
    if window.notna().all():
        lengths = window.groupby(latest["send_weekday"]).max()
        others = lengths.drop(widest)
        if (others < lengths[widest]).all():
            text += f", although its window is longer ({lengths[widest]} days against {others.max()})"
        elif (others > lengths[widest]).all():
            text += f", and its window is shorter ({lengths[widest]} days against {others.min()})"
    return text + "."


@section("Each send in the backtest", "metrics_by_send")
def sends_backtest(con) -> str:
    sends = by_weekday(frame(con, """
        select cutoff_week, send_id, channel, send_weekday, send_date, window_end_date,
               n_recipients, n_users, precision, hit_rate, single_list_precision,
               single_list_hit_rate
        from metrics_by_send
    """), "channel").sort_values("cutoff_week", kind="stable")
    sends["send"] = sends["send_weekday"].str[:3] + " " + sends["channel"]
    sends["fold"] = "backtest cutoff week " + sends["cutoff_week"].astype(str)
    long = pd.concat([
        sends.assign(metric=metric, list=name, value=sends[column])
        for metric, columns in (("precision@5", ("precision", "single_list_precision")),
                                ("hit rate", ("hit_rate", "single_list_hit_rate")))
        for name, column in zip(("the send", "the single weekly list"), columns)])
    fig = px.bar(long, x="send", y="value", color="list", barmode="group", facet_col="metric",
                 facet_row="fold", hover_data=["send_id", "n_recipients", "n_users"],
                 labels=labels(value="share", send="send (weekday and channel)"),
                 facet_col_spacing=0.08,
                 title="Precision@5 and hit rate of each send in its window, against the single "
                       "weekly list of the same customers")
    facet_titles_without_names(fig)
    fig.update_yaxes(matches=None, showticklabels=True, tickformat=".0%", rangemode="tozero")
    fig.update_layout(height=220 + 260 * sends["cutoff_week"].nunique())
    latest = sends[sends["cutoff_week"] == sends["cutoff_week"].max()]
    evaluated = latest["n_users"]
    if evaluated.sum() == 0:
        return (paragraph(f"Backtest cutoff week {latest['cutoff_week'].iloc[0]}: no recipient "
                          "bought anything in a send's window.")
                + chart(fig, "sends-backtest", sends_takeaway(sends)))
    return (paragraph(
        f"Backtest cutoff week {latest['cutoff_week'].iloc[0]}: over the {evaluated.sum():,} "
        f"customers evaluated in its {len(latest)} sends (recipients who bought in the send's "
        f"window), precision@5 {weighted_mean(latest['precision'], evaluated):.3f} for the sends "
        f"against {weighted_mean(latest['single_list_precision'], evaluated):.3f} for the single "
        f"weekly list, hit rate {percent(weighted_mean(latest['hit_rate'], evaluated))} against "
        f"{percent(weighted_mean(latest['single_list_hit_rate'], evaluated))}.")
            + chart(fig, "sends-backtest", sends_takeaway(sends)))


def recall_takeaway(recall: pd.DataFrame) -> str:
    """The single source that finds the most purchases in the latest fold, and the least."""
    single = latest(recall[recall["source"] != "all"])
    if single.empty:
        return "No single candidate source is measured."
    return extremes(single.set_index("source")["recall"],
                    f"At backtest cutoff week {single['cutoff_week'].iloc[0]}, the single source "
                    "that finds the most purchases is {name}, {value:.1%}",
                    "; the one that finds the fewest is {name}, {value:.1%}")


@section("Where the ranker's candidates come from", "candidate_recall")
def candidate_recall(con) -> str:
    recall = frame(con, """
        select cutoff_week, source, n_purchases, n_found, recall
        from candidate_recall order by cutoff_week desc, recall desc
    """)
    shown = recall.assign(fold="week " + recall["cutoff_week"].astype(str),
                          source=recall["source"].map(words))
    fig = px.bar(shown, y="source", x="recall", color="fold", barmode="group", orientation="h",
                 text=shown["recall"].map(percent), hover_data=["n_purchases", "n_found"],
                 labels=labels(),
                 title="Recall of each candidate source (all: any source), per backtest cutoff")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    takeaway = recall_takeaway(recall)
    every = recall[(recall["source"] == "all")]
    if every.empty:
        return chart(fig, "candidate-recall", takeaway)
    latest = every.iloc[0]
    return (paragraph(f"At backtest cutoff week {latest.cutoff_week}, the candidates of all "
                      f"sources hold {latest.n_found:,} of the {latest.n_purchases:,} items the "
                      f"evaluated customers bought in the window ({percent(latest.recall)}); "
                      "the ranker cannot pick the others.")
            + chart(fig, "candidate-recall", takeaway))


def calibration_takeaway(deciles: pd.DataFrame) -> str:
    """Purchases against predictions over every decile of the latest fold: within 10 % counts
    as calibrated, beyond it the ranker is too cautious or too confident."""
    fold = latest(deciles)
    ratio = ((fold["purchase_rate"] * fold["n_candidates"]).sum()
             / (fold["mean_probability"] * fold["n_candidates"]).sum())
    verdict = ("about as many as it predicts" if abs(ratio - 1) <= 0.1 else
               "more than it predicts: it is too cautious" if ratio > 1 else
               "fewer than it predicts: it is too confident")
    return (f"At backtest cutoff week {fold['cutoff_week'].iloc[0]}, customers bought "
            f"{ratio:.2f} times the ranker's predicted purchases over all deciles, {verdict}.")


@section("Is the ranker's probability right", "calibration")
def calibration(con) -> str:
    deciles = frame(con, """
        select cutoff_week, decile, n_candidates, mean_probability, purchase_rate
        from calibration order by cutoff_week desc, decile
    """)
    deciles["fold"] = "week " + deciles["cutoff_week"].astype(str)
    fig = px.line(deciles, x="mean_probability", y="purchase_rate", color="fold", markers=True,
                  log_x=True, log_y=True, hover_data=["decile", "n_candidates"],
                  labels=labels(),
                  title="Predicted against observed, per decile of the ranker's probability")
    rates = deciles[["mean_probability", "purchase_rate"]].to_numpy()
    low, high = float(rates[rates > 0].min()), float(rates.max())  # log axes: no 0
    fig.add_trace(go.Scatter(x=[low, high], y=[low, high], mode="lines",
                             name="observed = predicted",
                             line=dict(dash="dash", color="grey")))
    latest = deciles[deciles["cutoff_week"] == deciles["cutoff_week"].max()]
    top, bottom = latest.iloc[-1], latest.iloc[0]
    return (paragraph(f"Backtest cutoff week {top.cutoff_week}: the ranker gives the top decile "
                      f"of candidates {top.mean_probability:.3g} on average and "
                      f"{top.purchase_rate:.3g} "
                      f"of them were bought; the bottom decile {bottom.mean_probability:.3g} "
                      f"against {bottom.purchase_rate:.3g}. On the dashed line, probability x "
                      "price is money.")
            + chart(fig, "calibration", calibration_takeaway(deciles)))


def goal_takeaway(goal: pd.DataFrame) -> str:
    """The range of the uplift the channel mixes need, from the largest reach to the smallest."""
    low, high = goal.loc[goal["required_uplift"].idxmin()], goal.loc[goal["required_uplift"].idxmax()]
    if low.channels == high.channels:
        return (f"{low.channels.capitalize()} needs {percent(low.required_uplift, signed=True)} "
                "from the customers it reaches.")
    return (f"The uplift needed runs from {percent(low.required_uplift, signed=True)} "
            f"({low.channels}) to {percent(high.required_uplift, signed=True)} ({high.channels}): "
            "the less of the revenue a mix reaches, the more each reached customer must add.")


@section("What the revenue goal asks of each channel", "experiment_goal")
def experiment_goal(con) -> str:
    goal = frame(con, """
        select channels, reachable_customers, revenue_share, total_revenue_goal, required_uplift,
               required_uplift_during_test
        from experiment_goal where required_uplift is not null order by required_uplift desc
    """)
    target = float(goal["total_revenue_goal"].iloc[0]) if len(goal) else 0.0
    fig = go.Figure(go.Bar(
        y=goal["channels"], x=goal["required_uplift"], orientation="h",
        text=goal["required_uplift"].map(lambda value: percent(value, signed=True)),
        marker_color=["#c0392b" if channels == "email" else "#7f8c8d"
                      for channels in goal["channels"]],
        customdata=goal[["reachable_customers", "revenue_share"]],
        hovertemplate="%{y}: %{customdata[0]:,} customers, %{customdata[1]:.1%} of revenue"
                      "<extra></extra>"))
    fig.add_vline(x=target, line_dash="dash", line_color="grey",
                  annotation_text=f"the goal, {percent(target, signed=True)} of total revenue",
                  annotation_position="bottom right")
    fig.update_layout(title="Uplift the reached customers' spend needs for the goal, per channel "
                            "mix", yaxis_autorange="reversed", xaxis_tickformat=".0%",
                      xaxis_title="uplift of the reached customers' spend",
                      yaxis_title="channels that reach the customers", height=220 + 40 * len(goal))
    text = ("Customers no channel reaches add nothing, so the reached customers must carry the "
            "whole goal.")
    email = goal[goal["channels"] == "email"]
    if not email.empty:
        email = email.iloc[0]
        text += (f" E-mail alone reaches {email.reachable_customers:,} customers with "
                 f"{percent(email.revenue_share)} of revenue: for "
                 f"{percent(target, signed=True)} of total revenue they would have to spend "
                 f"{percent(email.required_uplift, signed=True)}, {1 + email.required_uplift:.2f} "
                 "times what they spend now.")
    everyone = goal[goal["channels"].str.count(r"\+") == goal["channels"].str.count(r"\+").max()]
    if not everyone.empty:
        everyone = everyone.iloc[0]
        text += (f" With every channel ({everyone.channels}): {percent(everyone.required_uplift, signed=True)} "
                 "among the reached customers once the campaign reaches all of them, and "
                 f"{percent(everyone.required_uplift_during_test, signed=True)} among the treated ones "
                 "while the test holds the control group out, since they alone carry the goal then.")
    return paragraph(text) + chart(fig, "experiment-goal", goal_takeaway(goal))


def power_takeaway(power: pd.DataFrame) -> str:
    """How much CUPED shrinks the minimum detectable effect, in the median pair."""
    change = (power["mde_cuped"] / power["mde"] - 1).median()
    if change == 0:
        return "CUPED leaves the minimum detectable effect as it is."
    return (f"CUPED {'shrinks' if change < 0 else 'raises'} the minimum detectable effect by "
            f"{percent(abs(change))} in the median channel and metric.")


@section("What the experiment can detect", "experiment_power")
def experiment_power(con) -> str:
    power = frame(con, """
        select channel, metric, n_customers, n_control, mde, mde_cuped, goal_uplift,
               detectable_cuped, required_customers
        from experiment_power order by metric, channel
    """)
    metrics = label_metrics(power)
    long = plain_and_cuped(power, mde="mde_cuped")
    fig = px.bar(long, x="channel", y="mde", color="estimate", barmode="group",
                 facet_col="metric", category_orders={"metric": metrics},
                 text=long["mde"].map("{:.0%}".format),
                 hover_data=["n_customers", "n_control", "required_customers"],
                 labels=labels(mde="minimum detectable effect"),
                 title="Minimum detectable effect per channel and metric (dashed: the goal)")
    fig.update_traces(textangle=0)
    facet_titles_without_names(fig)
    for column, metric in enumerate(metrics, start=1):
        fig.add_hline(y=float(power.loc[power["metric"] == metric, "goal_uplift"].iloc[0]),
                      col=column, line_dash="dash", line_color="grey")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    text = (f"{int(power['detectable_cuped'].fillna(False).sum())} of {len(power)} channel and "
            "metric pairs would detect their goal with CUPED.")
    to_goal = (power["mde_cuped"] / power["goal_uplift"]).dropna()
    if not to_goal.empty:
        closest = power.loc[to_goal.idxmin()]
        text += (f" The closest, {closest.channel} {closest.metric}, detects "
                 f"{percent(closest.mde_cuped)} against a goal of {percent(closest.goal_uplift)}; "
                 f"{closest.required_customers:,.0f} customers would detect the goal.")
    return paragraph(text) + chart(fig, "experiment-power", power_takeaway(power))


def aa_takeaway(long: pd.DataFrame) -> str:
    """The range of the false-positive rates where the readout gives a p-value."""
    rates = long.loc[long["status"] == "ok", "false_positive_rate"]
    if rates.empty:
        return "No channel has groups large enough for a p-value: no rate here judges the readout."
    return (f"Where the readout gives a p-value, it finds an effect that is not there in "
            f"{percent(rates.min())} to {percent(rates.max())} of the draws, against the 5 % it "
            "should.")


@section("Does the readout lie: the A/A check", "experiment_aa")
def experiment_aa(con) -> str:
    aa = frame(con, """
        select channel, metric, status, n_salts, mean_control_customers, false_positive_rate,
               false_positive_rate_cuped, binomial_standard_error
        from experiment_aa order by metric, channel
    """)
    metrics = label_metrics(aa)
    long = plain_and_cuped(aa, false_positive_rate="false_positive_rate_cuped")
    rate = long["false_positive_rate"]
    fig = px.scatter(long, x="channel", y="false_positive_rate", color="estimate",
                     facet_col="metric",
                     category_orders={"metric": metrics},
                     hover_data=["n_salts", "mean_control_customers"],
                     labels=labels(false_positive_rate="control groups drawn with p < 0.05"),
                     title=f"False-positive rate of the readout on data without treatment "
                           f"(band: 5 % ± {AA_BAND_ERRORS:g} binomial standard errors)")
    fig.update_traces(marker_size=11)
    fig.update_layout(scattermode="group")
    facet_titles_without_names(fig)
    for column, metric in enumerate(metrics, start=1):
        band = AA_BAND_ERRORS * float(aa.loc[aa["metric"] == metric,
                                             "binomial_standard_error"].max())
        fig.add_hrect(y0=0.05 - band, y1=0.05 + band, col=column, fillcolor="grey", opacity=0.15,
                      line_width=0, layer="below")
        fig.add_hline(y=0.05, col=column, line_dash="dash", line_color="grey")
    band = AA_BAND_ERRORS * long["binomial_standard_error"]
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1 * max(rate.max(), 0.05 + band.max())])
    read = long["status"] == "ok"
    outside = int((((rate - 0.05).abs() > band) & read).sum())
    return (paragraph(f"The placebo check: the readout run {aa['n_salts'].max():,} times on the "
                      f"weeks before the campaign, without any treatment, each time with other "
                      f"control groups. Of the {int(read.sum())} rates where the readout gives a "
                      f"p-value (enough customers per group), {outside} lie outside the band where "
                      "a calibrated readout keeps them; the others are shown for what they are, "
                      "too small a group to read.")
            + chart(fig, "experiment-aa", aa_takeaway(long)))


def readout_takeaway(read: pd.DataFrame) -> str:
    """Which channels' primary metric has a 95 % interval (with CUPED) above or below zero."""
    primary = read[(read["role"] == "primary") & (read["status"] == "ok")]
    if primary.empty:
        return "No channel has enough customers to read its primary metric yet."
    metric = words(primary["metric"].iloc[0])
    above = ", ".join(primary.loc[primary["ci_low_cuped"] > 0, "channel"])
    below = ", ".join(primary.loc[primary["ci_high_cuped"] < 0, "channel"])
    if not above and not below:
        return (f"No channel's 95 % interval of {metric} excludes zero: the readout shows no "
                "effect yet.")
    return (f"The 95 % interval of {metric} lies "
            + "; ".join(part for part in (above and f"above zero for {above}",
                                          below and f"below zero for {below}") if part) + ".")


@section("The campaign's readout", "experiment_readout")
def experiment_readout(con) -> str:
    readout = frame(con, """
        select channel, metric, status, role, outcome_first_week, outcome_last_week, n_treatment,
               n_control, effect, ci_low, ci_high, p_value, effect_cuped, ci_low_cuped,
               ci_high_cuped, p_value_cuped, p_value_holm, srm_mismatch, guardrail_breached
        from experiment_readout order by metric, channel
    """)
    read = readout[readout["status"].isin(["ok", "too few customers"])]
    if read.empty:
        return paragraph(f"Nothing to read out yet: {readout['status'].iloc[0]}. The campaign's readout "
                         "starts with the first `make send` and fills in as the data of its weeks "
                         "arrives; until then, the A/A check above is the only readout, a placebo "
                         "check on weeks without any treatment.")
    metrics = label_metrics(read)
    long = plain_and_cuped(read, effect="effect_cuped", ci_low="ci_low_cuped",
                           ci_high="ci_high_cuped", p_value="p_value_cuped")
    fig = px.scatter(long, x="channel", y="effect", color="estimate", facet_col="metric",
                     category_orders={"metric": metrics},
                     error_y=long["ci_high"] - long["effect"],
                     error_y_minus=long["effect"] - long["ci_low"],
                     hover_data=["p_value", "n_treatment", "n_control", "status"],
                     labels=labels(effect="treatment / control - 1"),
                     title="Effect of the campaign with its 95 % interval, per channel and metric")
    fig.update_traces(marker_size=10)
    fig.update_layout(scattermode="group")
    facet_titles_without_names(fig)
    for column in range(1, len(metrics) + 1):
        fig.add_hline(y=0, col=column, line_color="grey")
    fig.update_yaxes(tickformat=".0%")
    first, last = read["outcome_first_week"].min(), read["outcome_last_week"].max()
    verdicts = []
    for row in read[read["role"] == "primary"].itertuples():
        if row.status != "ok":
            verdicts.append(f"{row.channel}: too few customers to read")
        else:
            verdicts.append(f"{row.channel}: {percent(row.effect_cuped, signed=True)} "
                            f"({percent(row.ci_low_cuped, signed=True)} to {percent(row.ci_high_cuped, signed=True)}, "
                            f"p {row.p_value_cuped:.2f})")
    mismatched = sorted(set(read.loc[read["srm_mismatch"].fillna(False).astype(bool), "channel"]))
    fallen = sorted(set(read.loc[read["guardrail_breached"].fillna(False).astype(bool), "channel"]))
    return (paragraph(f"The campaign's send weeks {first}-{last}, each channel's audience of its first "
                      f"week in the groups the ledger recorded (intention to treat), with CUPED. Revenue "
                      f"per customer, the primary metric: {'; '.join(verdicts)}. A fixed-horizon "
                      "readout: read week after week, judge it by the sequential test below.")
            + paragraph("Sample ratio: " + (f"MISMATCH in {', '.join(mismatched)}: the split or the "
                                            "logging is broken, do not trust its figures."
                                            if mismatched else "every channel's control group has "
                                            "the planned share (no p below 0.001).")
                        + " Guardrail (baskets per customer): "
                        + (f"FELL in {', '.join(fallen)}." if fallen else "did not fall significantly."))
            + chart(fig, "experiment-readout", readout_takeaway(read)))


def weekly_takeaway(weekly: pd.DataFrame) -> str:
    """Whether a channel's p-value of the latest look lies below the sequential test's level."""
    latest = weekly[weekly["look"] == weekly["look"].max()]
    week, level = int(latest["send_week"].iloc[0]), float(latest["nominal_alpha"].iloc[0])
    claimed = latest[latest["p_value_cuped"] <= latest["nominal_alpha"]]
    if not claimed.empty:
        return (f"In week {week}, {', '.join(claimed['channel'])} lies below the sequential level "
                f"of {level:.2g}: an effect on revenue per customer the test may claim.")
    lowest = latest.loc[latest["p_value_cuped"].idxmin()]
    return (f"In week {week}, no channel lies below the sequential level of {level:.2g} (lowest: "
            f"{lowest.channel}, p {lowest.p_value_cuped:.2g}): no effect to claim yet.")


@section("The campaign read every week", "experiment_readout_weekly")
def experiment_readout_weekly(con) -> str:
    weekly = frame(con, """
        select look, send_week, channel, metric, status, effect_cuped, p_value_cuped, nominal_alpha,
               effect_claimed
        from experiment_readout_weekly
        where role = 'primary' and status = 'ok' order by channel, look
    """)
    if weekly.empty:
        return paragraph("No channel has a weekly readout yet: either no campaign week with its data "
                         "is recorded, or every channel's groups are too small to read.")
    fig = px.line(weekly, x="send_week", y="p_value_cuped", color="channel", markers=True,
                  color_discrete_map=CHANNEL_COLORS, log_y=True,
                  hover_data=["look", "effect_cuped", "nominal_alpha"],
                  labels=labels(p_value_cuped="p-value of revenue per customer"),
                  title="Each week's p-value against the sequential test's level (dashed) and 0.05 (dotted)")
    boundary = weekly.drop_duplicates("look").sort_values("look")
    fig.add_scatter(x=boundary["send_week"], y=boundary["nominal_alpha"], mode="lines",
                    line_dash="dash", line_color="grey", name="sequential level")
    fig.add_hline(y=0.05, line_dash="dot", line_color="grey")
    fig.update_xaxes(dtick=1)
    latest = weekly[weekly["look"] == weekly["look"].max()]
    claims = ", ".join(f"{row.channel} {'claimed' if row.effect_claimed else 'not claimed'}"
                       for row in latest.itertuples())
    naive = ", ".join(sorted(set(weekly.loc[weekly["p_value_cuped"] < 0.05, "channel"]))) or "no channel"
    return (paragraph(f"Week {int(latest['send_week'].iloc[0])} (look {int(latest['look'].iloc[0])}): "
                      f"{claims} by the sequential test, which keeps the false-positive rate at 5 % "
                      f"however often it is read. A naive weekly p below 0.05 occurred for {naive}; "
                      "acting on it would claim effects far more often than 5 %.")
            + chart(fig, "experiment-weekly", weekly_takeaway(weekly)))


def power_weekly_takeaway(power: pd.DataFrame) -> str:
    """The first week each channel detects the goal; if none does, the closest at the end."""
    goal = float(power["goal_uplift"].iloc[0])
    power = power.dropna(subset=["mde_cuped_sequential"])
    if power.empty:
        return "No channel has enough customers yet to give a detectable uplift."
    reached = power[power["mde_cuped_sequential"] <= goal].groupby("channel", sort=True)["weeks"].min()
    if not reached.empty:
        return ("The weekly readout detects the goal of " + percent(goal, signed=True) + " "
                + ", ".join(f"for {channel} from week {weeks}" for channel, weeks in reached.items())
                + ".")
    final = power[power["weeks"] == power["weeks"].max()]
    closest = final.loc[final["mde_cuped_sequential"].idxmin()]
    return (f"No channel detects the goal of {percent(goal, signed=True)} within "
            f"{int(closest.weeks)} weeks; the closest, {closest.channel}, detects "
            f"{percent(closest.mde_cuped_sequential)}.")


@section("How the detectable effect shrinks week by week", "experiment_power_weekly")
def experiment_power_weekly(con) -> str:
    power = frame(con, """
        select weeks, channel, status, mde_cuped, mde_cuped_sequential, goal_uplift
        from experiment_power_weekly where metric = 'revenue_per_customer' order by channel, weeks
    """)
    fig = px.line(power, x="weeks", y="mde_cuped_sequential", color="channel", markers=True,
                  color_discrete_map=CHANNEL_COLORS, hover_data=["mde_cuped", "status"],
                  labels=labels(weeks="weeks of the campaign read",
                                mde_cuped_sequential="minimum detectable uplift of revenue per customer"),
                  title="Smallest uplift of revenue per customer the weekly readout detects (80 % power, CUPED)")
    goal = float(power["goal_uplift"].iloc[0])
    fig.add_hline(y=goal, line_dash="dash", line_color="grey",
                  annotation_text=f"the goal among reached customers, {percent(goal, signed=True)}")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(dtick=1)
    final = power[power["weeks"] == power["weeks"].max()]
    text = "; ".join(f"{row.channel} {percent(row.mde_cuped_sequential)} after {int(row.weeks)} weeks"
                     f"{'' if row.status == 'ok' else ' (too few customers: no p-value)'}"
                     for row in final.itertuples())
    return (paragraph(f"From the weeks before the campaign: {text}. The detectable uplift falls "
                      "quickly over the first weeks, then slowly: the customers' own differences "
                      "stay, and CUPED removes only what the pre-period explains.")
            + chart(fig, "experiment-power-weekly", power_weekly_takeaway(power)))


def hits_takeaway(treated: pd.DataFrame) -> str:
    """The channel whose recipients bought most of their items in the latest week."""
    read = treated.dropna(subset=["hit_rate"])
    if read.empty:
        return "No week has recipients to read a hit rate from yet."
    week = latest(read, "send_week")
    return extremes(week.set_index("channel")["hit_rate"],
                    f"In week {week['send_week'].iloc[0]}, {{value:.1%}} of the {{name}} "
                    "recipients bought one of their items",
                    ", the most of any channel; {name} {value:.1%}")


def revenue_takeaway(weekly: pd.DataFrame) -> str:
    """Revenue per customer of the treatment against the control over every recorded week,
    weighted by the audience."""
    spend = {group: weighted_mean(rows["revenue_per_customer"], rows["audience"])
             for group, rows in weekly.groupby("experiment_group")}
    if not {"treatment", "control"} <= set(spend):
        return "Only one group has recorded weeks: nothing to compare yet."
    difference = spend["treatment"] - spend["control"]
    return (f"Over the recorded weeks, the treatment spent ${spend['treatment']:,.2f} per customer "
            f"and the held-out control ${spend['control']:,.2f}, "
            + (f"${abs(difference):,.2f} {'more' if difference > 0 else 'less'}" if difference
               else "the same")
            + "; the readout says whether that is more than chance.")


@section("The campaign over time", "campaign_weekly")
def campaign_over_time(con) -> str:
    weekly = frame(con, """
        select send_week, channel, experiment_group, audience, recipients, buyers, hit_rate,
               item_hit_rate, revenue_per_customer, repeat_share, windows_complete
        from campaign_weekly order by send_week, channel, experiment_group
    """)
    treated = weekly[weekly["experiment_group"] == "treatment"]
    hits = px.line(treated, x="send_week", y="hit_rate", color="channel", markers=True,
                   color_discrete_map=CHANNEL_COLORS,
                   hover_data=["recipients", "buyers", "item_hit_rate", "windows_complete"],
                   labels=labels(hit_rate="recipients who bought a sent item"),
                   title="Hit rate of the week's lists: recipients who bought one of their items in its window")
    hits.update_yaxes(tickformat=".0%", rangemode="tozero")
    hits.update_xaxes(dtick=1)
    revenue = px.line(weekly, x="send_week", y="revenue_per_customer", color="experiment_group",
                      facet_col="channel", markers=True, hover_data=["audience"], labels=labels(),
                      title="Revenue per customer in the send week, treatment against the held-out control")
    facet_titles_without_names(revenue)
    revenue.update_xaxes(dtick=1)
    repeats = treated.dropna(subset=["repeat_share"])
    repeat_note = ("No week has a recorded week before it yet." if repeats.empty else
                   f"Repeat share (items a customer was also sent the recorded week before, on any "
                   f"channel): {percent(weighted_mean(repeats['repeat_share'], repeats['recipients']))} "
                   f"over {repeats['send_week'].nunique()} weeks, at most "
                   f"{percent(repeats['repeat_share'].max())} in any week and channel.")
    weeks = weekly["send_week"]
    return (paragraph(f"{weeks.nunique()} recorded send weeks ({weeks.min()}-{weeks.max()}) from the "
                      f"ledger. {repeat_note}")
            + chart(hits, "campaign-hits", hits_takeaway(treated))
            + chart(revenue, "campaign-revenue", revenue_takeaway(weekly)))


def real_campaigns_takeaway(campaigns: pd.DataFrame) -> str:
    """In how many campaigns the share of buyers rose, and the largest rise and fall."""
    change = (campaigns["coupon_buy_rate"] - campaigns["coupon_buy_rate_before"]).rename("change")
    rows = campaigns.assign(change=change).sort_values("change", kind="stable")
    rose, top, bottom = int((change > 0).sum()), rows.iloc[-1], rows.iloc[0]
    text = (f"The share buying a coupon product rose in {rose} of {len(rows)} campaigns; most in "
            f"{top.campaign} ({top.change:+.1%} points)")
    if bottom.change < 0:
        text += f", and fell most in {bottom.campaign} ({bottom.change:+.1%} points)"
    return text + "."


@section("The retailer's own campaigns", "real_campaigns")
def real_campaigns(con) -> str:
    campaigns = frame(con, """
        select campaign_id, campaign_type, start_date, end_date, households, redeemers,
               redemption_rate, coupon_buy_rate, coupon_buy_rate_before, windows_in_data
        from real_campaigns where windows_in_data order by start_date
    """)
    if campaigns.empty:
        return paragraph("No campaign of the data has both windows inside the data's dates.")
    campaigns["campaign"] = "#" + campaigns["campaign_id"].astype(str) + " " + campaigns["campaign_type"]
    long = pd.concat([campaigns.assign(window=name, rate=campaigns[column])
                      for name, column in (("before the campaign", "coupon_buy_rate_before"),
                                           ("during the campaign", "coupon_buy_rate"))])
    fig = px.bar(long, x="campaign", y="rate", color="window", barmode="group",
                 hover_data=["households", "redeemers", "redemption_rate", "start_date", "end_date"],
                 labels=labels(rate="households who bought a coupon product",
                               campaign="campaign (number and type)"),
                 title="Households reached who bought one of the campaign's coupon products")
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    lift = weighted_mean(campaigns["coupon_buy_rate"] - campaigns["coupon_buy_rate_before"],
                         campaigns["households"])
    return (paragraph(f"{len(campaigns)} campaigns of the data with both windows in its dates, "
                      f"{campaigns['households'].sum():,} household-campaign pairs: "
                      f"{percent(weighted_mean(campaigns['redemption_rate'], campaigns['households']))} "
                      f"redeemed a coupon, and the share buying a coupon product changed by "
                      f"{lift:+.1%} points from the window before to the campaign's (weighted by "
                      "households): real exposure, read by the same response rule as the sends.")
            + chart(fig, "real-campaigns", real_campaigns_takeaway(campaigns)))


def grid_takeaway(grid: pd.DataFrame) -> str:
    """The configuration with the best precision@5 against the fastest one."""
    best = grid.loc[grid["precision_at_5"].idxmax()]
    fastest = grid.loc[grid["fit_seconds"].idxmin()]
    text = (f"The best configuration, {best.configuration} ({best.weighting} weighting), reaches "
            f"precision@5 {best.precision_at_5:.3f} in {best.fit_seconds:.1f} s")
    if fastest.name == best.name:
        return text + ", and it is also the fastest."
    return (f"{text}; the fastest, {fastest.configuration}, reaches "
            f"{fastest.precision_at_5:.3f} in {fastest.fit_seconds:.1f} s.")


@section("The ALS grid search", "als_grid")
def als_grid(con) -> str:
    grid = frame(con, "select * from als_grid order by rank")
    grid["configuration"] = (grid["factors"].astype(str) + " factors, reg " +
                             grid["regularization"].astype(str) + ", " +
                             grid["iterations"].astype(str) + " sweeps")
    fig = px.scatter(grid, x="fit_seconds", y="precision_at_5", color="weighting",
                     symbol="factors", hover_name="configuration",
                     hover_data=["money_precision_at_5", "rank"], render_mode="svg", labels=labels(),
                     title="Plain ALS top 5 per configuration: precision@5 against fit time")
    fig.update_yaxes(tickformat=".1%")
    return (paragraph("make grid only: every configuration of the course's grid, fitted on the "
                      "latest backtest cutoff.")
            + chart(fig, "als-grid", grid_takeaway(grid)) + plain_table(grid.drop(columns="configuration").head(10)))


# --- the page ------------------------------------------------------------------------------

def empty_tables(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> list[str]:
    return [table for table in tables
            if con.execute(f'select count(*) = 0 from "{table}"').fetchone()[0]]


def sections_html(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(title, body) of every section whose tables exist.

    A section with an empty table says so instead of drawing an empty chart (a build whose
    sample is too small for a step, e.g. a fold without customers to evaluate).
    """
    present = existing_tables(con)
    parts = []
    for entry in SECTIONS:
        if not set(entry.tables) <= present:
            continue
        empty = empty_tables(con, entry.tables)
        parts.append((entry.title, entry.render(con) if not empty else
                      paragraph(f"Nothing to show: {', '.join(empty)} has no rows in this build.")))
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
    return (f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8>{paths.REPORT_GENERATOR}"
            f"<title>Recommender report</title><style>{STYLE}</style>"
            f"<script>{get_plotlyjs()}</script></head><body>"
            f"<h1>Recommender report</h1>"
            f"<p class=note>From {html.escape(database.name)}.</p>{body}</body></html>")


def write(database: Path, output: Path | None = None) -> Path:
    """Write the report of ``database`` (default: ``<database>.report.html``); return its path.
    Raise paths.OutputError, before any work, if ``output`` is a file this project did not write."""
    output = output or paths.report_path(database)
    problem = paths.report_problem(output)
    if problem:
        raise paths.OutputError(problem)
    con = duckdb.connect(str(database), read_only=True)
    try:
        page = render(con, database)
    finally:
        con.close()
    # written beside and renamed: a reader never opens half a report
    partial = output.with_name(output.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    partial.chmod(0o644)
    os.replace(partial, output)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, default=None,
                        help="the DuckDB file (default: RECSYS_DB or recsys.duckdb)")
    parser.add_argument("--output", type=Path, default=None,
                        help="the HTML file (default: <database>.report.html)")
    args = parser.parse_args(argv)
    database = args.database or paths.database_path()
    if not database.is_file():
        print(f"error: {database}: no database; build it first (make run)", file=sys.stderr)
        return 2
    try:
        output = write(database, args.output)
    except paths.OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"error: {database}: {first_line}", file=sys.stderr)
        return 2
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
