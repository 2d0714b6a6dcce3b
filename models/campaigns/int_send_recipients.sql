-- One row per cutoff, send and customer it goes to: the channel's audience (int_send_audience).
-- At the production cutoff the experiment's control group is left out of every channel: it is
-- the hold-out that measures the campaign, and gets the plain receipt without the five products.
-- The backtest sends go to everyone, so that they measure the lists on the whole audience.
with sends as (

    select * from {{ ref('int_sends') }}

),

send_audience as (

    select * from {{ ref('int_send_audience') }}

)

select
    sends.cutoff_week,
    sends.send_id,
    sends.channel,
    send_audience.user_id
from sends
inner join send_audience
    on sends.cutoff_week = send_audience.cutoff_week
    and sends.channel = send_audience.channel
where not (sends.cutoff_kind = 'production' and send_audience.experiment_group = 'control')
