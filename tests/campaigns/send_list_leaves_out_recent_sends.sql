-- No item of the production week's sends was sent to the same customer, on any channel, in the
-- last novelty_weeks send weeks recorded in the ledger (checked against the ledger itself, not
-- against int_recent_sends, which the sends read).
with send_list as (

    select * from {{ ref('send_list') }}

),

ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

recorded_weeks as (

    select distinct ledger_sends.send_week from ledger_sends

),

send_week as (

    select distinct send_list.send_week from send_list

),

recent_weeks as (

    select recorded_weeks.send_week
    from recorded_weeks
    inner join send_week
        on recorded_weeks.send_week < send_week.send_week
    order by recorded_weeks.send_week desc
    limit {{ var('novelty_weeks') }}

)

select
    send_list.send_id,
    send_list.user_id,
    send_list.item_id,
    ledger_sends.send_id as sent_before_in
from send_list
inner join ledger_sends
    on send_list.user_id = ledger_sends.user_id
    and send_list.item_id = ledger_sends.item_id
inner join recent_weeks
    on ledger_sends.send_week = recent_weeks.send_week
