-- The power table, the A/A check and the readout have a row for every channel of
-- customer_channels and every metric of the seed experiment_metrics.
with expected as (

    select distinct
        customer_channels.channel,
        experiment_metrics.metric
    from {{ ref('customer_channels') }} as customer_channels
    cross join {{ ref('experiment_metrics') }} as experiment_metrics

)

(
    select
        'experiment_power' as missing_from,
        *
    from expected
    except
    select
        'experiment_power',
        channel,
        metric
    from {{ ref('experiment_power') }}
)
union all
(
    select
        'experiment_aa',
        *
    from expected
    except
    select
        'experiment_aa',
        channel,
        metric
    from {{ ref('experiment_aa') }}
)
union all
(
    select
        'experiment_readout',
        *
    from expected
    except
    select
        'experiment_readout',
        channel,
        metric
    from {{ ref('experiment_readout') }}
)
