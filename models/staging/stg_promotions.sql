with raw_promotions as (

    select * from {{ ref('raw_promotions') }}

)

select
    raw_promotions.item_id,
    raw_promotions.week,
    raw_promotions.display_stores,
    raw_promotions.mailer_stores,
    raw_promotions.promo_stores
from raw_promotions
