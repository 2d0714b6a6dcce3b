-- One row per cutoff, customer and item the customer bought up to the cutoff. "Bought" is any
-- line with quantity > 0, even at zero price or in an excluded department, so that the new-item
-- slot never offers something the customer already had. The counts use clean lines only.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

user_item_weeks as (

    select * from {{ ref('int_user_item_weeks') }}
    where {{ in_customer_batch('user_id') }}

)

select
    cutoffs.cutoff_week,
    user_item_weeks.user_id,
    user_item_weeks.item_id,
    sum(user_item_weeks.n_lines) as n_lines,
    count(*) filter (where user_item_weeks.n_lines > 0) as n_weeks,
    count(*) filter (
        where user_item_weeks.n_lines > 0
        and user_item_weeks.week > cutoffs.cutoff_week - {{ var('recent_weeks') }}
    ) as n_recent_weeks,
    max(user_item_weeks.week) filter (where user_item_weeks.n_lines > 0) as last_week,
    min(user_item_weeks.week) filter (where user_item_weeks.n_lines > 0) as first_week,
    -- recent weeks weigh more: a week k weeks before the cutoff counts decay_rate ^ k; decimal
    -- terms so that the sum is exact in any order
    sum(cast(pow({{ var('decay_rate') }}, cutoffs.cutoff_week - user_item_weeks.week) as decimal(18, 6)))
    filter (where user_item_weeks.n_lines > 0) as decayed_weeks,
    sum(user_item_weeks.n_discounted_lines) as n_discounted_lines,
    count(*) filter (where user_item_weeks.n_lines > 0 and user_item_weeks.is_promo) as n_promo_weeks,
    sum(user_item_weeks.quantity) as quantity,
    sum(user_item_weeks.sales_value) as sales_value,
    sum(user_item_weeks.interaction_weight) as interaction_weight
from cutoffs
inner join user_item_weeks
    on {{ seen_by_cutoff('user_item_weeks', 'cutoffs') }}
group by cutoffs.cutoff_week, user_item_weeks.user_id, user_item_weeks.item_id
