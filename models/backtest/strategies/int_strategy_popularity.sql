-- One row per backtest cutoff, recipient and position: the baseline_depth items with the most
-- distinct buyers up to the cutoff, the same list for everyone. The score is the share of the
-- cutoff's recipients who bought the item, a purchase propensity.
with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

),

top_items as (

    select
        catalog.cutoff_week,
        catalog.item_id,
        catalog.popularity_rank,
        catalog.buyer_share
    from catalog
    where catalog.popularity_rank <= {{ var('baseline_depth') }}

)

select
    backtest_recipients.cutoff_week,
    'popularity' as strategy,
    backtest_recipients.user_id,
    top_items.popularity_rank as position,
    top_items.item_id,
    top_items.buyer_share as score
from backtest_recipients
inner join top_items
    on backtest_recipients.cutoff_week = top_items.cutoff_week
