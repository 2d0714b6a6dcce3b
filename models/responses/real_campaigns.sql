-- One row per campaign of the retailer's own (the data's campaigns, coupons and redemptions):
-- how many households it reached, how many redeemed a coupon, and how many bought one of its
-- coupon products in the campaign's window against the same households in an equally long
-- window just before it. The same response rule as send_responses (an offered item bought in
-- the window, macro in_send_window), on real exposure that no one here designed.
with campaigns as (

    select * from {{ ref('stg_campaigns') }}

),

coupons as (

    select * from {{ ref('stg_coupons') }}

),

coupon_redemptions as (

    select * from {{ ref('stg_coupon_redemptions') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

days as (

    select * from {{ ref('int_days') }}

),

data_dates as (

    select
        min(days.purchase_date) as first_date,
        max(days.purchase_date) as last_date
    from days

),

-- each campaign as two sends: its own window, and the window of the same length before it
windows as (

    select distinct
        campaigns.campaign_id,
        periods.period,
        cast(null as integer) as send_week,
        case periods.period
            when 'campaign' then campaigns.start_date
            else {{ add_days('campaigns.start_date',
                             '-1 - ' ~ days_between('campaigns.start_date', 'campaigns.end_date')) }}
        end as send_date,
        case periods.period
            when 'campaign' then {{ add_days('campaigns.end_date', 1) }}
            else campaigns.start_date
        end as window_end_date
    from campaigns
    cross join (values ('campaign'), ('before')) as periods (period)

),

buyers as (

    select
        windows.campaign_id,
        windows.period,
        count(distinct transactions.user_id) as households
    from windows
    inner join campaigns
        on windows.campaign_id = campaigns.campaign_id
    inner join transactions
        on campaigns.user_id = transactions.user_id
    inner join coupons
        on windows.campaign_id = coupons.campaign_id
        and transactions.item_id = coupons.item_id
    inner join days
        on transactions.day = days.day
    where {{ in_send_window('windows', 'transactions.week', 'days.purchase_date') }}
    group by windows.campaign_id, windows.period

),

reach as (

    select
        campaigns.campaign_id,
        min(campaigns.campaign_type) as campaign_type,
        min(campaigns.start_date) as start_date,
        min(campaigns.end_date) as end_date,
        count(*) as households
    from campaigns
    group by campaigns.campaign_id

),

redeemers as (

    select
        coupon_redemptions.campaign_id,
        count(distinct coupon_redemptions.user_id) as households
    from coupon_redemptions
    group by coupon_redemptions.campaign_id

)

select
    reach.campaign_id,
    reach.campaign_type,
    reach.start_date,
    reach.end_date,
    reach.households,
    coalesce(redeemers.households, 0) as redeemers,
    coalesce(redeemers.households, 0) / reach.households as redemption_rate,
    coalesce(in_campaign.households, 0) / reach.households as coupon_buy_rate,
    coalesce(before_campaign.households, 0) / reach.households as coupon_buy_rate_before,
    -- both windows lie inside the data's dates: the rates compare like with like
    before_window.send_date >= data_dates.first_date and reach.end_date <= data_dates.last_date
        as windows_in_data
from reach
cross join data_dates
inner join windows as before_window
    on reach.campaign_id = before_window.campaign_id
    and before_window.period = 'before'
left join redeemers
    on reach.campaign_id = redeemers.campaign_id
left join buyers as in_campaign
    on reach.campaign_id = in_campaign.campaign_id
    and in_campaign.period = 'campaign'
left join buyers as before_campaign
    on reach.campaign_id = before_campaign.campaign_id
    and before_campaign.period = 'before'
