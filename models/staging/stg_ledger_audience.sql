-- The audience of every recorded send week: one row per week, channel and customer the sends
-- could reach, with the group the customer was given (control included).
with ledger_audience as (

    select * from {{ source('ledger', 'audience') }}

)

select
    ledger_audience.send_week,
    ledger_audience.channel,
    ledger_audience.user_id,
    ledger_audience.experiment_group,
    ledger_audience.stratum
from ledger_audience
