-- One row per cutoff, recipient and candidate (int_ranker_candidates): the features the ranker
-- learns from that depend on the customer, every one computed from weeks <= the cutoff (the view
-- int_ranker_features adds those of the item alone, int_ranker_item_features). Two groups:
-- * the customer and the item: how often and how lately they bought it (plain, per week, decayed
--   by recency), where they are in their own repurchase cycle, how they buy it on promotion, ALS's
--   view of it for this customer, its price against the customer's usual one;
-- * the customer: promo affinity, how much they spend in the item's department and buy of its
--   product type, how often they shop.
{{ config(pre_hook=build_sides_as_written(), post_hook=reset_build_sides()) }}

with candidates as (

    select * from {{ ref('int_ranker_candidates') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}

),

-- The big input is read several times yet not materialized: DuckDB would hold all of a CTE that
-- is read twice (at 100x hundreds of millions of rows), where each scan of the table streams.
user_item_history as {{ cte_hint('not materialized') }} (

    select * from {{ ref('int_user_item_history') }}

),

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}

),

user_promo_affinity as (

    select * from {{ ref('int_user_promo_affinity') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

week_bands as (

    select * from {{ ref('int_week_bands') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

user_item_weeks as (

    select * from {{ ref('int_user_item_weeks') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

-- how the customer responds to this item's promotions: the weeks they bought it while it was
-- on display or in the mailer
promo_purchase_weeks as (

    select
        cutoffs.cutoff_week,
        user_item_weeks.user_id,
        user_item_weeks.item_id,
        count(*) as promo_weeks_bought
    from cutoffs
    inner join user_item_weeks
        on user_item_weeks.week <= cutoffs.cutoff_week
    inner join promotions
        on user_item_weeks.item_id = promotions.item_id
        and user_item_weeks.week = promotions.week
    where user_item_weeks.n_lines > 0
    group by cutoffs.cutoff_week, user_item_weeks.user_id, user_item_weeks.item_id

),

customers as (

    select
        recipients.cutoff_week,
        recipients.user_id,
        recipients.cutoff_week - recipients.first_purchase_week + 1 as weeks_as_customer,
        recipients.cutoff_week - recipients.last_purchase_week as weeks_since_last_visit,
        user_price_profile.median_price,
        user_price_profile.upsell_threshold,
        user_promo_affinity.promo_affinity
    from recipients
    left join user_price_profile
        on recipients.cutoff_week = user_price_profile.cutoff_week
        and recipients.user_id = user_price_profile.user_id
    left join user_promo_affinity
        on recipients.cutoff_week = user_promo_affinity.cutoff_week
        and recipients.user_id = user_promo_affinity.user_id

),

department_spend as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        products.department,
        sum(user_item_history.sales_value) as sales_value
    from user_item_history
    inner join products
        on user_item_history.item_id = products.item_id
    group by all

),

department_share as (

    select
        department_spend.cutoff_week,
        department_spend.user_id,
        department_spend.department,
        department_spend.sales_value / sum(department_spend.sales_value) over customer
            as department_spend_share
    from department_spend
    window customer as (partition by department_spend.cutoff_week, department_spend.user_id)

),

-- a basket counts for a cutoff from its first week on: baskets per band of that week
-- (int_week_bands), rolled up to each cutoff
band_baskets as (

    select
        week_bands.band_week,
        baskets.user_id,
        count(*) as n_baskets
    from (
        select
            transactions.user_id,
            transactions.basket_id,
            min(transactions.week) as first_week
        from transactions
        group by transactions.user_id, transactions.basket_id
    ) as baskets
    inner join week_bands
        on baskets.first_week = week_bands.week
    group by week_bands.band_week, baskets.user_id

),

customer_baskets as (

    select
        cutoffs.cutoff_week,
        band_baskets.user_id,
        cast(sum(band_baskets.n_baskets) as bigint) as n_baskets
    from cutoffs
    inner join band_baskets
        on band_baskets.band_week <= cutoffs.cutoff_week
    group by cutoffs.cutoff_week, band_baskets.user_id

),

type_share as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        catalog.type_id,
        sum(user_item_history.n_lines) as type_lines,
        max(user_item_history.last_week) as type_last_week
    from user_item_history
    inner join catalog
        on user_item_history.cutoff_week = catalog.cutoff_week
        and user_item_history.item_id = catalog.item_id
    group by all

),

customer_lines as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        sum(user_item_history.n_lines) as n_lines
    from user_item_history
    group by all

)

select
    candidates.cutoff_week,
    candidates.user_id,
    candidates.item_id,
    candidates.from_own,
    candidates.from_als,
    candidates.from_popular,
    candidates.from_promo,
    candidates.from_type_alternative,
    candidates.from_upsell,
    -- the customer and the item
    user_item_history.item_id is not null as ever_bought,
    coalesce(user_item_history.n_lines, 0) as own_lines,
    coalesce(user_item_history.n_weeks, 0) as own_weeks,
    coalesce(user_item_history.n_weeks, 0) / customers.weeks_as_customer as own_week_share,
    coalesce(user_item_history.n_recent_weeks, 0) / {{ var('recent_weeks') }} as recent_week_share,
    coalesce(cast(user_item_history.decayed_weeks as double), 0) as decayed_weeks,
    candidates.cutoff_week - user_item_history.last_week as weeks_since_last_purchase,
    -- the customer's own mean interval between purchase weeks of the item
    (user_item_history.last_week - user_item_history.first_week)
    / nullif(user_item_history.n_weeks - 1, 0) as mean_interval_weeks,
    (candidates.cutoff_week - user_item_history.last_week)
    / nullif(
        (user_item_history.last_week - user_item_history.first_week)
        / nullif(user_item_history.n_weeks - 1, 0), 0
    ) as interval_ratio,
    user_item_history.n_discounted_lines / nullif(user_item_history.n_lines, 0) as own_discount_share,
    coalesce(promo_purchase_weeks.promo_weeks_bought, 0) / nullif(user_item_history.n_weeks, 0)
        as own_promo_week_share,
    als_candidates.als_score,
    als_candidates.als_rank,
    -- the customer
    customers.promo_affinity,
    catalog.price / customers.median_price as price_to_own_median,
    catalog.price >= customers.upsell_threshold as is_upsell_price,
    coalesce(cast(department_share.department_spend_share as double), 0) as department_spend_share,
    coalesce(type_share.type_lines, 0) / nullif(customer_lines.n_lines, 0) as type_line_share,
    candidates.cutoff_week - type_share.type_last_week as weeks_since_type_purchase,
    customer_baskets.n_baskets / customers.weeks_as_customer as baskets_per_week,
    customers.weeks_since_last_visit
from candidates
inner join customers
    on candidates.cutoff_week = customers.cutoff_week
    and candidates.user_id = customers.user_id
inner join catalog
    on candidates.cutoff_week = catalog.cutoff_week
    and candidates.item_id = catalog.item_id
inner join customer_baskets
    on candidates.cutoff_week = customer_baskets.cutoff_week
    and candidates.user_id = customer_baskets.user_id
inner join customer_lines
    on candidates.cutoff_week = customer_lines.cutoff_week
    and candidates.user_id = customer_lines.user_id
left join user_item_history
    on candidates.cutoff_week = user_item_history.cutoff_week
    and candidates.user_id = user_item_history.user_id
    and candidates.item_id = user_item_history.item_id
left join als_candidates
    on candidates.cutoff_week = als_candidates.cutoff_week
    and candidates.user_id = als_candidates.user_id
    and candidates.item_id = als_candidates.item_id
left join department_share
    on candidates.cutoff_week = department_share.cutoff_week
    and candidates.user_id = department_share.user_id
    and catalog.department = department_share.department
left join promo_purchase_weeks
    on candidates.cutoff_week = promo_purchase_weeks.cutoff_week
    and candidates.user_id = promo_purchase_weeks.user_id
    and candidates.item_id = promo_purchase_weeks.item_id
left join type_share
    on candidates.cutoff_week = type_share.cutoff_week
    and candidates.user_id = type_share.user_id
    and catalog.type_id = type_share.type_id
