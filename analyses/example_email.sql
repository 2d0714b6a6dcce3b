-- The e-mail of one customer as the send list holds it (README: "An example e-mail").
-- Compile with `dbt compile -s example_email`; run the SQL in target/compiled/.
select
    position,
    slot,
    round(score, 3) as score,
    price,
    round(expected_revenue, 3) as expected_revenue,
    reason,
    department,
    product_type,
    brand,
    package_size
from {{ ref('email_recommendations') }}
where user_id = 1
order by position
