-- One row per backtest cutoff, recipient and position: the e-mail candidates ranked by the
-- ranker's calibrated probability, with none of the e-mail's rules.
with backtest_recipients as (

    select * from {{ ref('int_backtest_recipients') }}

),

email_candidates as (

    select * from {{ ref('int_email_candidates') }}

)

{{ top_candidates('ranker', 'email_candidates.score') }}
