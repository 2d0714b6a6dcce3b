-- One row per cutoff, customer and product type (int_item_catalog's type_id) of which they bought
-- a recommendable item up to the cutoff: the customer's history of the item summed over the
-- type's items, a table the candidate features join by type.
with user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

catalog as (

    select * from {{ ref('int_item_catalog') }}

)

select
    user_item_history.cutoff_week,
    user_item_history.user_id,
    catalog.type_id,
    sum(user_item_history.n_lines) as n_lines,
    max(user_item_history.last_week) as last_week
from user_item_history
inner join catalog
    on user_item_history.cutoff_week = catalog.cutoff_week
    and user_item_history.item_id = catalog.item_id
group by user_item_history.cutoff_week, user_item_history.user_id, catalog.type_id
