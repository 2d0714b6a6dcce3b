with raw_products as (

    select * from {{ source('raw', 'products') }}

)

select
    raw_products.item_id,
    {{ clean_text('raw_products.manufacturer_id') }} as manufacturer_id,
    {{ clean_text('raw_products.department') }} as department,
    {{ clean_text('raw_products.brand') }} as brand,
    {{ clean_text('raw_products.category') }} as category,
    {{ clean_text('raw_products.product_type') }} as product_type,
    {{ clean_text('raw_products.package_size') }} as package_size
from raw_products
