-- In the ledger, no recorded item was sent to the same customer, on any channel, in the
-- novelty_weeks recorded send weeks before its own (each row's novelty_weeks: the rule its build
-- applied).
with ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

numbered_sends as (

    select
        ledger_sends.*,
        recorded_weeks.week_number
    from ledger_sends
    inner join recorded_weeks
        on ledger_sends.send_week = recorded_weeks.send_week

)

select
    later.send_id,
    later.user_id,
    later.item_id,
    earlier.send_id as sent_before_in
from numbered_sends as later
inner join numbered_sends as earlier
    on later.user_id = earlier.user_id
    and later.item_id = earlier.item_id
    and earlier.week_number < later.week_number
    and earlier.week_number >= later.week_number - later.novelty_weeks
