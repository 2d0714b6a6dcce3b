-- One row per customer batch: the customers of stg_transactions by user_id, in equal slices of at
-- most customers_per_batch, as ranges of user ids. The largest models build one slice per statement
-- (macros/customer_batches.sql); with one batch they build every customer in one.
with transactions as (

    select * from {{ ref('stg_transactions') }}

),

customers as (

    select distinct transactions.user_id from transactions

),

numbered as (

    select
        customers.user_id,
        row_number() over (order by customers.user_id) - 1 as customer_index,
        count(*) over () as n_customers
    from customers

),

batched as (

    select
        numbered.user_id,
        cast(floor(
            numbered.customer_index * ceil(numbered.n_customers / {{ var('customers_per_batch') }})
            / numbered.n_customers
        ) as integer) as batch
    from numbered

)

-- each range starts right after the one before, so that the batches leave no user id out
select
    batched.batch,
    coalesce(lag(max(batched.user_id)) over (order by batched.batch) + 1, min(batched.user_id))
        as first_user_id,
    max(batched.user_id) as last_user_id,
    count(*) as n_customers
from batched
group by batched.batch
