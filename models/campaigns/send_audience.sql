-- The production week's audience: one row per channel and customer its sends could reach, with
-- the experiment group they were given (control included). `make send` records it in the ledger
-- beside the sends, so that the readout analyses everyone the campaign meant to treat or hold out.
with send_audience as (

    select * from {{ ref('int_send_audience') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

experiment_groups as (

    select * from {{ ref('experiment_groups') }}

)

select
    cutoffs.send_week,
    send_audience.channel,
    send_audience.user_id,
    send_audience.experiment_group,
    cast(coalesce(experiment_groups.stratum, 0) as integer) as stratum
from send_audience
inner join cutoffs
    on send_audience.cutoff_week = cutoffs.cutoff_week
left join experiment_groups
    on send_audience.user_id = experiment_groups.user_id
    and send_audience.channel = experiment_groups.channel
where cutoffs.cutoff_kind = 'production'
