{#- The final select of a strategy that ranks the e-mail candidates by one score with none of the
    e-mail's rules (int_strategy_hybrid, int_strategy_ranker): each backtest recipient's first
    baseline_depth candidates, best first, ties by item id. Reads the CTEs email_candidates and
    backtest_recipients of the calling model. -#}
{% macro top_candidates(strategy, score) %}
select
    email_candidates.cutoff_week,
    '{{ strategy }}' as strategy,
    email_candidates.user_id,
    row_number() over (
        partition by email_candidates.cutoff_week, email_candidates.user_id
        order by {{ score }} desc, email_candidates.item_id
    ) as position,
    email_candidates.item_id,
    {{ score }} as score
from email_candidates
inner join backtest_recipients
    on email_candidates.cutoff_week = backtest_recipients.cutoff_week
    and email_candidates.user_id = backtest_recipients.user_id
qualify position <= {{ var('baseline_depth') }}
{%- endmacro %}
