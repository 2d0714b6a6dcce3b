-- A table, unlike the other staging models: its source aggregates the whole per-store calendar
-- (20.9 M rows in the embedded data) at every read, and two int_ models read it.
{{ config(materialized='table') }}

with raw_promotions as (

    select * from {{ source('raw', 'promotions') }}

)

select
    raw_promotions.item_id,
    raw_promotions.week,
    raw_promotions.display_stores,
    raw_promotions.mailer_stores,
    raw_promotions.promo_stores
from raw_promotions
-- A calendar row outside the transactions' week range can never meet a purchase or a send week.
where raw_promotions.week between 1 and {{ var('max_week') }}
