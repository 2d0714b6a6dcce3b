-- One row per channel and customer of the channel's audience (customer_channels): the customer's
-- experiment group and pre-period spend stratum. A customer is in control when the draw, a hash
-- of the experiment salt and the customer id alone (macro experiment_draw), lies below
-- control_share: the same group in every channel and every week while the salt stays, so the
-- control group hears from no channel. The stratum (decile of pre-period spend) is where the
-- tests check that each group holds its share of every spend level; the readout's CUPED
-- adjusts for the pre-period spend itself.
with customer_channels as (

    select * from {{ ref('customer_channels') }}

),

pre_period as (

    -- the campaign's pre-period: weeks before its start only
    select * from {{ ref('int_experiment_pre_period') }}
    where period = 'readout'

),

audience as (

    -- a customer of a channel without any purchase in the data has no stratum: stratum 0
    select
        customer_channels.channel,
        customer_channels.user_id,
        coalesce(pre_period.stratum, 0) as stratum,
        coalesce(pre_period.pre_revenue, 0) as pre_revenue,
        {{ experiment_draw("'" ~ var('experiment_salt') ~ "'", 'customer_channels.user_id') }} as draw
    from customer_channels
    left join pre_period
        on customer_channels.user_id = pre_period.user_id

)

select
    audience.channel,
    audience.user_id,
    case when audience.draw < {{ var('control_share') }} then 'control' else 'treatment' end
        as experiment_group,
    audience.stratum,
    audience.pre_revenue,
    audience.draw
from audience
