-- One row per week of data: its band, named by the first cutoff at or after the week. A cutoff's
-- past is its own band and every earlier one, so a feature that adds up (a count, a sum, a
-- minimum, a maximum) is aggregated once per band from the lines and then rolled up over the
-- bands to each cutoff: joining every line to every cutoff after it instead would read each line
-- once per cutoff. int_cutoff_transactions gives every line its band.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

weeks as (

    select distinct transactions.week from transactions

)

select
    weeks.week,
    min(cutoffs.cutoff_week) as band_week
from weeks
inner join cutoffs
    on weeks.week <= cutoffs.cutoff_week
group by weeks.week
