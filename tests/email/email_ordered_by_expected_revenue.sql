-- Within an e-mail or a send (macros/slot_lists.sql), expected revenue never rises from one
-- position to the next.
with email as (

    select
        cutoff_week,
        list_id,
        user_id,
        position,
        expected_revenue,
        lag(expected_revenue) over (partition by cutoff_week, list_id, user_id order by position) as previous_revenue
    from ({{ slot_lists() }}) as lists

)

select * from email where expected_revenue > previous_revenue
