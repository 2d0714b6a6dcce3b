-- One row per cutoff, send window and category: how much more (lift > 1) or less (< 1) the
-- category is bought in the days of a send's window (from the send's weekday to the channel's next
-- send) than on average, from the clean lines up to the cutoff:
--   lift = (category's share of its lines in the window) / (all lines' share in the window),
-- with the category's share pulled towards the average by weekday_lift_prior_lines. Only data
-- with dates has weekdays: with the course's CSV files the table is empty and no send is boosted.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

cutoff_transactions as (

    select * from {{ ref('int_cutoff_transactions') }}

),

days as (

    select * from {{ ref('int_days') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

sends as (

    select * from {{ ref('int_sends') }}

),

send_windows as (

    select distinct
        sends.cutoff_week,
        sends.send_weekday,
        sends.iso_weekday,
        sends.window_days
    from sends

),

-- lines per category and weekday in each band of weeks (int_week_bands), rolled up to each cutoff
band_category_days as (

    select
        cutoff_transactions.band_week,
        products.category,
        days.iso_weekday,
        count(*) as n_lines
    from cutoff_transactions
    inner join days
        on cutoff_transactions.day = days.day
    inner join products
        on cutoff_transactions.item_id = products.item_id
    where days.iso_weekday is not null
        and products.category is not null
    group by all

),

category_days as (

    select
        cutoffs.cutoff_week,
        band_category_days.category,
        band_category_days.iso_weekday,
        cast(sum(band_category_days.n_lines) as bigint) as n_lines
    from cutoffs
    inner join band_category_days
        on {{ seen_by_cutoff('band_category_days', 'cutoffs') }}
    group by all

),

category_windows as (

    select
        send_windows.cutoff_week,
        send_windows.send_weekday,
        send_windows.window_days,
        category_days.category,
        sum(category_days.n_lines) filter (
            where (category_days.iso_weekday - send_windows.iso_weekday + 7) % 7 < send_windows.window_days
        ) as n_window_lines,
        sum(category_days.n_lines) as n_lines
    from send_windows
    inner join category_days
        on send_windows.cutoff_week = category_days.cutoff_week
    group by all

),

window_shares as (

    select
        category_windows.*,
        sum(category_windows.n_window_lines)
            over (
                partition by
                    category_windows.cutoff_week,
                    category_windows.send_weekday, category_windows.window_days
            )
        / sum(category_windows.n_lines) over (
            partition by
                category_windows.cutoff_week,
                category_windows.send_weekday, category_windows.window_days
        ) as window_share
    from category_windows

)

select
    window_shares.cutoff_week,
    window_shares.send_weekday,
    window_shares.window_days,
    window_shares.category,
    cast(coalesce(window_shares.n_window_lines, 0) as bigint) as n_window_lines,
    cast(window_shares.n_lines as bigint) as n_lines,
    window_shares.window_share,
    (coalesce(window_shares.n_window_lines, 0) + {{ var('weekday_lift_prior_lines') }} * window_shares.window_share)
    / (window_shares.n_lines + {{ var('weekday_lift_prior_lines') }})
    / window_shares.window_share as lift
from window_shares
