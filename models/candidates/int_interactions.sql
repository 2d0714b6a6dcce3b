-- The ALS matrix: one row per cutoff, customer and item, with the weight of the cell. Items
-- outside the top_n_items share the placeholder bucket_item_id. The weight is documented in
-- int_interactions.yml: clean lines, each discounted line counting less.
with user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

)

select
    user_item_history.cutoff_week,
    user_item_history.user_id,
    case
        when item_popularity.is_top_n then user_item_history.item_id
        else {{ var('bucket_item_id') }}
    end as item_id,
    cast(sum(user_item_history.interaction_weight) as double) as weight
from user_item_history
inner join item_popularity
    on user_item_history.cutoff_week = item_popularity.cutoff_week
    and user_item_history.item_id = item_popularity.item_id
where user_item_history.n_lines > 0
group by all
