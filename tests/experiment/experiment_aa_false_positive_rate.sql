-- The readout can be trusted where it gives a p-value: on the history period, which had no
-- treatment, the share of the A/A salts with p < 0.05 lies within 3.5 binomial standard errors
-- of 5 %, plain and with CUPED (3.5: 18 rates, a false alarm rate of 2 in 10,000 each). Checked
-- where status is ok (both groups expected to hold experiment_min_group_customers); below that
-- the table reports the rate without the promise, and the readout gives no p-value.
select *
from {{ ref('experiment_aa') }} as experiment_aa
where experiment_aa.status = 'ok'
    and (
        experiment_aa.n_salts < {{ var('aa_salts') }}
        or abs(experiment_aa.false_positive_rate - 0.05) > 3.5 * experiment_aa.binomial_standard_error
        or abs(experiment_aa.false_positive_rate_cuped - 0.05) > 3.5 * experiment_aa.binomial_standard_error
    )
