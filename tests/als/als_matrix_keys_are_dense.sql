-- Fails for every cutoff and kind of key (user, item) whose keys are not 0 .. n - 1, one per id:
-- as many keys as ids, as many distinct pairs as ids, the smallest 0 and the largest n - 1.
with als_matrix as (

    select * from {{ ref('int_als_matrix') }}

),

id_keys as (

    select
        als_matrix.cutoff_week,
        'user' as key_kind,
        als_matrix.user_id as id,
        als_matrix.user_key as key_value
    from als_matrix
    union all
    select
        als_matrix.cutoff_week,
        'item' as key_kind,
        als_matrix.item_id as id,
        als_matrix.item_key as key_value
    from als_matrix

),

key_counts as (

    select
        id_keys.cutoff_week,
        id_keys.key_kind,
        count(distinct id_keys.id) as n_ids,
        count(distinct id_keys.key_value) as n_keys,
        count(distinct cast(id_keys.id as string) || '/' || cast(id_keys.key_value as string)) as n_pairs,
        min(id_keys.key_value) as min_key,
        max(id_keys.key_value) as max_key
    from id_keys
    group by id_keys.cutoff_week, id_keys.key_kind

)

select key_counts.*
from key_counts
where key_counts.n_keys <> key_counts.n_ids
    or key_counts.n_pairs <> key_counts.n_ids
    or key_counts.min_key <> 0
    or key_counts.max_key <> key_counts.n_ids - 1
