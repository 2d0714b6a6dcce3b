-- Every e-mail's positions are exactly 1, 2, ..., its number of items.
select cutoff_week, user_id, count(*) as n_items, count(distinct position) as n_positions,
    min(position) as first_position, max(position) as last_position
from {{ ref('recommendations') }}
where strategy = 'email_policy'
group by cutoff_week, user_id
having count(distinct position) <> count(*) or min(position) <> 1 or max(position) <> count(*)
