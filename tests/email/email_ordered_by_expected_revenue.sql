-- Within an e-mail or a send (macros/slot_lists.sql), expected revenue never rises from one
-- position to the next.
with email as (

    select
        lists.cutoff_week,
        lists.list_id,
        lists.user_id,
        lists.position,
        lists.expected_revenue,
        lag(lists.expected_revenue)
            over (partition by lists.cutoff_week, lists.list_id, lists.user_id order by lists.position)
            as previous_revenue
    from ({{ slot_lists() }}) as lists

)

select * from email
where email.expected_revenue > email.previous_revenue
