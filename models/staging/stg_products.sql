with raw_products as (

    select * from {{ source('raw', 'products') }}

)

select
    raw_products.item_id,
    raw_products.manufacturer_id,
    raw_products.department,
    raw_products.brand,
    raw_products.category,
    raw_products.product_type,
    raw_products.package_size
from raw_products
