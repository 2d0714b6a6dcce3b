-- In the ledger, no customer got the identical five items twice: not in two sends of one week,
-- nor in consecutive recorded weeks when the later week's sends leave out the week before
-- (novelty_weeks of 1 or more).
with ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

lists as (

    select
        ledger_sends.send_id,
        ledger_sends.user_id,
        recorded_weeks.week_number,
        min(ledger_sends.novelty_weeks) as novelty_weeks,
        {{ ordered_string_agg(as_text('ledger_sends.item_id'), "','", 'ledger_sends.item_id') }}
            as items
    from ledger_sends
    inner join recorded_weeks
        on ledger_sends.send_week = recorded_weeks.send_week
    group by ledger_sends.send_id, ledger_sends.user_id, recorded_weeks.week_number

)

select
    later.user_id,
    later.send_id,
    earlier.send_id as same_items_as,
    later.items
from lists as later
inner join lists as earlier
    on later.user_id = earlier.user_id
    and later.items = earlier.items
    and later.send_id <> earlier.send_id
    and (
        later.week_number = earlier.week_number
        or (later.week_number = earlier.week_number + 1 and later.novelty_weeks >= 1)
    )
