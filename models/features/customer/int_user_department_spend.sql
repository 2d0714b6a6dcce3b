-- One row per cutoff, customer and department they bought in up to the cutoff: their spend there
-- and its share of their spend, a small table that the candidate features join by department.
with user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

department_spend as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        products.department,
        sum(user_item_history.sales_value) as sales_value
    from user_item_history
    inner join products
        on user_item_history.item_id = products.item_id
    group by user_item_history.cutoff_week, user_item_history.user_id, products.department

)

select
    department_spend.cutoff_week,
    department_spend.user_id,
    department_spend.department,
    department_spend.sales_value,
    -- a double on either engine (Spark divides decimals to 6 places); null, not NaN, for a
    -- customer whose every line cleaning dropped (fuel only: no spend at all)
    cast(department_spend.sales_value as double)
    / nullif(cast(sum(department_spend.sales_value) over customer as double), 0)
        as department_spend_share
from department_spend
window customer as (partition by department_spend.cutoff_week, department_spend.user_id)
