-- One row per backtest cutoff: who was evaluated, and who was left out and why.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

ground_truth as (

    select * from {{ ref('ground_truth') }}

),

window_purchases as (

    select * from {{ ref('int_window_purchases') }}

),

-- the test window is defined once, in int_window_purchases
window_buyers as (

    select distinct
        window_purchases.cutoff_week,
        window_purchases.user_id
    from window_purchases
    inner join cutoffs
        on window_purchases.cutoff_week = cutoffs.cutoff_week
    where cutoffs.cutoff_kind = 'backtest'

),

counts as (

    select
        cutoffs.cutoff_week,
        (
            select count(*) from recipients
            where recipients.cutoff_week = cutoffs.cutoff_week
        ) as n_recipients,
        (
            select count(*) from window_buyers
            where window_buyers.cutoff_week = cutoffs.cutoff_week
        ) as n_window_buyers,
        (
            select count(distinct ground_truth.user_id) from ground_truth
            where ground_truth.cutoff_week = cutoffs.cutoff_week
        ) as n_evaluated
    from cutoffs
    where cutoffs.cutoff_kind = 'backtest'

)

select
    counts.cutoff_week,
    counts.n_recipients,
    counts.n_window_buyers,
    counts.n_evaluated,
    counts.n_recipients - counts.n_evaluated as n_left_out_no_purchase_in_window,
    counts.n_window_buyers - counts.n_evaluated as n_left_out_no_history
from counts
