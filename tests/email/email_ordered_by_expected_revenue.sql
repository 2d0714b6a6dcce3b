-- Within an e-mail, expected revenue never rises from one position to the next.
with email as (

    select
        cutoff_week,
        user_id,
        position,
        expected_revenue,
        lag(expected_revenue) over (partition by cutoff_week, user_id order by position) as previous_revenue
    from {{ ref('recommendations') }}
    where strategy = 'email_policy'

)

select * from email where expected_revenue > previous_revenue
