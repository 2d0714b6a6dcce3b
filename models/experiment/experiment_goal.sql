-- One row per channel mix (every non-empty combination of the channels of customer_channels):
-- the share of total revenue that the mix's reachable customers brought in the history period's
-- outcome weeks (the latest experiment_weeks before the experiment), and the revenue uplift among
-- them that would raise total revenue by the goal. Customers the mix cannot reach add nothing.
with customer_channels as (

    select * from {{ ref('customer_channels') }}

),

customer_metrics as (

    -- the whole history period: its final look
    select * from {{ ref('int_experiment_customer_metrics') }}
    where period = 'history' and look = {{ var('experiment_weeks') }}

),

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

periods as (

    select * from {{ ref('int_experiment_periods') }}
    where period = 'history'

),

channel_bits as (

    -- channel k is bit k of a mix number, so the numbers 1 .. 2^channels - 1 are the mixes
    select
        channel_names.channel,
        cast(row_number() over (order by channel_names.channel) - 1 as integer) as bit
    from (select distinct customer_channels.channel from customer_channels) as channel_names

),

mix_channels as (

    select
        mixes.mix,
        channel_bits.channel
    from {{ integer_range(
            1, 'cast(pow(2, (select count(all_channels.channel) from channel_bits as all_channels)) as bigint)',
            'mixes', 'mix') }}
    inner join channel_bits
        on (mixes.mix >> channel_bits.bit) & 1 = 1

),

mix_names as (

    select
        mix_channels.mix,
        {{ ordered_string_agg('mix_channels.channel', "' + '", 'mix_channels.channel') }} as channels,
        count(*) as n_channels
    from mix_channels
    group by mix_channels.mix

),

mix_customers as (

    select distinct
        mix_channels.mix,
        customer_channels.user_id
    from mix_channels
    inner join customer_channels
        on mix_channels.channel = customer_channels.channel

),

total as (

    select
        count(*) filter (where customer_metrics.revenue > 0) as buying_customers,
        -- in cents, so that a mix that reaches everyone has a share of exactly 1
        round(sum(customer_metrics.revenue), 2) as revenue
    from customer_metrics

),

mix_revenue as (

    select
        mix_customers.mix,
        count(*) as reachable_customers,
        count(*) filter (where customer_metrics.revenue > 0) as reachable_buying_customers,
        round(coalesce(sum(customer_metrics.revenue), 0), 2) as revenue
    from mix_customers
    left join customer_metrics
        on mix_customers.user_id = customer_metrics.user_id
    group by mix_customers.mix

)

select
    mix_names.channels,
    cast(mix_names.n_channels as integer) as n_channels,
    periods.outcome_first_week as first_week,
    periods.outcome_last_week as last_week,
    mix_revenue.reachable_customers,
    mix_revenue.reachable_buying_customers,
    mix_revenue.reachable_buying_customers / total.buying_customers as buying_customer_share,
    mix_revenue.revenue,
    mix_revenue.revenue / total.revenue as revenue_share,
    metrics.goal_uplift as total_revenue_goal,
    metrics.goal_uplift / nullif(mix_revenue.revenue / total.revenue, 0) as required_uplift,
    -- while the test runs, the control group gets no uplift: the treated customers alone carry it
    metrics.goal_uplift / nullif(mix_revenue.revenue / total.revenue * (1 - {{ var('control_share') }}), 0)
        as required_uplift_during_test,
    'for +' || round(100 * metrics.goal_uplift, 1) || ' % of total revenue, these customers must spend '
    || coalesce(
        round(100 * metrics.goal_uplift / nullif(mix_revenue.revenue / total.revenue, 0), 1) || ' % more',
        'infinitely more'
    )
        as in_words
from mix_names
inner join mix_revenue
    on mix_names.mix = mix_revenue.mix
cross join total
cross join periods
inner join metrics
    on metrics.metric = 'revenue_per_customer'
order by mix_revenue.revenue desc, mix_names.n_channels asc, mix_names.channels asc
