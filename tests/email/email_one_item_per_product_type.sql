-- No e-mail shows two items of the same product type (sub-commodity).
select email.cutoff_week, email.user_id, products.product_type, count(*) as n_items
from {{ ref('recommendations') }} as email
inner join {{ ref('stg_products') }} as products
    on email.item_id = products.item_id
where email.strategy = 'email_policy' and products.product_type is not null
group by email.cutoff_week, email.user_id, products.product_type
having count(*) > 1
