-- Simulated reach matches each opt-in channel's reach_share among all customers of the data,
-- within four binomial standard deviations (a fair draw misses that by chance once in 15,000).
with channels as (

    select * from {{ ref('channels') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

customers as (

    select count(distinct user_id) as n_customers from {{ ref('stg_transactions') }}

),

reached as (

    select
        customer_channels.channel,
        count(*) as n_reached
    from customer_channels
    where customer_channels.source = 'simulated'
    group by customer_channels.channel

),

shares as (

    select
        channels.channel,
        channels.reach_share,
        coalesce(reached.n_reached, 0) / customers.n_customers as simulated_share,
        4 * sqrt(channels.reach_share * (1 - channels.reach_share) / customers.n_customers) as tolerance
    from channels
    cross join customers
    left join reached
        on channels.channel = reached.channel
    where channels.reach = 'opt_in'
        -- with a customer_channels.csv nothing is simulated
        and not exists (
            select 1 from customer_channels
            where customer_channels.source = 'file'
        )

)

select * from shares
where abs(shares.simulated_share - shares.reach_share) > shares.tolerance
