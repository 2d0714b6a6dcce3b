-- Every recipient has the customer's features (int_ranker_customer_features joins a basket count
-- and a promo affinity with inner joins: a recipient without either would lose every candidate).
with recipients as (

    select * from {{ ref('int_recipients') }}

),

customer_features as (

    select * from {{ ref('int_ranker_customer_features') }}

)

select
    recipients.cutoff_week,
    recipients.user_id
from recipients
left join customer_features
    on recipients.cutoff_week = customer_features.cutoff_week
    and recipients.user_id = customer_features.user_id
where customer_features.user_id is null
