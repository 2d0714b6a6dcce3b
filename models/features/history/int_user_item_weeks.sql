-- One row per customer, item and week with a line of quantity > 0 (any price, any department):
-- the weekly grain that every per-cutoff history, popularity and interaction model sums up, so
-- that the transaction lines are grouped once, not once per cutoff. Weeks are kept apart, each
-- with its band (int_cutoff_transactions), so a cutoff takes exactly its own past. Weeks whose
-- lines were all dropped by cleaning still count as "bought" for the new-item slot, with zero
-- clean lines. Each week says whether the item was on promotion then, so that the per-cutoff
-- history counts promotion weeks in its one pass.
-- read twice (grouped, and in the anti join below) yet not materialized: DuckDB would hold every
-- line in memory for the second read, where two scans of the table stream
with cutoff_transactions as {{ cte_hint('not materialized') }} (

    select * from {{ ref('int_cutoff_transactions') }}

),

week_bands as (

    select * from {{ ref('int_week_bands') }}

),

transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

clean_weeks as (

    select
        cutoff_transactions.user_id,
        cutoff_transactions.item_id,
        cutoff_transactions.week,
        cutoff_transactions.band_week,
        count(*) as n_lines,
        count(*) filter (where cutoff_transactions.retail_disc > 0) as n_discounted_lines,
        sum(cutoff_transactions.quantity) as quantity,
        -- decimal sums: exact, so the result does not depend on the order threads add in
        sum(cast(cutoff_transactions.sales_value as decimal(18, 2))) as sales_value,
        -- each line counts 1 less discount_weight x the store discount's share of its shelf price
        sum(cast(1 - {{ var('discount_weight') }} * least(greatest(coalesce(
            cutoff_transactions.retail_disc
            / nullif(cutoff_transactions.sales_value + cutoff_transactions.retail_disc, 0), 0
        ), 0), 1)
        as decimal(18, 6))) as interaction_weight
    from cutoff_transactions
    group by
        cutoff_transactions.user_id, cutoff_transactions.item_id, cutoff_transactions.week,
        cutoff_transactions.band_week

),

dropped_weeks as (

    select distinct
        transaction_checks.user_id,
        transaction_checks.item_id,
        transaction_checks.week,
        week_bands.band_week
    from transaction_checks
    -- the band of the week, as the clean lines get it (a week without one clean line has none)
    inner join week_bands
        on transaction_checks.week = week_bands.week
    where transaction_checks.drop_reason is not null
        and transaction_checks.quantity > 0

),

-- the dropped weeks with no clean line, checked against the clean lines rather than clean_weeks:
-- a CTE read twice is held whole, and clean_weeks has about as many rows as there are lines
dropped_only_weeks as (

    select dropped_weeks.*
    from dropped_weeks
    anti join cutoff_transactions
        on dropped_weeks.user_id = cutoff_transactions.user_id
        and dropped_weeks.item_id = cutoff_transactions.item_id
        and dropped_weeks.week = cutoff_transactions.week

),

purchase_weeks as (

    select * from clean_weeks
    union all
    select
        dropped_only_weeks.user_id,
        dropped_only_weeks.item_id,
        dropped_only_weeks.week,
        dropped_only_weeks.band_week,
        0 as n_lines,
        0 as n_discounted_lines,
        0 as quantity,
        cast(0 as decimal(18, 2)) as sales_value,
        cast(0 as decimal(18, 6)) as interaction_weight
    from dropped_only_weeks

)

-- stg_promotions has one row per item and week, so the join adds no rows
select
    purchase_weeks.*,
    promotions.item_id is not null as is_promo
from purchase_weeks
left join promotions
    on purchase_weeks.item_id = promotions.item_id
    and purchase_weeks.week = promotions.week
