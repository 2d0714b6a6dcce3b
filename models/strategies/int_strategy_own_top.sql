-- One row per backtest cutoff, recipient and position: the customer's own most bought items (most
-- purchase lines, then most recent), then the popularity list fills up to baseline_depth. The
-- score counts purchase lines (0 for the fill), not a propensity.
with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

popularity as (

    select * from {{ ref('int_strategy_popularity') }}

),

-- the customer's baseline_depth most bought items, with a top-k aggregate rather than a window
-- that sorts everything they bought: the struct orders by purchase lines, then the last week,
-- then the lower item id
own_top_lists as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        max(
            {
                'n_lines': user_item_history.n_lines,
                'last_week': user_item_history.last_week,
                'item_order': -user_item_history.item_id,
                'item_id': user_item_history.item_id
            },
            {{ var('baseline_depth') }}
        ) as top_list
    from user_item_history
    inner join backtest_recipients
        on user_item_history.cutoff_week = backtest_recipients.cutoff_week
        and user_item_history.user_id = backtest_recipients.user_id
    where user_item_history.n_lines > 0
    group by user_item_history.cutoff_week, user_item_history.user_id

),

own_and_popular as (

    select
        own_top_lists.cutoff_week,
        own_top_lists.user_id,
        own_items.own_item.item_id,
        0 as source_order,
        own_items.own_item.n_lines as score,
        own_items.own_item.last_week
    from own_top_lists, unnest(own_top_lists.top_list) as own_items (own_item)
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
        own_and_popular.score
    from own_and_popular
    -- an own item that is also popular is listed once, as an own item
    qualify row_number() over (
            partition by own_and_popular.cutoff_week, own_and_popular.user_id, own_and_popular.item_id
            order by own_and_popular.source_order
        ) = 1

)

select * from own_top
where own_top.position <= {{ var('baseline_depth') }}
