-- The ALS matrix: one row per cutoff, customer and item, with the weight of the cell. Items
-- outside the top_n_items share the placeholder bucket_item_id.
--
-- The weight answers the document's question "an item bought at 10 % off one week and at 50 % off
-- the next: what goes in the cell?": every clean purchase line counts, as in the course, but a
-- line bought on discount counts 1 - discount_weight x discount share. With the default 0.5,
-- 10 % off counts 0.95 and 50 % off counts 0.75: a deep discount buys the purchase, so it is
-- weaker evidence of taste, yet still evidence.
with cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

)

select
    cutoff_transactions.cutoff_week,
    cutoff_transactions.user_id,
    case
        when item_popularity.is_top_n then cutoff_transactions.item_id
        else {{ var('bucket_item_id') }}
    end as item_id,
    sum(1 - {{ var('discount_weight') }} * greatest(coalesce(cutoff_transactions.discount_share, 0), 0)) as weight
from cutoff_transactions
inner join item_popularity
    on cutoff_transactions.cutoff_week = item_popularity.cutoff_week
    and cutoff_transactions.item_id = item_popularity.item_id
group by all
