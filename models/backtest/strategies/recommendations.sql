-- One row per cutoff, strategy, customer and recommended item. The e-mail policy at every cutoff;
-- the baselines at the backtest cutoffs, for the same recipients, with a top baseline_depth (10)
-- so that k = 10 can be measured. Each baseline is a model of its own in models/backtest/strategies/.
-- expected_revenue is score x price where the score is a purchase propensity (email_policy and
-- ranker: the ranker's calibrated probability; hybrid, popularity) and null where it is not
-- (own_top counts purchase lines, als is a dot product).
with item_price as (

    select * from {{ ref('int_item_price') }}

),

email_picks as (

    select * from {{ ref('int_email_picks') }}

),

popularity as (

    select * from {{ ref('int_strategy_popularity') }}

),

own_top as (

    select * from {{ ref('int_strategy_own_top') }}

),

als as (

    select * from {{ ref('int_strategy_als') }}

),

hybrid as (

    select * from {{ ref('int_strategy_hybrid') }}

),

ranker as (

    select * from {{ ref('int_strategy_ranker') }}

),

baselines as (

    select * from popularity
    union all
    select * from own_top
    union all
    select * from als
    union all
    select * from hybrid
    union all
    select * from ranker

),

baselines_priced as (

    select
        baselines.cutoff_week,
        baselines.strategy,
        baselines.user_id,
        cast(baselines.position as integer) as position,
        baselines.item_id,
        cast(null as string) as slot,
        cast(baselines.score as double) as score,
        item_price.price,
        case
            when baselines.strategy in ('ranker', 'hybrid', 'popularity') then baselines.score * item_price.price
        end as expected_revenue
    from baselines
    left join item_price
        on baselines.cutoff_week = item_price.cutoff_week
        and baselines.item_id = item_price.item_id

),

email_policy as (

    select
        email_picks.cutoff_week,
        'email_policy' as strategy,
        email_picks.user_id,
        email_picks.position,
        email_picks.item_id,
        email_picks.slot,
        email_picks.score,
        email_picks.price,
        email_picks.expected_revenue
    from email_picks

)

select * from email_policy
union all
select * from baselines_priced
