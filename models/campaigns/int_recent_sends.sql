-- One row per cutoff, customer and item the customer was sent, on any channel, in the last
-- novelty_weeks send weeks recorded in the ledger before the cutoff's send week: what that
-- week's sends leave out, so that a customer's lists differ from week to week. Empty before the
-- first `make send`, and with novelty_weeks 0.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

ledger_sends as (

    select * from {{ ref('stg_ledger_sends') }}

),

recorded_weeks as (

    select * from {{ ref('int_recorded_weeks') }}

),

-- the recorded weeks before each cutoff's send week, the latest first
earlier_weeks as (

    select
        cutoffs.cutoff_week,
        recorded_weeks.send_week,
        row_number() over (partition by cutoffs.cutoff_week order by recorded_weeks.send_week desc) as weeks_back
    from cutoffs
    inner join recorded_weeks
        on recorded_weeks.send_week < cutoffs.send_week

)

select distinct
    earlier_weeks.cutoff_week,
    ledger_sends.user_id,
    ledger_sends.item_id
from earlier_weeks
inner join ledger_sends
    on earlier_weeks.send_week = ledger_sends.send_week
where earlier_weeks.weeks_back <= {{ var('novelty_weeks') }}
