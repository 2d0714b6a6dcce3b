-- The e-mail goes out at least twice a week, on different weekdays, and every channel sends on the
-- weekdays and at the times of send_schedule.
with send_plan as (

    select * from {{ ref('send_plan') }}

),

send_schedule as (

    select * from {{ ref('send_schedule') }}

),

email_weekdays as (

    select count(distinct send_plan.send_weekday) as n_weekdays
    from send_plan
    where send_plan.channel = 'email'

),

planned as (

    select
        send_plan.channel,
        send_plan.send_weekday,
        send_plan.send_time
    from send_plan

),

scheduled as (

    select
        send_schedule.channel,
        send_schedule.send_weekday,
        send_schedule.send_time
    from send_schedule

)

select
    'e-mail sends on fewer than two weekdays' as problem,
    null as channel,
    null as send_weekday
from email_weekdays
where email_weekdays.n_weekdays < 2
union all
select
    'planned, not scheduled',
    channel,
    send_weekday
from (
    select * from planned
    except
    select * from scheduled
) as planned_only
union all
select
    'scheduled, not planned',
    channel,
    send_weekday
from (
    select * from scheduled
    except
    select * from planned
) as scheduled_only
