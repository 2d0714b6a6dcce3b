-- The send plan: one row per send of the production cutoff, with its date where the data has
-- dates, how many customers it is meant for (the channel's audience less the control group), how
-- many get it (those whose every slot could be filled after the novelty rules) and how many not.
with sends as (

    select * from {{ ref('int_sends') }}

),

send_list as (

    select * from {{ ref('send_list') }}

),

send_recipients as (

    select * from {{ ref('int_send_recipients') }}

),

audience_per_send as (

    select
        send_recipients.send_id,
        count(*) as n_audience
    from send_recipients
    group by send_recipients.send_id

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
    cast(coalesce(audience_per_send.n_audience, 0) as bigint) as n_audience,
    cast(coalesce(recipients_per_send.n_recipients, 0) as bigint) as n_recipients,
    cast(coalesce(audience_per_send.n_audience, 0) - coalesce(recipients_per_send.n_recipients, 0) as bigint)
        as n_without_list,
    sends.window_days,
    sends.window_end_date
from sends
left join recipients_per_send
    on sends.send_id = recipients_per_send.send_id
left join audience_per_send
    on sends.send_id = audience_per_send.send_id
where sends.cutoff_kind = 'production'
