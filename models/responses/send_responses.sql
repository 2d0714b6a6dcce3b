-- One row per recorded send that stands, customer and item: whether the customer bought the item
-- in the send's window (from the send's day to the channel's next send; the whole send week where
-- the data has no dates), the revenue of those lines, and whether the data covers the whole
-- window yet. Built from the ledger and the clean lines, so it fills in as new weeks arrive.
with ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

days as (

    select * from {{ ref('int_days') }}

),

data_end as (

    select
        max(days.week) as last_week,
        max(days.purchase_date) as last_date
    from days

),

window_lines as (

    select
        ledger_sends.send_id,
        ledger_sends.user_id,
        ledger_sends.item_id,
        sum(transactions.sales_value) as revenue
    from ledger_sends
    inner join transactions
        on ledger_sends.user_id = transactions.user_id
        and ledger_sends.item_id = transactions.item_id
        and transactions.week >= ledger_sends.send_week
    inner join days
        on transactions.day = days.day
    where {{ in_send_window('ledger_sends', 'transactions.week', 'days.purchase_date') }}
    group by ledger_sends.send_id, ledger_sends.user_id, ledger_sends.item_id

)

select
    ledger_sends.send_week,
    ledger_sends.send_id,
    ledger_sends.channel,
    ledger_sends.send_date,
    ledger_sends.window_end_date,
    ledger_sends.user_id,
    ledger_sends.experiment_group,
    ledger_sends.position,
    ledger_sends.item_id,
    ledger_sends.slot,
    ledger_sends.price,
    window_lines.user_id is not null as bought,
    coalesce(window_lines.revenue, 0) as revenue,
    coalesce(
        ledger_sends.window_end_date <= {{ add_days('data_end.last_date', 1) }},
        ledger_sends.send_week <= data_end.last_week
    ) as window_complete
from ledger_sends
cross join data_end
left join window_lines
    on ledger_sends.send_id = window_lines.send_id
    and ledger_sends.user_id = window_lines.user_id
    and ledger_sends.item_id = window_lines.item_id
