-- No e-mail and no send (macros/slot_lists.sql) shows two items of the same product type (sub-
-- commodity).
select
    email.cutoff_week,
    email.list_id,
    email.user_id,
    products.product_type,
    count(*) as n_items
from ({{ slot_lists() }}) as email
inner join {{ ref('stg_products') }} as products
    on email.item_id = products.item_id
where products.product_type is not null
group by email.cutoff_week, email.list_id, email.user_id, products.product_type
having count(*) > 1
