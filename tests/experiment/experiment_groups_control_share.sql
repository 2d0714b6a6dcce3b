-- The control group holds control_share of every channel and of every pre-period spend stratum
-- within it, up to chance: each customer is a draw, so the count of control customers is
-- binomial; more than 3.5 standard errors (plus one customer for rounding) away from
-- control_share x customers fails. 3.5: about 40 channel-stratum cells, and a false alarm rate
-- of 2 in 10,000 per cell.
with groups as (

    select * from {{ ref('experiment_groups') }}

),

cells as (

    select
        groups.channel,
        cast(groups.stratum as string) as stratum,
        count(*) as customers,
        count(*) filter (where groups.experiment_group = 'control') as control_customers
    from groups
    group by groups.channel, groups.stratum

    union all

    select
        groups.channel,
        'all' as stratum,
        count(*) as customers,
        count(*) filter (where groups.experiment_group = 'control') as control_customers
    from groups
    group by groups.channel

)

select
    cells.*,
    {{ var('control_share') }} * cells.customers as expected_control_customers
from cells
where abs(cells.control_customers - {{ var('control_share') }} * cells.customers)
    > 3.5 * sqrt(cells.customers * {{ var('control_share') }} * (1 - {{ var('control_share') }})) + 1
