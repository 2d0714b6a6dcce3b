-- One row per experiment period, channel and customer analysed, with the group they are in: who
-- the experiment reads out. Both are fixed at the period's start, from data before it, so that no
-- activity after the start decides who is analysed (intention to treat):
-- * readout: the audience of the campaign's first recorded send week, as the ledger recorded it,
--   each customer in the group they were given, whether or not a later week reached them;
-- * history: the customers the channel would have reached at the history's start: the opt-in
--   channels' customers (customer_channels) and every store shopper, who shopped in the
--   active_weeks before it, in the group the experiment's draw gives them.
with periods as (

    select * from {{ ref('int_experiment_periods') }}

),

ledger_audience as (

    select * from {{ ref('stg_ledger_audience') }}

),

pre_period as (

    select * from {{ ref('int_experiment_pre_period') }}

),

channels as (

    select * from {{ ref('channels') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

campaign_audience as (

    select
        periods.period,
        ledger_audience.channel,
        ledger_audience.user_id,
        ledger_audience.experiment_group
    from periods
    inner join ledger_audience
        on periods.outcome_first_week = ledger_audience.send_week
    where periods.period = 'readout'

),

history_audience as (

    select
        pre_period.period,
        channels.channel,
        pre_period.user_id,
        case
            when {{ experiment_draw("'" ~ var('experiment_salt') ~ "'", 'pre_period.user_id') }}
                < {{ var('control_share') }} then 'control'
            else 'treatment'
        end as experiment_group
    from pre_period
    cross join channels
    left join customer_channels
        on pre_period.user_id = customer_channels.user_id
        and channels.channel = customer_channels.channel
    where pre_period.period = 'history'
        and pre_period.active_at_start
        and (channels.reach = 'store_visit' or customer_channels.user_id is not null)

)

select * from campaign_audience
union all
select * from history_audience
