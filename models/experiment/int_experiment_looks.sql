-- One row per experiment period and look: the outcome weeks read out so far. The readout's looks
-- are the campaign's recorded send weeks whose data is in (look k: the k-th week of the campaign,
-- its outcome from the start up to that week); the history's are every week of its period, to
-- show how the minimum detectable effect shrinks as a campaign goes on. The final look is the one
-- the fixed-horizon tables read (experiment_readout, experiment_power, experiment_aa).
with periods as (

    select * from {{ ref('int_experiment_periods') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

data_end as (

    select max(cutoffs.cutoff_week) as last_week from cutoffs

),

history_looks as (

    select
        periods.period,
        cast(weeks.week_in_period as integer) as look,
        periods.outcome_first_week + weeks.week_in_period - 1 as outcome_data_last_week
    from periods
    cross join {{ integer_range(1, var('experiment_weeks') | int + 1, 'weeks', 'week_in_period') }}
    where periods.period = 'history'

),

readout_looks as (

    select
        periods.period,
        cast(recorded_weeks.send_week - periods.outcome_first_week + 1 as integer) as look,
        recorded_weeks.send_week as outcome_data_last_week
    from periods
    cross join data_end
    inner join recorded_weeks
        on recorded_weeks.send_week between periods.outcome_first_week and periods.outcome_last_week
        and recorded_weeks.send_week <= data_end.last_week
    where periods.period = 'readout'

),

looks as (

    select * from history_looks
    union all
    select * from readout_looks

)

select
    looks.period,
    looks.look,
    cast(looks.outcome_data_last_week as integer) as outcome_data_last_week,
    looks.look = max(looks.look) over (partition by looks.period) as is_final
from looks
