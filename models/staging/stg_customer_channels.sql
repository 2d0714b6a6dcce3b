-- One row per customer and opt-in channel of the data folder's customer_channels.csv, each pair
-- once (the file may list one twice). Empty without the file.
with raw_customer_channels as (

    select * from {{ source('raw', 'customer_channels') }}

)

select distinct
    raw_customer_channels.user_id,
    raw_customer_channels.channel
from raw_customer_channels
