-- The e-mail's send list: the e-mail rows of send_list, one row per e-mail send of the production
-- cutoff, customer and item, with the product's description so that the e-mail renders without
-- another join.
with send_list as (

    select * from {{ ref('send_list') }}

)

select
    send_list.send_id,
    send_list.send_week,
    send_list.user_id,
    send_list.position,
    send_list.item_id,
    send_list.slot,
    send_list.score,
    send_list.price,
    send_list.expected_revenue,
    send_list.reason,
    send_list.display_text,
    send_list.weekday_lift,
    send_list.department,
    send_list.category,
    send_list.product_type,
    send_list.brand,
    send_list.package_size,
    send_list.promo_week,
    send_list.promo_source
from send_list
where send_list.channel = 'email'
