-- One row per cutoff with a window (backtest or training), customer and distinct item the
-- customer bought in the window (the horizon_weeks after the cutoff), after the same cleaning.
-- It reads after the cutoff on purpose: the evaluation's ground truth and the ranker's labels.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

window_lines as (

    select
        cutoffs.cutoff_week,
        transactions.user_id,
        transactions.item_id,
        transactions.shelf_unit_price as price,
        count(*) as n_lines
    from cutoffs
    inner join transactions
        on transactions.week > cutoffs.cutoff_week
        and transactions.week <= cutoffs.test_last_week
    where cutoffs.cutoff_kind <> 'production'
    group by cutoffs.cutoff_week, transactions.user_id, transactions.item_id, transactions.shelf_unit_price

),

-- the median read off a count of lines per distinct price, as in int_item_price: a median()
-- aggregate keeps every line of every group in memory, and at 100x that filled the spill folder
cumulative_counts as (

    select
        window_lines.*,
        sum(window_lines.n_lines) over customer_item_prices_ascending as lines_up_to_price,
        sum(window_lines.n_lines) over customer_item as total_lines
    from window_lines
    window
        customer_item as (
            partition by window_lines.cutoff_week, window_lines.user_id, window_lines.item_id
        ),
        customer_item_prices_ascending as (
            partition by window_lines.cutoff_week, window_lines.user_id, window_lines.item_id
            order by window_lines.price
            rows between unbounded preceding and current row
        )

),

middle_prices as (

    select
        cumulative_counts.cutoff_week,
        cumulative_counts.user_id,
        cumulative_counts.item_id,
        -- the two middle lines' prices (the same line when the count is odd)
        min(cumulative_counts.price) filter (
            where 2 * cumulative_counts.lines_up_to_price >= cumulative_counts.total_lines
        ) as lower_middle_price,
        min(cumulative_counts.price) filter (
            where 2 * cumulative_counts.lines_up_to_price >= cumulative_counts.total_lines + 1
        ) as upper_middle_price
    from cumulative_counts
    group by cumulative_counts.cutoff_week, cumulative_counts.user_id, cumulative_counts.item_id

)

select
    middle_prices.cutoff_week,
    middle_prices.user_id,
    middle_prices.item_id,
    -- for items first sold in the window, the shelf price they sold at there: the median, the mean
    -- of the two middle prices (to the last bit what median() gives)
    (middle_prices.lower_middle_price + middle_prices.upper_middle_price) / 2 as window_price
from middle_prices
