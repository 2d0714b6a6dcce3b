-- One row per A/A salt (1 .. aa_salts), channel and metric: the sums of the metric's parts
-- (macro experiment_sums) over the history period's customers whom the salt 'aa-<n>' puts in
-- control, drawn exactly as experiment_groups draws. The treatment's sums are the channel's
-- (int_experiment_group_sums, both groups) minus these, so only the control draws, a tenth of
-- the customers, are joined and added up. A salt that puts nobody of a channel in control has
-- no row there.
with all_values as (

    select * from {{ ref('int_experiment_metric_values') }}

),

looks as (

    select * from {{ ref('int_experiment_looks') }}

),

-- the history's final look: the whole period without treatment
metric_values as (

    select all_values.*
    from all_values
    inner join looks
        on all_values.period = looks.period
        and all_values.look = looks.look
    where looks.period = 'history' and looks.is_final

),

customers as (

    select distinct metric_values.user_id from metric_values

),

salts as (

    select cast(salt_range.aa_salt as integer) as aa_salt
    from {{ integer_range(1, var('aa_salts') | int + 1, 'salt_range', 'aa_salt') }}

),

control_draws as (

    select
        salts.aa_salt,
        customers.user_id
    from salts
    cross join customers
    where {{ experiment_draw("'aa-' || cast(salts.aa_salt as string)", 'customers.user_id') }}
        < {{ var('control_share') }}

)

select
    control_draws.aa_salt,
    metric_values.channel,
    metric_values.metric,
    {{ experiment_sums('metric_values') }}
from control_draws
inner join metric_values
    on control_draws.user_id = metric_values.user_id
group by control_draws.aa_salt, metric_values.channel, metric_values.metric
