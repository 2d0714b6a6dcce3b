-- One row per cutoff with a ranker and candidate of the cutoff it learns from: the cutoff
-- horizon_weeks earlier (feature_cutoff_week), with that cutoff's features and is_bought, whether
-- the customer bought the item in its window, which ends exactly at cutoff_week. So everything
-- the ranker applied at a cutoff learns from ends at that cutoff (tests/python/test_leakage.py).
-- A view: the features are stored once, in int_ranker_features.
{{ config(materialized='view') }}

with cutoffs as (

    select * from {{ ref('int_cutoffs') }}

),

features as (

    select * from {{ ref('int_ranker_features') }}

),

window_purchases as (

    select * from {{ ref('int_window_purchases') }}

),

training_cutoffs as (

    select
        cutoffs.test_last_week as cutoff_week,
        cutoffs.cutoff_week as feature_cutoff_week
    from cutoffs
    where cutoffs.test_last_week is not null

)

-- a cutoff's few rows sent to every executor (Spark), rather than its millions of candidates
-- shuffled into one task by the join on cutoff_week alone
select {{ broadcast_hint('training_cutoffs') }}
    training_cutoffs.cutoff_week,
    {{ star(ref('int_ranker_features'), 'features', except=['cutoff_week']) }},
    training_cutoffs.feature_cutoff_week,
    window_purchases.item_id is not null as is_bought
from training_cutoffs
inner join features
    on training_cutoffs.feature_cutoff_week = features.cutoff_week
left join window_purchases
    on features.cutoff_week = window_purchases.cutoff_week
    and features.user_id = window_purchases.user_id
    and features.item_id = window_purchases.item_id
