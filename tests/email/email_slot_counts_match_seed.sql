-- Every e-mail and every send (macros/slot_lists.sql) holds exactly the seed's number of items in
-- every slot (a missing slot counts as 0).
with email as (

    {{ slot_lists() }}

),

email_slots as (

    select * from {{ ref('email_slots') }}

),

customers as (

    select distinct
        email.cutoff_week,
        email.list_id,
        email.user_id
    from email

),

slot_counts as (

    select
        email.cutoff_week,
        email.list_id,
        email.user_id,
        email.slot,
        count(*) as n_items
    from email
    group by email.cutoff_week, email.list_id, email.user_id, email.slot

)

select
    customers.cutoff_week,
    customers.list_id,
    customers.user_id,
    email_slots.slot,
    email_slots.n_items as expected_items,
    coalesce(slot_counts.n_items, 0) as actual_items
from customers
cross join email_slots
left join slot_counts
    on customers.cutoff_week = slot_counts.cutoff_week
    and customers.list_id = slot_counts.list_id
    and customers.user_id = slot_counts.user_id
    and email_slots.slot = slot_counts.slot
where coalesce(slot_counts.n_items, 0) <> email_slots.n_items
union all
-- and no slot outside the seed
select
    slot_counts.cutoff_week,
    slot_counts.list_id,
    slot_counts.user_id,
    slot_counts.slot,
    0,
    slot_counts.n_items
from slot_counts
anti join email_slots
    on slot_counts.slot = email_slots.slot
