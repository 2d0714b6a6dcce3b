-- One row per cutoff, send and customer it goes to: the audience of every send, and the one place
-- that decides it. A send reaches the cutoff's recipients who shopped in the last active_weeks
-- (the production audience rule of int_recipients, applied at every cutoff so that the backtest
-- sends go to the same kind of customer) and whom the channel reaches: opt-in channels through
-- customer_channels, the receipt every one of them, since they shop in a store. At the production
-- cutoff the experiment's control group (experiment_groups) is left out of every channel: it is
-- the hold-out that measures the campaign, and gets the plain receipt without the five products.
-- The backtest sends go to everyone, so that they measure the lists on the whole audience.
with sends as (

    select * from {{ ref('int_sends') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

channels as (

    select * from {{ ref('channels') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

experiment_groups as (

    select * from {{ ref('experiment_groups') }}

),

active_recipients as (

    select recipients.*
    from recipients
    where recipients.last_purchase_week > recipients.cutoff_week - {{ var('active_weeks') }}

),

send_recipients as (

    select
        sends.cutoff_week,
        sends.send_id,
        sends.channel,
        active_recipients.user_id
    from sends
    inner join cutoffs
        on sends.cutoff_week = cutoffs.cutoff_week
    inner join channels
        on sends.channel = channels.channel
    inner join active_recipients
        on sends.cutoff_week = active_recipients.cutoff_week
    left join customer_channels
        on active_recipients.user_id = customer_channels.user_id
        and sends.channel = customer_channels.channel
    left join experiment_groups
        on active_recipients.user_id = experiment_groups.user_id
        and sends.channel = experiment_groups.channel
    where (channels.reach = 'store_visit' or customer_channels.user_id is not null)
        and not (
            cutoffs.cutoff_kind = 'production'
            and experiment_groups.experiment_group is not distinct from 'control'
        )

)

select * from send_recipients
