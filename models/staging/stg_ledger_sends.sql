-- The sends that stand: one row per recorded send, customer and item whose list was not replaced
-- by a later `make send REPLACE=1` (the replaced rows stay in the source ledger.sends).
with ledger_sends as (

    select * from {{ source('ledger', 'sends') }}

)

select
    ledger_sends.send_week,
    ledger_sends.send_id,
    ledger_sends.channel,
    ledger_sends.send_weekday,
    ledger_sends.send_date,
    ledger_sends.send_time,
    ledger_sends.window_end_date,
    ledger_sends.user_id,
    ledger_sends.experiment_group,
    ledger_sends.position,
    ledger_sends.item_id,
    ledger_sends.slot,
    ledger_sends.price,
    ledger_sends.novelty_weeks,
    ledger_sends.recorded_at
from ledger_sends
where ledger_sends.replaced_at is null
