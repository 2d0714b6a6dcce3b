-- One row per cutoff and recipient: the ranker's features of the customer alone, computed once
-- per customer here so that the candidate features join one small table instead of aggregating
-- the customer's history for every candidate. Every count is over weeks <= the cutoff.
with recipients as (

    select * from {{ ref('int_recipients') }}

),

user_price_profile as (

    select * from {{ ref('int_user_price_profile') }}

),

user_promo_affinity as (

    select * from {{ ref('int_user_promo_affinity') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

-- a basket counts for a cutoff from its first week on: baskets per band of that week, rolled up
-- to each cutoff (the band of a basket's first week is the first band of its lines)
band_baskets as (

    select
        baskets.band_week,
        baskets.user_id,
        count(*) as n_baskets
    from (
        select
            cutoff_transactions.user_id,
            cutoff_transactions.basket_id,
            min(cutoff_transactions.band_week) as band_week
        from cutoff_transactions
        group by cutoff_transactions.user_id, cutoff_transactions.basket_id
    ) as baskets
    group by baskets.band_week, baskets.user_id

),

customer_baskets as (

    select
        cutoffs.cutoff_week,
        band_baskets.user_id,
        cast(sum(band_baskets.n_baskets) as bigint) as n_baskets
    from cutoffs
    inner join band_baskets
        on {{ seen_by_cutoff('band_baskets', 'cutoffs') }}
    group by cutoffs.cutoff_week, band_baskets.user_id

),

customers as (

    select
        recipients.cutoff_week,
        recipients.user_id,
        recipients.cutoff_week - recipients.first_purchase_week + 1 as weeks_as_customer,
        recipients.cutoff_week - recipients.last_purchase_week as weeks_since_last_visit
    from recipients

)

-- a recipient has a clean line up to the cutoff, hence a basket and a promo affinity row: the
-- inner joins drop no one (a dbt test counts the rows)
select
    customers.cutoff_week,
    customers.user_id,
    customers.weeks_as_customer,
    customers.weeks_since_last_visit,
    user_price_profile.median_price,
    user_price_profile.upsell_threshold,
    user_promo_affinity.promo_affinity,
    user_promo_affinity.n_lines,
    customer_baskets.n_baskets,
    customer_baskets.n_baskets / customers.weeks_as_customer as baskets_per_week
from customers
inner join customer_baskets
    on customers.cutoff_week = customer_baskets.cutoff_week
    and customers.user_id = customer_baskets.user_id
inner join user_promo_affinity
    on customers.cutoff_week = user_promo_affinity.cutoff_week
    and customers.user_id = user_promo_affinity.user_id
left join user_price_profile
    on customers.cutoff_week = user_price_profile.cutoff_week
    and customers.user_id = user_price_profile.user_id
