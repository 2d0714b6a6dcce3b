-- One row per experiment period, look and customer with a purchase in the data: revenue, baskets
-- and retention over the look's outcome weeks (from the period's start up to the look's week). A
-- look without purchases counts 0. Retained: at least one purchase in the last retention_weeks
-- up to the look's week.
with customer_weeks as (

    select * from {{ ref('int_experiment_customer_weeks') }}

),

periods as (

    select * from {{ ref('int_experiment_periods') }}

),

looks as (

    select * from {{ ref('int_experiment_looks') }}

),

period_looks as (

    select
        looks.period,
        looks.look,
        periods.outcome_first_week,
        looks.outcome_data_last_week
    from looks
    inner join periods
        on looks.period = periods.period

),

customers as (

    select distinct customer_weeks.user_id from customer_weeks

),

look_sums as (

    select
        period_looks.period,
        period_looks.look,
        customer_weeks.user_id,
        sum(customer_weeks.revenue) as revenue,
        sum(customer_weeks.baskets) as baskets,
        bool_or(customer_weeks.week > period_looks.outcome_data_last_week - {{ var('retention_weeks') }}) as retained
    from period_looks
    inner join customer_weeks
        on customer_weeks.week between period_looks.outcome_first_week and period_looks.outcome_data_last_week
    group by period_looks.period, period_looks.look, customer_weeks.user_id

)

select
    period_looks.period,
    period_looks.look,
    customers.user_id,
    cast(coalesce(look_sums.revenue, 0) as double) as revenue,
    coalesce(look_sums.baskets, 0) as baskets,
    cast(coalesce(look_sums.retained, false) as integer) as retained
from period_looks
cross join customers
left join look_sums
    on period_looks.period = look_sums.period
    and period_looks.look = look_sums.look
    and customers.user_id = look_sums.user_id
