-- No strategy recommends the placeholder item, and the ALS-based strategies and the e-mail
-- recommend only items in the top_n_items at the cutoff (own_top may repeat any own purchase).
select recommendations.*
from {{ ref('recommendations') }} as recommendations
left join {{ ref('int_item_popularity') }} as item_popularity
    on recommendations.cutoff_week = item_popularity.cutoff_week
    and recommendations.item_id = item_popularity.item_id
where recommendations.item_id = {{ var('bucket_item_id') }}
    or (recommendations.strategy <> 'own_top' and not coalesce(item_popularity.is_top_n, false))
