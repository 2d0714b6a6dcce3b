-- A send goes only to customers its channel reaches (customer_channels) who are in the
-- experiment's treatment group, and reaches almost every such customer who shopped in the last
-- active_weeks: only a customer whose slots cannot be filled gets none (2 of 2,218 at the
-- embedded data's production cutoff), never more than 1 %.
with send_list as (

    select * from {{ ref('send_list') }}

),

customer_channels as (

    select * from {{ ref('customer_channels') }}

),

send_plan as (

    select * from {{ ref('send_plan') }}

),

experiment_groups as (

    select * from {{ ref('experiment_groups') }}

),

transactions as (

    select * from {{ ref('stg_transactions') }}

),

recent_shoppers as (

    select distinct transactions.user_id
    from transactions
    where transactions.week > (select max(all_lines.week) from transactions as all_lines) - {{ var('active_weeks') }}

),

unreachable as (

    select distinct
        send_list.send_id,
        send_list.user_id,
        'not reachable by the channel' as problem
    from send_list
    anti join customer_channels
        on send_list.user_id = customer_channels.user_id
        and send_list.channel = customer_channels.channel

),

held_out as (

    select distinct
        send_list.send_id,
        send_list.user_id,
        'in the control group' as problem
    from send_list
    inner join experiment_groups
        on send_list.user_id = experiment_groups.user_id
        and send_list.channel = experiment_groups.channel
    where experiment_groups.experiment_group = 'control'

),

missed as (

    select
        send_plan.send_id,
        count(*) as n_reachable,
        count(*) filter (where send_list.user_id is null) as n_missed
    from send_plan
    inner join customer_channels
        on send_plan.channel = customer_channels.channel
    inner join recent_shoppers
        on customer_channels.user_id = recent_shoppers.user_id
    inner join experiment_groups
        on customer_channels.user_id = experiment_groups.user_id
        and customer_channels.channel = experiment_groups.channel
        and experiment_groups.experiment_group = 'treatment'
    left join (
        select distinct
            send_list.send_id,
            send_list.user_id
        from send_list
    ) as send_list
        on send_plan.send_id = send_list.send_id
        and customer_channels.user_id = send_list.user_id
    group by send_plan.send_id

)

select
    send_id,
    user_id,
    problem
from unreachable
union all
select
    send_id,
    user_id,
    problem
from held_out
union all
select
    send_id,
    null,
    n_missed || ' of ' || n_reachable || ' reachable recent shoppers without the send'
from missed
where n_missed > 0.01 * n_reachable
