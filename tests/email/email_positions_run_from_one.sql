-- Every e-mail's and every send's (macros/slot_lists.sql) positions are exactly 1, 2, ..., its
-- number of items.
select cutoff_week, list_id, user_id, count(*) as n_items, count(distinct position) as n_positions,
    min(position) as first_position, max(position) as last_position
from ({{ slot_lists() }}) as lists
group by cutoff_week, list_id, user_id
having count(distinct position) <> count(*) or min(position) <> 1 or max(position) <> count(*)
