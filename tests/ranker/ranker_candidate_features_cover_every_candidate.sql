-- Every candidate gets its features: the inner joins of int_ranker_candidate_features (the
-- customer's features, the catalog) drop no candidate. The features are a subset of the
-- candidates with unique keys (their yml), so equal counts per cutoff mean the same rows.
with candidates as (

    select * from {{ ref('int_ranker_candidates') }}

),

candidate_features as (

    select * from {{ ref('int_ranker_candidate_features') }}

),

candidate_counts as (

    select
        candidates.cutoff_week,
        count(*) as n_candidates
    from candidates
    group by candidates.cutoff_week

),

feature_counts as (

    select
        candidate_features.cutoff_week,
        count(*) as n_feature_rows
    from candidate_features
    group by candidate_features.cutoff_week

)

select
    coalesce(candidate_counts.cutoff_week, feature_counts.cutoff_week) as cutoff_week,
    candidate_counts.n_candidates,
    feature_counts.n_feature_rows
from candidate_counts
full outer join feature_counts
    on candidate_counts.cutoff_week = feature_counts.cutoff_week
where coalesce(candidate_counts.n_candidates, 0) <> coalesce(feature_counts.n_feature_rows, 0)
