-- One row per send of a backtest cutoff: how often the send's items were bought in its window
-- (from the send's day to the channel's next send), next to the single weekly e-mail list
-- (email_policy) of the same customers in the same window. Evaluated are the send's recipients
-- who bought anything in the window; a recipient without a list counts as five misses. With data
-- without dates (the course's CSV files) the window is the whole send week.
with sends as (

    select * from {{ ref('int_sends') }}

),

send_recipients as (

    select * from {{ ref('int_send_recipients') }}

),

send_picks as (

    select * from {{ ref('int_send_picks') }}

),

recommendations as (

    select * from {{ ref('recommendations') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

days as (

    select * from {{ ref('int_days') }}

),

backtest_sends as (

    select sends.* from sends
    where sends.cutoff_kind = 'backtest'

),

window_purchases as (

    select distinct
        backtest_sends.cutoff_week,
        backtest_sends.send_id,
        transactions.user_id,
        transactions.item_id
    from backtest_sends
    inner join transactions
        on transactions.week >= backtest_sends.send_week
    inner join days
        on transactions.day = days.day
    where case
            when backtest_sends.send_date is null then transactions.week = backtest_sends.send_week
            else days.purchase_date >= backtest_sends.send_date
                and days.purchase_date < backtest_sends.window_end_date
        end

),

evaluated as (

    select distinct
        send_recipients.cutoff_week,
        send_recipients.send_id,
        send_recipients.user_id
    from send_recipients
    inner join window_purchases
        on send_recipients.cutoff_week = window_purchases.cutoff_week
        and send_recipients.send_id = window_purchases.send_id
        and send_recipients.user_id = window_purchases.user_id

),

lists as (

    select
        send_picks.cutoff_week,
        send_picks.send_id,
        send_picks.user_id,
        'send' as list,
        send_picks.item_id,
        send_picks.price
    from send_picks
    union all
    select
        evaluated.cutoff_week,
        evaluated.send_id,
        evaluated.user_id,
        'single_list' as list,
        recommendations.item_id,
        recommendations.price
    from evaluated
    inner join recommendations
        on evaluated.cutoff_week = recommendations.cutoff_week
        and evaluated.user_id = recommendations.user_id
    where recommendations.strategy = 'email_policy'

),

list_hits as (

    select
        lists.cutoff_week,
        lists.send_id,
        lists.user_id,
        lists.list,
        {{ list_hits('lists.price', 'window_purchases.item_id') }}
    from lists
    left join window_purchases
        on lists.cutoff_week = window_purchases.cutoff_week
        and lists.send_id = window_purchases.send_id
        and lists.user_id = window_purchases.user_id
        and lists.item_id = window_purchases.item_id
    group by all

),

per_customer as (

    select
        evaluated.cutoff_week,
        evaluated.send_id,
        evaluated.user_id,
        kinds.list,
        coalesce(list_hits.hits, 0) as hits,
        {{ money_precision('list_hits.hit_value', 'list_hits.recommended_value') }} as money_precision
    from evaluated
    cross join (values ('send'), ('single_list')) as kinds (list)
    left join list_hits
        on evaluated.cutoff_week = list_hits.cutoff_week
        and evaluated.send_id = list_hits.send_id
        and evaluated.user_id = list_hits.user_id
        and kinds.list = list_hits.list

),

per_send as (

    select
        per_customer.cutoff_week,
        per_customer.send_id,
        count(*) filter (where per_customer.list = 'send') as n_users,
        avg(per_customer.hits / 5) filter (where per_customer.list = 'send') as precision,
        avg(per_customer.money_precision) filter (where per_customer.list = 'send') as money_precision,
        cast(
            avg({{ any_hit('per_customer.hits') }}) filter (where per_customer.list = 'send')
            as double
        ) as hit_rate,
        avg(per_customer.hits / 5) filter (where per_customer.list = 'single_list') as single_list_precision,
        avg(per_customer.money_precision) filter (where per_customer.list = 'single_list')
            as single_list_money_precision,
        cast(
            avg({{ any_hit('per_customer.hits') }}) filter (where per_customer.list = 'single_list')
            as double
        ) as single_list_hit_rate
    from per_customer
    group by all

),

recipients_per_send as (

    select
        send_recipients.cutoff_week,
        send_recipients.send_id,
        count(*) as n_recipients
    from send_recipients
    group by all

)

select
    backtest_sends.cutoff_week,
    backtest_sends.send_id,
    backtest_sends.channel,
    backtest_sends.send_weekday,
    backtest_sends.send_date,
    backtest_sends.window_end_date,
    coalesce(recipients_per_send.n_recipients, 0) as n_recipients,
    coalesce(per_send.n_users, 0) as n_users,
    per_send.precision,
    per_send.money_precision,
    per_send.hit_rate,
    per_send.single_list_precision,
    per_send.single_list_money_precision,
    per_send.single_list_hit_rate
from backtest_sends
left join recipients_per_send
    on backtest_sends.cutoff_week = recipients_per_send.cutoff_week
    and backtest_sends.send_id = recipients_per_send.send_id
left join per_send
    on backtest_sends.cutoff_week = per_send.cutoff_week
    and backtest_sends.send_id = per_send.send_id
