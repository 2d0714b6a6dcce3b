-- One row per backtest cutoff and recipient: the customers every baseline strategy recommends to.
{{ config(materialized='ephemeral') }}

with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

)

select recipients.*
from recipients
inner join cutoffs
    on recipients.cutoff_week = cutoffs.cutoff_week
where cutoffs.cutoff_kind = 'backtest'
