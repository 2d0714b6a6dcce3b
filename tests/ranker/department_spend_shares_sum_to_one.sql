-- A customer's department shares at a cutoff add up to 1 whenever they spent anything.
with user_department_spend as (

    select * from {{ ref('int_user_department_spend') }}

)

select
    user_department_spend.cutoff_week,
    user_department_spend.user_id,
    sum(user_department_spend.department_spend_share) as share_sum
from user_department_spend
group by user_department_spend.cutoff_week, user_department_spend.user_id
having sum(user_department_spend.sales_value) > 0
    and abs(sum(user_department_spend.department_spend_share) - 1) > 1e-9
