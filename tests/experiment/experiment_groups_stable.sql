-- The group is stable: it follows from the salt and the customer id alone (the draw of that
-- pair against control_share), so nothing that changes week after week (new weeks of data,
-- strata, the audience) can move a customer to the other group while the salt stays.
select
    experiment_groups.channel,
    experiment_groups.user_id,
    experiment_groups.experiment_group
from {{ ref('experiment_groups') }} as experiment_groups
where experiment_groups.experiment_group
    <> case
        when {{ experiment_draw("'" ~ var('experiment_salt') ~ "'", 'experiment_groups.user_id') }}
            < {{ var('control_share') }} then 'control'
        else 'treatment'
    end
