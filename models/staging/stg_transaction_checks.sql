-- Every raw line with the first cleaning rule it breaks (null: the line is kept). The rules are
-- checked in the order of data_quality_report, so each dropped line is counted once.
with raw_transactions as (

    select * from {{ source('raw', 'transactions') }}

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
        -- an empty cell in the file; ids are never empty (the input check refuses the file)
        when raw_transactions.quantity is null
            or raw_transactions.sales_value is null
            or raw_transactions.store_id is null
            or raw_transactions.week is null
            or raw_transactions.day is null
            or raw_transactions.trans_time is null
            or raw_transactions.retail_disc is null
            or raw_transactions.coupon_disc is null
            or raw_transactions.coupon_match_disc is null
            then 'missing_value'
        when raw_transactions.week not between 1 and {{ var('max_week') }}
            or raw_transactions.day not between 1 and {{ var('max_day') }}
            or raw_transactions.trans_time not between 0 and 2359
            then 'date_out_of_range'
        when products.item_id is null then 'unknown_product'
        when excluded_departments.department is not null then 'excluded_department'
        -- after the excluded departments: fuel is sold in huge "quantities" and has its own rule
        when raw_transactions.quantity > {{ var('max_quantity') }}
            or raw_transactions.sales_value > {{ var('max_sales_value') }}
            then 'implausible_amount'
    end as drop_reason
from raw_transactions
left join products
    on raw_transactions.item_id = products.item_id
left join excluded_departments
    on products.department = excluded_departments.department
