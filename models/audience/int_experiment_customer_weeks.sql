-- One row per customer and week with a purchase: revenue and baskets, the bricks of every
-- experiment metric. Baskets first, so that a customer-week counts them without a distinct
-- aggregate; decimal sums, exact in any order, so that the revenue does not depend on how the
-- threads add up.
with transactions as (

    select * from {{ ref('stg_transactions') }}

),

customer_baskets as (

    select
        transactions.user_id,
        transactions.week,
        transactions.basket_id,
        sum(cast(transactions.sales_value as decimal(18, 2))) as revenue
    from transactions
    group by transactions.user_id, transactions.week, transactions.basket_id

)

select
    customer_baskets.user_id,
    customer_baskets.week,
    sum(customer_baskets.revenue) as revenue,
    count(*) as baskets
from customer_baskets
group by customer_baskets.user_id, customer_baskets.week
