-- One row per customer and channel that can reach them. The opt-in channels (e-mail, push) come
-- from the data folder's customer_channels.csv when it has one (source file). Otherwise, as the
-- data has no contact details, they are simulated: a customer is reachable when a draw from a hash
-- of their id and the channel lies below the channel's reach_share. The shares apply to every
-- customer in the data, active or not: an address belongs to the customer, not to their last
-- visit, and the sends reach those of them who get a list at the cutoff. The receipt reaches the
-- recent store shoppers: every customer with a purchase in the last active_weeks, the production
-- cutoff's recipients.
with channels as (

    select * from {{ ref('channels') }}

),

file_customer_channels as (

    select * from {{ ref('stg_customer_channels') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

customers as (

    select distinct transactions.user_id from transactions

),

-- the file's customers, each channel once (sources.py checked every channel and customer)
file_opt_ins as (

    select distinct
        file_customer_channels.user_id,
        file_customer_channels.channel,
        'file' as source
    from file_customer_channels

),

simulated_opt_ins as (

    select
        customers.user_id,
        channels.channel,
        'simulated' as source
    from customers
    cross join channels
    where channels.reach = 'opt_in'
        and {{ reach_draw('customers.user_id', 'channels.channel') }} < channels.reach_share
        and not exists (select 1 from file_opt_ins)

),

recent_store_shoppers as (

    select
        recipients.user_id,
        channels.channel,
        'transactions' as source
    from recipients
    inner join cutoffs
        on recipients.cutoff_week = cutoffs.cutoff_week
        and cutoffs.cutoff_kind = 'production'
    cross join channels
    where channels.reach = 'store_visit'

),

customer_channels as (

    select * from file_opt_ins
    union all
    select * from simulated_opt_ins
    union all
    select * from recent_store_shoppers

)

select * from customer_channels
