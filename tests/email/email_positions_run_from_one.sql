-- Every e-mail's and every send's (macros/slot_lists.sql) positions are exactly 1, 2, ..., its
-- number of items.
select
    lists.cutoff_week,
    lists.list_id,
    lists.user_id,
    count(*) as n_items,
    count(distinct lists.position) as n_positions,
    min(lists.position) as first_position,
    max(lists.position) as last_position
from ({{ slot_lists() }}) as lists
group by lists.cutoff_week, lists.list_id, lists.user_id
having count(distinct lists.position) <> count(*) or min(lists.position) <> 1 or max(lists.position) <> count(*)
