-- One row per cutoff, channel and customer the channel's sends that week could reach: the
-- cutoff's recipients who shopped in the last active_weeks (the production audience rule of
-- int_recipients, applied at every cutoff so that the backtest sends go to the same kind of
-- customer) and whom the channel reaches: opt-in channels through customer_channels, the
-- receipt every one of them, since they shop in a store. With the customer's experiment group,
-- control included: this is the population the experiment reads out (send_audience). The group
-- follows from the customer id alone; the spend stratum, which reads the weeks before the data's
-- end, is send_audience's, so that a backtest cutoff sees nothing after it.
with recipients as (

    select * from {{ ref('int_recipients') }}

),

channels as (

    select * from {{ ref('channels') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

experiment_groups as (

    select * from {{ ref('experiment_groups') }}

),

active_recipients as (

    select recipients.*
    from recipients
    where recipients.last_purchase_week > recipients.cutoff_week - {{ var('active_weeks') }}

)

select
    active_recipients.cutoff_week,
    channels.channel,
    active_recipients.user_id,
    coalesce(experiment_groups.experiment_group, 'treatment') as experiment_group
from active_recipients
cross join channels
left join customer_channels
    on active_recipients.user_id = customer_channels.user_id
    and channels.channel = customer_channels.channel
left join experiment_groups
    on active_recipients.user_id = experiment_groups.user_id
    and channels.channel = experiment_groups.channel
where channels.reach = 'store_visit' or customer_channels.user_id is not null
