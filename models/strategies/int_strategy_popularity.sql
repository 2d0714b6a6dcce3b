-- One row per backtest cutoff, recipient and position: the baseline_depth items with the most
-- distinct buyers up to the cutoff, the same list for everyone. The score is the share of the
-- cutoff's recipients who bought the item, a purchase propensity.
with recipients as (

    select * from {{ ref('int_recipients') }}

),

backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

),

customers_per_cutoff as (

    select
        recipients.cutoff_week,
        count(*) as n_customers
    from recipients
    group by recipients.cutoff_week

),

top_items as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id,
        item_popularity.popularity_rank,
        item_popularity.n_buyers / customers_per_cutoff.n_customers as buyer_share
    from item_popularity
    inner join customers_per_cutoff
        on item_popularity.cutoff_week = customers_per_cutoff.cutoff_week
    where item_popularity.popularity_rank <= {{ var('baseline_depth') }}

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
