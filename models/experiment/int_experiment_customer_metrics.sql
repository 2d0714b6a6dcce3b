-- One row per experiment period and customer: revenue, baskets and retention over the period's
-- outcome weeks (up to the last week of data) and over its pre-period, the CUPED covariate.
-- Every customer with a purchase in the data has a row; a period without purchases counts 0.
-- Retained: at least one purchase in the last retention_weeks of the period. The stratum is the
-- decile of pre-period revenue among the customers who had shopped by the end of the pre-period;
-- 0 for the others. It depends on weeks up to the pre-period only, so it never changes once the
-- experiment has started.
with transactions as (

    select * from {{ ref('stg_transactions') }}

),

periods as (

    select * from {{ ref('int_experiment_periods') }}

),

-- baskets first, so that a customer-week counts them without a distinct aggregate; decimal sums,
-- exact in any order, so that the revenue does not depend on how the threads add up
customer_baskets as (

    select
        transactions.user_id,
        transactions.week,
        transactions.basket_id,
        sum(cast(transactions.sales_value as decimal(18, 2))) as revenue
    from transactions
    group by transactions.user_id, transactions.week, transactions.basket_id

),

customer_weeks as (

    select
        customer_baskets.user_id,
        customer_baskets.week,
        sum(customer_baskets.revenue) as revenue,
        count(*) as baskets
    from customer_baskets
    group by customer_baskets.user_id, customer_baskets.week

),

customers as (

    select
        customer_weeks.user_id,
        min(customer_weeks.week) as first_week
    from customer_weeks
    group by customer_weeks.user_id

),

period_weeks as (

    select
        periods.period,
        customer_weeks.user_id,
        customer_weeks.revenue,
        customer_weeks.baskets,
        customer_weeks.week between periods.pre_first_week and periods.pre_last_week as in_pre,
        customer_weeks.week between periods.outcome_first_week and periods.outcome_data_last_week as in_outcome,
        customer_weeks.week > periods.pre_last_week - {{ var('retention_weeks') }} as in_pre_tail,
        customer_weeks.week > periods.outcome_data_last_week - {{ var('retention_weeks') }} as in_outcome_tail
    from customer_weeks
    inner join periods
        on customer_weeks.week between periods.pre_first_week and periods.outcome_data_last_week

),

period_sums as (

    select
        period_weeks.period,
        period_weeks.user_id,
        sum(period_weeks.revenue) filter (where period_weeks.in_pre) as pre_revenue,
        sum(period_weeks.baskets) filter (where period_weeks.in_pre) as pre_baskets,
        bool_or(period_weeks.in_pre and period_weeks.in_pre_tail) as pre_retained,
        sum(period_weeks.revenue) filter (where period_weeks.in_outcome) as revenue,
        sum(period_weeks.baskets) filter (where period_weeks.in_outcome) as baskets,
        bool_or(period_weeks.in_outcome and period_weeks.in_outcome_tail) as retained
    from period_weeks
    group by period_weeks.period, period_weeks.user_id

),

customer_periods as (

    select
        periods.period,
        customers.user_id,
        customers.first_week <= periods.pre_last_week as shopped_before,
        coalesce(period_sums.pre_revenue, 0) as pre_revenue,
        coalesce(period_sums.pre_baskets, 0) as pre_baskets,
        cast(coalesce(period_sums.pre_retained, false) as integer) as pre_retained,
        coalesce(period_sums.revenue, 0) as revenue,
        coalesce(period_sums.baskets, 0) as baskets,
        cast(coalesce(period_sums.retained, false) as integer) as retained
    from periods
    cross join customers
    left join period_sums
        on periods.period = period_sums.period
        and customers.user_id = period_sums.user_id

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
    cast(customer_periods.revenue as double) as revenue,
    customer_periods.baskets,
    customer_periods.retained
from customer_periods
