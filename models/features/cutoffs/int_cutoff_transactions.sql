-- The leak guard: every feature model reads the clean lines here, never stg_transactions. Each
-- line carries its band (int_week_bands: the first cutoff at or after its week), and a cutoff may
-- see a line only when the macro seen_by_cutoff holds (band_week <= cutoff_week). A feature that
-- adds up is aggregated once per band and rolled up to each cutoff, so a line is read once
-- however many cutoffs there are.
{{ config(materialized='view') }}

with week_bands as (

    select * from {{ ref('int_week_bands') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

)

select
    week_bands.band_week,
    transactions.*
from transactions
inner join week_bands
    on transactions.week = week_bands.week
