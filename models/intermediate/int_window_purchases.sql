-- One row per cutoff with a window (backtest or training), customer and distinct item the
-- customer bought in the window (the horizon_weeks after the cutoff), after the same cleaning.
-- It reads after the cutoff on purpose: the evaluation's ground truth and the ranker's labels.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

)

select
    cutoffs.cutoff_week,
    transactions.user_id,
    transactions.item_id,
    -- for items first sold in the window, the shelf price they sold at there
    median(transactions.shelf_unit_price) as window_price
from cutoffs
inner join transactions
    on transactions.week > cutoffs.cutoff_week
    and transactions.week <= cutoffs.test_last_week
where cutoffs.cutoff_kind <> 'production'
group by cutoffs.cutoff_week, transactions.user_id, transactions.item_id
