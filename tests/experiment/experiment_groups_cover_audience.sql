-- Every customer a channel reaches has a group in that channel, and nobody else has one.
with customer_channels as (

    select
        channel,
        user_id
    from {{ ref('customer_channels') }}

),

groups as (

    select
        channel,
        user_id
    from {{ ref('experiment_groups') }}

)

(
    select
        'no group' as problem,
        *
    from customer_channels
    except
    select
        'no group',
        *
    from groups
)
union all
(
    select
        'not in the audience',
        *
    from groups
    except
    select
        'not in the audience',
        *
    from customer_channels
)
