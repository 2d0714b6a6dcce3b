-- One row per cutoff week: the last week a model may see. The production cutoff is the last week
-- of data and its e-mail goes out the week after. Each backtest cutoff ends horizon_weeks (times
-- its fold) before that, and the horizon_weeks after it are its test window. One more cutoff,
-- horizon_weeks before the earliest backtest, only trains: the ranker applied at a cutoff learns
-- from the cutoff before it, whose window ends exactly there, so the earliest backtest needs one.
with transactions as (

    select * from {{ ref('stg_transactions') }}

),

data_weeks as (

    select max(transactions.week) as last_week from transactions

),

production as (

    select
        data_weeks.last_week as cutoff_week,
        'production' as cutoff_kind,
        cast(null as integer) as test_last_week
    from data_weeks

),

backtests as (

    select
        data_weeks.last_week - {{ var('horizon_weeks') }} * folds.fold as cutoff_week,
        case
            when folds.fold <= {{ var('backtest_folds') }} then 'backtest' else 'training'
        end as cutoff_kind,
        data_weeks.last_week - {{ var('horizon_weeks') }} * (folds.fold - 1) as test_last_week
    from data_weeks
    cross join range(1, {{ var('backtest_folds') }} + 2) as folds (fold)

),

cutoffs as (

    select * from production
    union all
    select * from backtests

)

select
    cast(cutoffs.cutoff_week as integer) as cutoff_week,
    cutoffs.cutoff_kind,
    cast(cutoffs.cutoff_week + 1 as integer) as send_week,
    cast(cutoffs.test_last_week as integer) as test_last_week
from cutoffs
