-- One row per cutoff and customer: the shelf unit prices the customer usually pays, and the
-- upsell threshold, the upsell_quantile of those prices. A quantile at or above 0.5 keeps the
-- threshold at or above the median; greatest() guards a smaller setting.
with cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

user_prices as (

    select
        cutoff_transactions.cutoff_week,
        cutoff_transactions.user_id,
        count(*) as n_lines,
        median(cutoff_transactions.shelf_unit_price) as median_price,
        quantile_cont(cutoff_transactions.shelf_unit_price, {{ var('upsell_quantile') }}) as quantile_price
    from cutoff_transactions
    group by cutoff_transactions.cutoff_week, cutoff_transactions.user_id

)

select
    user_prices.cutoff_week,
    user_prices.user_id,
    user_prices.n_lines,
    user_prices.median_price,
    greatest(user_prices.median_price, user_prices.quantile_price) as upsell_threshold
from user_prices
