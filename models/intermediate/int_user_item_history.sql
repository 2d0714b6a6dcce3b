-- One row per cutoff, customer and item the customer bought up to the cutoff. "Bought" is any
-- line with quantity > 0, even at zero price or in an excluded department, so that the new-item
-- slot never offers something the customer already had. The counts use clean lines only.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

user_item_weeks as (

    select * from {{ ref('int_user_item_weeks') }}

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
    sum(user_item_weeks.quantity) as quantity,
    sum(user_item_weeks.sales_value) as sales_value,
    sum(user_item_weeks.interaction_weight) as interaction_weight
from cutoffs
inner join user_item_weeks
    on user_item_weeks.week <= cutoffs.cutoff_week
group by cutoffs.cutoff_week, user_item_weeks.user_id, user_item_weeks.item_id
