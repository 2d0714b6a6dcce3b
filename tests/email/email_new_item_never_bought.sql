-- In every e-mail and every send (macros/slot_lists.sql), the new-item slot never offers an item
-- the customer bought up to the cutoff: any raw line with quantity > 0 counts, even at zero price.
-- Checked against the raw lines, not the feature table.
with email as (

    select * from ({{ slot_lists() }}) as lists
    where lists.slot = 'new'

),

transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

)

select
    email.cutoff_week,
    email.list_id,
    email.user_id,
    email.item_id,
    transaction_checks.week as bought_in_week
from email
inner join transaction_checks
    on email.user_id = transaction_checks.user_id
    and email.item_id = transaction_checks.item_id
    and transaction_checks.week <= email.cutoff_week
    and transaction_checks.quantity > 0
