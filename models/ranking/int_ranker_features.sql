-- One row per cutoff, recipient and candidate: the ranker's features (int_ranker_features.yml),
-- those that depend on the customer (int_ranker_candidate_features) beside those of the item
-- alone (int_ranker_item_features). Every column of the two but the keys is a feature: recsys.ranker
-- reads the list from this view's columns, in their order, so a new column of either model is a
-- feature of the next build without a change here. A view: the item's columns are stored once per
-- item, not once per candidate (they were about two thirds of the database).
{{ config(materialized='view') }}

with candidate_features as (

    select * from {{ ref('int_ranker_candidate_features') }}

),

item_features as (

    select * from {{ ref('int_ranker_item_features') }}

)

select
    candidate_features.*,
    {{ star(ref('int_ranker_item_features'), 'item_features', except=['cutoff_week', 'item_id']) }}
from candidate_features
inner join item_features
    on candidate_features.cutoff_week = item_features.cutoff_week
    and candidate_features.item_id = item_features.item_id
