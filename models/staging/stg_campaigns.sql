-- The retailer's own campaigns: one row per campaign and household it reached, with the
-- campaign's type and dates (empty for data without campaign files).
with raw_campaigns as (

    select * from {{ source('raw', 'campaigns') }}

),

raw_campaign_descriptions as (

    select * from {{ source('raw', 'campaign_descriptions') }}

)

select
    raw_campaigns.campaign_id,
    raw_campaign_descriptions.campaign_type,
    raw_campaign_descriptions.start_date,
    raw_campaign_descriptions.end_date,
    raw_campaigns.household_id as user_id
from raw_campaigns
inner join raw_campaign_descriptions
    on raw_campaigns.campaign_id = raw_campaign_descriptions.campaign_id
