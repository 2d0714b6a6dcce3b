-- The send plan: one row per send of the production cutoff, with its date where the data has
-- dates, and how many customers get it (those whose every slot could be filled).
with sends as (

    select * from {{ ref('int_sends') }}

),

send_list as (

    select * from {{ ref('send_list') }}

),

recipients_per_send as (

    select
        send_list.send_id,
        count(distinct send_list.user_id) as n_recipients
    from send_list
    group by send_list.send_id

)

select
    sends.send_id,
    sends.channel,
    sends.send_week,
    sends.send_weekday,
    sends.send_time,
    sends.send_date,
    cast(coalesce(recipients_per_send.n_recipients, 0) as bigint) as n_recipients,
    sends.window_days,
    sends.window_end_date
from sends
left join recipients_per_send
    on sends.send_id = recipients_per_send.send_id
where sends.cutoff_kind = 'production'
