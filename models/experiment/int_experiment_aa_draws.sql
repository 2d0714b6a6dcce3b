-- One row per A/A salt and customer of any channel: whether the customer would be in the
-- control group under that salt, drawn exactly as experiment_groups draws (macro
-- experiment_draw). A view: experiment_aa reads it once.
{{ config(materialized='view') }}

with groups as (

    select * from {{ ref('experiment_groups') }}

),

customers as (

    select distinct groups.user_id from groups

),

salts as (

    select cast(salt_range.aa_salt as integer) as aa_salt
    from range(1, {{ var('aa_salts') }} + 1) as salt_range (aa_salt)

)

select
    salts.aa_salt,
    customers.user_id,
    {{ experiment_draw("'aa-' || salts.aa_salt", 'customers.user_id') }} < {{ var('control_share') }}
        as is_control
from salts
cross join customers
order by salts.aa_salt, customers.user_id
