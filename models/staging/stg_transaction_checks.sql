-- Every raw line with the first cleaning rule it breaks (null: the line is kept). The rules are
-- checked in the order of data_quality_report, so each dropped line is counted once.
with raw_transactions as (

    select * from {{ ref('raw_transactions') }}

),

products as (

    select * from {{ ref('stg_products') }}

),

excluded_departments as (

    select * from {{ ref('excluded_departments') }}

)

select
    raw_transactions.*,
    case
        when raw_transactions.quantity <= 0 then 'non_positive_quantity'
        when raw_transactions.sales_value <= 0 then 'non_positive_sales_value'
        when products.item_id is null then 'unknown_product'
        when excluded_departments.department is not null then 'excluded_department'
    end as drop_reason
from raw_transactions
left join products
    on raw_transactions.item_id = products.item_id
left join excluded_departments
    on products.department = excluded_departments.department
