-- One row per backtest cutoff, recipient and position: the e-mail candidates ranked by the
-- hand-set propensity hybrid_score, with none of the e-mail's rules.
with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}

),

email_candidates as (

    select * from {{ ref('int_email_candidates') }}

)

{{ top_candidates('hybrid', 'email_candidates.hybrid_score') }}
