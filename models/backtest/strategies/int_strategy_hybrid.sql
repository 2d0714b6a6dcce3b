-- One row per backtest cutoff, recipient and position: the e-mail candidates ranked by the
-- hand-set propensity hybrid_score, with none of the e-mail's rules.
-- Built a batch of customers at a time (macros/customer_batches.sql).
{{ config(post_hook="{{ insert_customer_batches() }}") }}

{{ top_candidates('hybrid', 'email_candidates.hybrid_score') }}
