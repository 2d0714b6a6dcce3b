-- The clean lines each cutoff may see: one row per cutoff and line with week <= cutoff_week.
-- A view, so that every feature model filters the same way and nothing after a cutoff leaks in.
{{ config(materialized='view') }}

with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

)

select
    cutoffs.cutoff_week,
    transactions.*
from cutoffs
inner join transactions
    on transactions.week <= cutoffs.cutoff_week
