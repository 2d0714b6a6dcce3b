-- One row per experiment period and customer with a purchase in the data: the customer before the
-- period starts. Revenue, baskets and retention over the pre-period (the CUPED covariate); the
-- spend stratum, the decile of pre-period revenue among the customers who had shopped by the end
-- of the pre-period (0 for the others); and whether the customer shopped in the active_weeks
-- before the start, as the sends' audience rule asks. Weeks before the start only: nothing after
-- it decides who is analysed or how.
with periods as (

    select * from {{ ref('int_experiment_periods') }}

),

customer_weeks as (

    select * from {{ ref('int_experiment_customer_weeks') }}

),

customers as (

    select
        customer_weeks.user_id,
        min(customer_weeks.week) as first_week
    from customer_weeks
    group by customer_weeks.user_id

),

pre_sums as (

    select
        periods.period,
        customer_weeks.user_id,
        sum(customer_weeks.revenue) as pre_revenue,
        sum(customer_weeks.baskets) as pre_baskets,
        bool_or(customer_weeks.week > periods.pre_last_week - {{ var('retention_weeks') }}) as pre_retained,
        bool_or(customer_weeks.week > periods.pre_last_week - {{ var('active_weeks') }}) as active_at_start
    from customer_weeks
    inner join periods
        on customer_weeks.week between periods.pre_first_week and periods.pre_last_week
    group by periods.period, customer_weeks.user_id

),

customer_periods as (

    select
        periods.period,
        customers.user_id,
        customers.first_week <= periods.pre_last_week as shopped_before,
        coalesce(pre_sums.pre_revenue, 0) as pre_revenue,
        coalesce(pre_sums.pre_baskets, 0) as pre_baskets,
        cast(coalesce(pre_sums.pre_retained, false) as integer) as pre_retained,
        coalesce(pre_sums.active_at_start, false) as active_at_start
    from periods
    cross join customers
    left join pre_sums
        on periods.period = pre_sums.period
        and customers.user_id = pre_sums.user_id

)

select
    customer_periods.period,
    customer_periods.user_id,
    cast(case
        when customer_periods.shopped_before
            then ntile(10) over (
                    partition by customer_periods.period, customer_periods.shopped_before
                    order by customer_periods.pre_revenue, customer_periods.user_id
                )
        else 0
    end as integer) as stratum,
    cast(customer_periods.pre_revenue as double) as pre_revenue,
    customer_periods.pre_baskets,
    customer_periods.pre_retained,
    customer_periods.active_at_start
from customer_periods
