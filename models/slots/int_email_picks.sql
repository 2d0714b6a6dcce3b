-- One row per cutoff, recipient and e-mail item: the single weekly list that the email_policy
-- strategy scores, filled by the slot rules of macros/fill_slots.sql (promo, new, upsell; one
-- item per product type; ordered by expected revenue). The campaign's sends use the same rules
-- per send (int_send_picks). Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

-- not materialized: scanning the table again is cheaper than holding a copy of it in memory
with candidates as {{ cte_hint('not materialized') }} (

    select * from {{ ref('int_email_candidates') }}
    where {{ in_customer_batch('user_id') }}

),

email_picks as (

    {{ fill_slots('candidates', ['cutoff_week', 'user_id']) }}

)

select * from email_picks
