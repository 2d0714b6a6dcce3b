{#- The final select of a strategy that ranks the e-mail candidates by one score with none of the
    e-mail's rules (int_strategy_hybrid, int_strategy_ranker): each backtest recipient's first
    baseline_depth candidates, best first, ties by item id. Reads the CTEs email_candidates and
    backtest_recipients of the calling model.
    A top-k aggregate (max of a struct, n), not a window: a window sorts every candidate of every
    customer to keep ten. max(..., n) lists them best first; the struct orders by the score, then
    by the lower item id. -#}
{% macro top_candidates(strategy, score) %}
select
    top_lists.cutoff_week,
    '{{ strategy }}' as strategy,
    top_lists.user_id,
    top_items.position,
    top_items.top_item.item_id,
    top_items.top_item.score
from (
    select
        email_candidates.cutoff_week,
        email_candidates.user_id,
        max(
            {
                'score': {{ score }},
                'item_order': -email_candidates.item_id,
                'item_id': email_candidates.item_id
            },
            {{ var('baseline_depth') }}
        ) as top_list
    from email_candidates
    inner join backtest_recipients
        on email_candidates.cutoff_week = backtest_recipients.cutoff_week
        and email_candidates.user_id = backtest_recipients.user_id
    group by email_candidates.cutoff_week, email_candidates.user_id
) as top_lists,
    unnest(top_lists.top_list) with ordinality as top_items (top_item, position)
{%- endmacro %}
