-- One row per day number of the data, with its calendar date and weekday where the data has
-- dates (the parquet layout's timestamps). The course's CSV files number the days without dates:
-- there purchase_date and weekday are null, and nothing that needs a weekday is guessed.
with transaction_checks as (

    select * from {{ ref('stg_transaction_checks') }}

),

days as (

    select
        transaction_checks.day,
        -- a day's lines can straddle a week boundary by a few hours; the day belongs to the week
        -- of most of its lines
        mode(transaction_checks.week) as week,
        min(transaction_checks.purchase_date) as purchase_date
    from transaction_checks
    group by transaction_checks.day

)

select
    days.day,
    cast(days.week as integer) as week,
    days.purchase_date,
    {{ weekday_name('days.purchase_date') }} as weekday,
    cast({{ iso_weekday('days.purchase_date') }} as integer) as iso_weekday
from days
