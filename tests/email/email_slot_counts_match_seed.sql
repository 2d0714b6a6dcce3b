-- Every e-mail holds exactly the seed's number of items in every slot (a missing slot counts as 0).
with email as (

    select * from {{ ref('recommendations') }} where strategy = 'email_policy'

),

email_slots as (

    select * from {{ ref('email_slots') }}

),

customers as (

    select distinct email.cutoff_week, email.user_id from email

),

slot_counts as (

    select email.cutoff_week, email.user_id, email.slot, count(*) as n_items
    from email
    group by email.cutoff_week, email.user_id, email.slot

)

select
    customers.cutoff_week,
    customers.user_id,
    email_slots.slot,
    email_slots.n_items as expected_items,
    coalesce(slot_counts.n_items, 0) as actual_items
from customers
cross join email_slots
left join slot_counts
    on customers.cutoff_week = slot_counts.cutoff_week
    and customers.user_id = slot_counts.user_id
    and email_slots.slot = slot_counts.slot
where coalesce(slot_counts.n_items, 0) <> email_slots.n_items
union all
-- and no slot outside the seed
select slot_counts.cutoff_week, slot_counts.user_id, slot_counts.slot, 0, slot_counts.n_items
from slot_counts
anti join email_slots
    on slot_counts.slot = email_slots.slot
