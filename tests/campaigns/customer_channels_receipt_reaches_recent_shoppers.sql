-- The receipt reaches exactly the customers with a purchase in the last active_weeks of the data,
-- counted here from the clean lines, not from int_recipients.
with channels as (

    select * from {{ ref('channels') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

recent_shoppers as (

    select distinct transactions.user_id
    from transactions
    where transactions.week > (select max(all_lines.week) from transactions as all_lines) - {{ var('active_weeks') }}

),

receipt_reach as (

    select customer_channels.user_id
    from customer_channels
    inner join channels
        on customer_channels.channel = channels.channel
    where channels.reach = 'store_visit'

),

missing as (

    select
        user_id,
        'recent shopper without receipt' as problem
    from recent_shoppers
    except
    select
        user_id,
        'recent shopper without receipt'
    from receipt_reach

),

extra as (

    select
        user_id,
        'receipt for a customer who did not shop recently' as problem
    from receipt_reach
    except
    select
        user_id,
        'receipt for a customer who did not shop recently'
    from recent_shoppers

)

select * from missing
union all
select * from extra
