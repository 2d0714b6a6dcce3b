{#- The whole model of a strategy that ranks the e-mail candidates by one score with none of the
    e-mail's rules (int_strategy_hybrid, int_strategy_ranker): each backtest recipient's first
    baseline_depth candidates, best first, ties by item id, a batch of customers at a time. A top-k
    (macros/top_k_rows.sql), not a sort of every candidate of every customer to keep ten. -#}
{% macro top_candidates(strategy, score) %}
with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}
    where {{ in_customer_batch('user_id') }}

),

email_candidates as (

    select * from {{ ref('int_email_candidates') }}
    where {{ in_customer_batch('user_id') }}

)

select
    top_items.cutoff_week,
    '{{ strategy }}' as strategy,
    top_items.user_id,
    top_items.position,
    top_items.item_id,
    top_items.score
from (
    with recipient_candidates as (
        select
            email_candidates.cutoff_week,
            email_candidates.user_id,
            email_candidates.item_id,
            {{ score }} as score
        from email_candidates
        inner join backtest_recipients
            on email_candidates.cutoff_week = backtest_recipients.cutoff_week
            and email_candidates.user_id = backtest_recipients.user_id
    )

    {{ top_k_rows('recipient_candidates', ['cutoff_week', 'user_id'], ['score desc', 'item_id asc'],
        ['item_id', 'score'], var('baseline_depth')) }}
) as top_items
{%- endmacro %}
