-- One row per send week recorded in the campaign ledger, numbered in order, with the recorded
-- week before it: "the week before" of the novelty rule and the repeat share is the recorded
-- week before, whatever gap lies between them.
with ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

weeks as (

    select distinct ledger_sends.send_week from ledger_sends

)

select
    weeks.send_week,
    cast(row_number() over (order by weeks.send_week) as integer) as week_number,
    lag(weeks.send_week) over (order by weeks.send_week) as previous_week
from weeks
