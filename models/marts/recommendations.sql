-- One row per cutoff, strategy, customer and recommended item. The e-mail policy at every cutoff;
-- the baselines at the backtest cutoffs, for the same recipients, with a top-10 so that k = 10
-- can be measured. expected_revenue is score x price where the score is a purchase propensity
-- (email_policy and ranker: the ranker's calibrated probability; hybrid, popularity) and null
-- where it is not (own_top counts purchase lines, als is a dot product).
with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

recipients as (

    select * from {{ ref('int_recipients') }}

),

item_popularity as (

    select * from {{ ref('int_item_popularity') }}

),

item_price as (

    select * from {{ ref('int_item_price') }}

),

user_item_history as (

    select * from {{ ref('int_user_item_history') }}

),

als_candidates as (

    select * from {{ ref('als_candidates') }}

),

email_candidates as (

    select * from {{ ref('int_email_candidates') }}

),

email_picks as (

    select * from {{ ref('int_email_picks') }}

),

backtest_recipients as (

    select recipients.*
    from recipients
    inner join cutoffs
        on recipients.cutoff_week = cutoffs.cutoff_week
    where cutoffs.cutoff_kind = 'backtest'

),

customers_per_cutoff as (

    select recipients.cutoff_week, count(*) as n_customers
    from recipients
    group by recipients.cutoff_week

),

top_items as (

    select
        item_popularity.cutoff_week,
        item_popularity.item_id,
        item_popularity.popularity_rank,
        item_popularity.n_buyers / customers_per_cutoff.n_customers as buyer_share
    from item_popularity
    inner join customers_per_cutoff
        on item_popularity.cutoff_week = customers_per_cutoff.cutoff_week
    where item_popularity.popularity_rank <= 10

),

popularity as (

    select
        backtest_recipients.cutoff_week,
        'popularity' as strategy,
        backtest_recipients.user_id,
        top_items.popularity_rank as position,
        top_items.item_id,
        top_items.buyer_share as score
    from backtest_recipients
    inner join top_items
        on backtest_recipients.cutoff_week = top_items.cutoff_week

),

-- own purchases first (most purchase lines, then most recent), then popular items fill up to 10
own_and_popular as (

    select
        user_item_history.cutoff_week,
        user_item_history.user_id,
        user_item_history.item_id,
        0 as source_order,
        user_item_history.n_lines as score,
        user_item_history.last_week
    from user_item_history
    inner join backtest_recipients
        on user_item_history.cutoff_week = backtest_recipients.cutoff_week
        and user_item_history.user_id = backtest_recipients.user_id
    where user_item_history.n_lines > 0
    qualify row_number() over (
        partition by user_item_history.cutoff_week, user_item_history.user_id
        order by user_item_history.n_lines desc, user_item_history.last_week desc, user_item_history.item_id
    ) <= 10
    union all
    select
        backtest_recipients.cutoff_week,
        backtest_recipients.user_id,
        top_items.item_id,
        1 as source_order,
        0 as score,
        -top_items.popularity_rank as last_week
    from backtest_recipients
    inner join top_items
        on backtest_recipients.cutoff_week = top_items.cutoff_week

),

own_top as (

    select
        own_and_popular.cutoff_week,
        'own_top' as strategy,
        own_and_popular.user_id,
        row_number() over (
            partition by own_and_popular.cutoff_week, own_and_popular.user_id
            order by own_and_popular.source_order, own_and_popular.score desc,
                own_and_popular.last_week desc, own_and_popular.item_id
        ) as position,
        own_and_popular.item_id,
        own_and_popular.score
    from own_and_popular
    qualify row_number() over (
        partition by own_and_popular.cutoff_week, own_and_popular.user_id, own_and_popular.item_id
        order by own_and_popular.source_order
    ) = 1

),

als as (

    select
        als_candidates.cutoff_week,
        'als' as strategy,
        als_candidates.user_id,
        als_candidates.als_rank as position,
        als_candidates.item_id,
        als_candidates.als_score as score
    from als_candidates
    inner join backtest_recipients
        on als_candidates.cutoff_week = backtest_recipients.cutoff_week
        and als_candidates.user_id = backtest_recipients.user_id
    where als_candidates.als_rank <= 10

),

-- two scores of the e-mail candidates with none of the e-mail's rules: the hand-set hybrid score
-- and the ranker's probability
unconstrained_scores as (

    select
        email_candidates.cutoff_week,
        'hybrid' as strategy,
        email_candidates.user_id,
        email_candidates.item_id,
        email_candidates.hybrid_score as score
    from email_candidates
    union all
    select
        email_candidates.cutoff_week,
        'ranker' as strategy,
        email_candidates.user_id,
        email_candidates.item_id,
        email_candidates.score
    from email_candidates

),

unconstrained as (

    select
        unconstrained_scores.cutoff_week,
        unconstrained_scores.strategy,
        unconstrained_scores.user_id,
        row_number() over (
            partition by unconstrained_scores.cutoff_week, unconstrained_scores.strategy,
                unconstrained_scores.user_id
            order by unconstrained_scores.score desc, unconstrained_scores.item_id
        ) as position,
        unconstrained_scores.item_id,
        unconstrained_scores.score
    from unconstrained_scores
    inner join backtest_recipients
        on unconstrained_scores.cutoff_week = backtest_recipients.cutoff_week
        and unconstrained_scores.user_id = backtest_recipients.user_id
    qualify position <= 10

),

baselines as (

    select * from popularity
    union all
    select * from own_top where position <= 10
    union all
    select * from als
    union all
    select * from unconstrained

),

baselines_priced as (

    select
        baselines.cutoff_week,
        baselines.strategy,
        baselines.user_id,
        cast(baselines.position as integer) as position,
        baselines.item_id,
        cast(null as varchar) as slot,
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
