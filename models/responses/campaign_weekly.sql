-- One row per recorded send week, channel and experiment group: how the campaign did. The
-- audience is everyone the week's sends could reach in that group (control included); the
-- recipients got a list (treatment only); buyers bought one of their items in the send's window.
-- Revenue per customer is over the whole send week and the whole audience (intention to treat),
-- so treatment and control compare like with like. The repeat share is the share of the week's
-- (customer, item) pairs on the channel that the customer was sent, on any channel, in the
-- recorded week before.
with ledger_audience as (

    select * from {{ ref('stg_ledger_audience') }}

),

send_responses as (

    select * from {{ ref('send_responses') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

week_revenue as (

    select
        transactions.user_id,
        transactions.week,
        sum(transactions.sales_value) as revenue
    from transactions
    group by transactions.user_id, transactions.week

),

audience_revenue as (

    select
        ledger_audience.send_week,
        ledger_audience.channel,
        ledger_audience.experiment_group,
        count(*) as audience,
        coalesce(sum(week_revenue.revenue), 0) as revenue
    from ledger_audience
    left join week_revenue
        on ledger_audience.user_id = week_revenue.user_id
        and ledger_audience.send_week = week_revenue.week
    group by ledger_audience.send_week, ledger_audience.channel, ledger_audience.experiment_group

),

sent_pairs as (

    select distinct
        send_responses.send_week,
        send_responses.channel,
        send_responses.user_id,
        send_responses.item_id
    from send_responses

),

-- what each customer was sent in a week, whatever the channel
customer_pairs as (

    select distinct
        sent_pairs.send_week,
        sent_pairs.user_id,
        sent_pairs.item_id
    from sent_pairs

),

repeats as (

    select
        sent_pairs.send_week,
        sent_pairs.channel,
        count(*) as pairs,
        count(earlier.user_id) as repeated_pairs
    from sent_pairs
    inner join recorded_weeks
        on sent_pairs.send_week = recorded_weeks.send_week
    left join customer_pairs as earlier
        on recorded_weeks.previous_week = earlier.send_week
        and sent_pairs.user_id = earlier.user_id
        and sent_pairs.item_id = earlier.item_id
    -- the first recorded week has no week before to repeat
    where recorded_weeks.previous_week is not null
    group by sent_pairs.send_week, sent_pairs.channel

),

recipients as (

    select
        send_responses.send_week,
        send_responses.channel,
        send_responses.experiment_group,
        count(distinct send_responses.user_id) as recipients,
        count(distinct case when send_responses.bought then send_responses.user_id end) as buyers,
        count(*) as items_sent,
        count(*) filter (where send_responses.bought) as items_bought,
        bool_and(send_responses.window_complete) as windows_complete
    from send_responses
    group by send_responses.send_week, send_responses.channel, send_responses.experiment_group

)

select
    audience_revenue.send_week,
    audience_revenue.channel,
    audience_revenue.experiment_group,
    audience_revenue.audience,
    coalesce(recipients.recipients, 0) as recipients,
    coalesce(recipients.buyers, 0) as buyers,
    cast(recipients.buyers as double) / nullif(recipients.recipients, 0) as hit_rate,
    cast(recipients.items_bought as double) / nullif(recipients.items_sent, 0) as item_hit_rate,
    audience_revenue.revenue / audience_revenue.audience as revenue_per_customer,
    case
        when audience_revenue.experiment_group = 'treatment'
            then cast(repeats.repeated_pairs as double) / nullif(repeats.pairs, 0)
    end as repeat_share,
    recipients.windows_complete
from audience_revenue
left join recipients
    on audience_revenue.send_week = recipients.send_week
    and audience_revenue.channel = recipients.channel
    and audience_revenue.experiment_group = recipients.experiment_group
left join repeats
    on audience_revenue.send_week = repeats.send_week
    and audience_revenue.channel = repeats.channel
