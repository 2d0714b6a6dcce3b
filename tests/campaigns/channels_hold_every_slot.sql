-- Every channel's message holds all the items of the email_slots seed.
select
    channels.channel,
    channels.max_items,
    (select sum(email_slots.n_items) from {{ ref('email_slots') }} as email_slots) as items_per_send
from {{ ref('channels') }} as channels
where channels.max_items < (select sum(email_slots.n_items) from {{ ref('email_slots') }} as email_slots)
