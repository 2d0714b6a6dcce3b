-- One row per experiment period: the readout (the experiment's outcome weeks and its pre-period)
-- and the history (the same lengths, ending the week before the experiment starts) on which the
-- power table and the A/A check are computed.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

data_weeks as (

    -- the production cutoff is the last week of data
    select cutoffs.cutoff_week as last_week
    from cutoffs
    where cutoffs.cutoff_kind = 'production'

),

experiment_start as (

    select
        {% if var('experiment_start_week') | string | trim == '' -%}
            data_weeks.last_week - {{ var('experiment_weeks') }} + 1
        {%- else -%}
            {{ var('experiment_start_week') }}
        {%- endif %} as start_week,
        data_weeks.last_week
    from data_weeks

),

periods as (

    select
        'readout' as period,
        experiment_start.start_week as outcome_first_week,
        experiment_start.last_week
    from experiment_start

    union all

    select
        'history' as period,
        experiment_start.start_week - {{ var('experiment_weeks') }} as outcome_first_week,
        experiment_start.last_week
    from experiment_start

)

select
    periods.period,
    cast(periods.outcome_first_week - {{ var('pre_period_weeks') }} as integer) as pre_first_week,
    cast(periods.outcome_first_week - 1 as integer) as pre_last_week,
    cast(periods.outcome_first_week as integer) as outcome_first_week,
    cast(periods.outcome_first_week + {{ var('experiment_weeks') }} - 1 as integer) as outcome_last_week,
    cast(
        least(periods.last_week, periods.outcome_first_week + {{ var('experiment_weeks') }} - 1)
        as integer
    ) as outcome_data_last_week
from periods
