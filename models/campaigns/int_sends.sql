-- One row per cutoff and send: every row of the send_schedule seed in the week after each
-- cutoff. A send's window runs from its date to the channel's next send: the days whose
-- purchases it can influence, where its weekday lift and its backtest hits are counted. Where the
-- data has dates (int_days) the send gets its calendar date; the course's CSV files have none.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

send_schedule as (

    select * from {{ ref('send_schedule') }}

),

channels as (

    select * from {{ ref('channels') }}

),

days as (

    select * from {{ ref('int_days') }}

),

weekdays as (

    select
        weekday_names.weekday,
        weekday_names.iso_weekday
    from (
        values
        ('Monday', 1), ('Tuesday', 2), ('Wednesday', 3), ('Thursday', 4), ('Friday', 5), ('Saturday', 6),
        ('Sunday', 7)
    ) as weekday_names (weekday, iso_weekday)

),

scheduled as (

    select
        send_schedule.channel,
        send_schedule.send_weekday,
        send_schedule.send_time,
        weekdays.iso_weekday,
        {{ position_in_list(var('channel_fill_order'), 'channels.channel') }} as fill_order,
        -- days until the channel's next send (7 when it sends once a week)
        coalesce(
            min((next_weekdays.iso_weekday - weekdays.iso_weekday + 7) % 7)
            filter (where next_weekdays.iso_weekday <> weekdays.iso_weekday),
            7
        ) as window_days
    from send_schedule
    inner join weekdays
        on send_schedule.send_weekday = weekdays.weekday
    inner join channels
        on send_schedule.channel = channels.channel
    inner join send_schedule as next_sends
        on send_schedule.channel = next_sends.channel
    inner join weekdays as next_weekdays
        on next_sends.send_weekday = next_weekdays.weekday
    group by all

),

-- the date of a weekday in any week, counted from every day of the data with that weekday (a
-- week's first and last days straddle its boundary by a few hours; the most common answer wins)
send_dates as (

    select
        cutoffs.cutoff_week,
        days.weekday,
        mode(days.purchase_date + 7 * (cutoffs.send_week - days.week)) as send_date
    from cutoffs
    cross join days
    where days.purchase_date is not null
    group by all

)

select
    cutoffs.cutoff_week,
    cutoffs.cutoff_kind,
    'w' || cutoffs.send_week || '-' || lower(left(scheduled.send_weekday, 3)) || '-' || scheduled.channel as send_id,
    scheduled.channel,
    cutoffs.send_week,
    scheduled.send_weekday,
    scheduled.iso_weekday,
    scheduled.send_time,
    send_dates.send_date,
    cast(scheduled.window_days as integer) as window_days,
    send_dates.send_date + cast(scheduled.window_days as integer) as window_end_date,
    scheduled.fill_order
from cutoffs
cross join scheduled
left join send_dates
    on cutoffs.cutoff_week = send_dates.cutoff_week
    and scheduled.send_weekday = send_dates.weekday
