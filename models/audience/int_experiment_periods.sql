-- One row per experiment period. readout: the campaign, which starts in the first send week
-- recorded in the ledger (or, before anything is recorded, would start the week after the data),
-- with its planned experiment_weeks and the pre_period_weeks before it (the CUPED covariate, the
-- strata). history: the same lengths ending the week before that start, the period without any
-- treatment on which the power table, the goal and the A/A check are computed.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

campaign_start as (

    select
        coalesce(min(recorded_weeks.send_week), max(cutoffs.cutoff_week) + 1) as start_week,
        count(recorded_weeks.send_week) > 0 as started
    from cutoffs
    left join recorded_weeks
        on true
    where cutoffs.cutoff_kind = 'production'

),

periods as (

    select
        'readout' as period,
        campaign_start.start_week as outcome_first_week,
        campaign_start.started
    from campaign_start
    union all
    select
        'history' as period,
        campaign_start.start_week - {{ var('experiment_weeks') }} as outcome_first_week,
        true as started
    from campaign_start

)

select
    periods.period,
    cast(periods.outcome_first_week - {{ var('pre_period_weeks') }} as integer) as pre_first_week,
    cast(periods.outcome_first_week - 1 as integer) as pre_last_week,
    cast(periods.outcome_first_week as integer) as outcome_first_week,
    cast(periods.outcome_first_week + {{ var('experiment_weeks') }} - 1 as integer) as outcome_last_week,
    periods.started
from periods
