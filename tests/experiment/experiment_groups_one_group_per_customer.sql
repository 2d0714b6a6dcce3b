-- The groups are disjoint: a customer is in the same group in every channel they are reachable
-- on, so no control customer hears from any channel.
select
    experiment_groups.user_id,
    count(distinct experiment_groups.experiment_group) as groups
from {{ ref('experiment_groups') }} as experiment_groups
group by experiment_groups.user_id
having count(distinct experiment_groups.experiment_group) > 1
