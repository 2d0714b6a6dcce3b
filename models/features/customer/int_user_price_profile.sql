-- One row per cutoff and customer: the shelf unit prices the customer usually pays, and the
-- upsell threshold, the upsell_quantile of those prices, never below the median.
--
-- The quantiles are read off a count of the customer's lines per distinct price (the macro
-- quantile_from_counts), not computed over every line: a customer pays the same few prices again
-- and again, so the count is much smaller than the lines, and DuckDB can spill it to disk where a
-- median over 100 M lines could not.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

-- the customer's lines per price in each band of weeks (int_week_bands), rolled up to each cutoff
band_price_counts as (

    select
        cutoff_transactions.band_week,
        cutoff_transactions.user_id,
        cutoff_transactions.shelf_unit_price as price,
        count(*) as n_lines
    from cutoff_transactions
    group by all

),

price_counts as (

    select
        cutoffs.cutoff_week,
        band_price_counts.user_id,
        band_price_counts.price,
        cast(sum(band_price_counts.n_lines) as bigint) as n_lines
    from cutoffs
    inner join band_price_counts
        on {{ seen_by_cutoff('band_price_counts', 'cutoffs') }}
    group by all

),

cumulative_counts as (

    select
        price_counts.*,
        sum(price_counts.n_lines) over (
            partition by price_counts.cutoff_week, price_counts.user_id
            order by price_counts.price
            rows between unbounded preceding and current row
        ) as lines_up_to_price,
        sum(price_counts.n_lines) over (
            partition by price_counts.cutoff_week, price_counts.user_id
        ) as total_lines
    from price_counts

),

user_prices as (

    select
        cumulative_counts.cutoff_week,
        cumulative_counts.user_id,
        any_value(cumulative_counts.total_lines) as n_lines,
        {{ quantile_from_counts('cumulative_counts.price', 'cumulative_counts.lines_up_to_price',
            'cumulative_counts.total_lines', 0.5) }} as median_price,
        {{ quantile_from_counts('cumulative_counts.price', 'cumulative_counts.lines_up_to_price',
            'cumulative_counts.total_lines', var('upsell_quantile')) }} as quantile_price
    from cumulative_counts
    group by cumulative_counts.cutoff_week, cumulative_counts.user_id

)

select
    user_prices.cutoff_week,
    user_prices.user_id,
    user_prices.n_lines,
    user_prices.median_price,
    greatest(user_prices.median_price, user_prices.quantile_price) as upsell_threshold
from user_prices
