-- One row per backtest cutoff, recipient and position: the customer's own most bought items (most
-- purchase lines, then most recent), then the popularity list fills up to baseline_depth. The
-- score counts purchase lines (0 for the fill), not a propensity.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}
    where {{ in_customer_batch('user_id') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}
    where {{ in_customer_batch('user_id') }}

),

popularity as (

    select * from {{ ref('int_strategy_popularity') }}
    where {{ in_customer_batch('user_id') }}

),

-- the customer's baseline_depth most bought items, with a top-k (macros/top_k_rows.sql) rather
-- than a sort of everything they bought: most purchase lines, then the last week, then the lower
-- item id
recipient_items as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        user_item_history.item_id,
        user_item_history.n_lines,
        user_item_history.last_week
    from user_item_history
    inner join backtest_recipients
        on user_item_history.cutoff_week = backtest_recipients.cutoff_week
        and user_item_history.user_id = backtest_recipients.user_id
    where user_item_history.n_lines > 0

),

own_top_items as (

    {{ top_k_rows('recipient_items', ['cutoff_week', 'user_id'], ['n_lines desc', 'last_week desc', 'item_id asc'],
        ['item_id', 'n_lines', 'last_week'], var('baseline_depth')) }}

),

own_and_popular as (

    select
        own_top_items.cutoff_week,
        own_top_items.user_id,
        own_top_items.item_id,
        0 as source_order,
        own_top_items.n_lines as score,
        own_top_items.last_week
    from own_top_items
    union all
    select
        popularity.cutoff_week,
        popularity.user_id,
        popularity.item_id,
        1 as source_order,
        0 as score,
        -popularity.position as last_week
    from popularity

),

-- the position counts every row, also an own item's second row from the popular list, which is
-- then dropped (an own item that is also popular is listed once, as an own item)
own_top as (

    select
        own_and_popular.cutoff_week,
        'own_top' as strategy,
        own_and_popular.user_id,
        row_number() over (
            partition by own_and_popular.cutoff_week, own_and_popular.user_id
            order by
                own_and_popular.source_order asc, own_and_popular.score desc,
                own_and_popular.last_week desc, own_and_popular.item_id asc
        ) as position,
        own_and_popular.item_id,
        own_and_popular.score,
        row_number() over (
            partition by own_and_popular.cutoff_week, own_and_popular.user_id, own_and_popular.item_id
            order by own_and_popular.source_order
        ) as item_rank
    from own_and_popular

)

select
    own_top.cutoff_week,
    own_top.strategy,
    own_top.user_id,
    own_top.position,
    own_top.item_id,
    own_top.score
from own_top
where own_top.item_rank = 1 and own_top.position <= {{ var('baseline_depth') }}
