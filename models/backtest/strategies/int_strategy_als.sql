-- One row per backtest cutoff, recipient and position: plain ALS, the model's first baseline_depth
-- items as the course notebook recommends them. The score is a dot product, not a propensity.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}
    where {{ in_customer_batch('user_id') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}
    where {{ in_customer_batch('user_id') }}

)

select
    als_candidates.cutoff_week,
    'als' as strategy,
    als_candidates.user_id,
    als_candidates.als_rank as position,
    als_candidates.item_id,
    als_candidates.als_score as score
from als_candidates
inner join backtest_recipients
    on als_candidates.cutoff_week = backtest_recipients.cutoff_week
    and als_candidates.user_id = backtest_recipients.user_id
where als_candidates.als_rank <= {{ var('baseline_depth') }}
