-- One row per cutoff: which week's promotions stand for its send week. The calendar is planned
-- ahead, so the send week's own rows are used when it has them. The production send week lies
-- after the data ends: then the latest calendar week before it stands in. Without a calendar
-- (the CSV layout with no causal_data.csv) the items sold with a store discount in the cutoff
-- week stand in.
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

promotions as (

    select * from {{ ref('stg_promotions') }}

),

calendar_weeks as (

    select distinct promotions.week from promotions

),

latest_calendar_week as (

    select
        cutoffs.cutoff_week,
        max(calendar_weeks.week) as calendar_week
    from cutoffs
    inner join calendar_weeks
        on calendar_weeks.week <= cutoffs.send_week
    group by cutoffs.cutoff_week

)

select
    cutoffs.cutoff_week,
    cutoffs.send_week,
    coalesce(latest_calendar_week.calendar_week, cutoffs.cutoff_week) as promo_week,
    case
        when latest_calendar_week.calendar_week is null then 'retail_discount'
        when latest_calendar_week.calendar_week = cutoffs.send_week then 'calendar'
        else 'calendar_latest_week'
    end as promo_source
from cutoffs
left join latest_calendar_week
    on cutoffs.cutoff_week = latest_calendar_week.cutoff_week
