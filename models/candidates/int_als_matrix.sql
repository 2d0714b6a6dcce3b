-- The ALS matrix of int_interactions with dense integer keys per cutoff for its customers and
-- items (macro integer_keys): Spark MLlib's ALS needs ids that fit an int, and the keys are
-- numbered without sorting every id in one task. implicit (DuckDB) reads the ids themselves.
-- Left joins, though every row has both keys: with inner joins DuckDB joined the two key lists
-- to each other first (customers x items per cutoff, 49 M rows at 1x, quadratic in the data).
with interactions as (

    select * from {{ ref('int_interactions') }}

),

user_keys as (

    {{ integer_keys('interactions', 'cutoff_week', 'user_id', 'user_key') }}

),

item_keys as (

    {{ integer_keys('interactions', 'cutoff_week', 'item_id', 'item_key') }}

)

select
    interactions.cutoff_week,
    interactions.user_id,
    interactions.item_id,
    user_keys.user_key,
    item_keys.item_key,
    interactions.weight
from interactions
left join user_keys
    on interactions.cutoff_week = user_keys.cutoff_week
    and interactions.user_id = user_keys.user_id
left join item_keys
    on interactions.cutoff_week = item_keys.cutoff_week
    and interactions.item_id = item_keys.item_id
