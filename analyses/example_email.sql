-- One customer's two e-mails of next week as the send list holds them (README: "Campaigns").
-- Compile with `dbt compile -s example_email`; run the SQL in target/compiled/.
select
    send_id,
    position,
    slot,
    display_text,
    round(score, 3) as score,
    price,
    round(expected_revenue, 3) as expected_revenue,
    reason,
    department,
    product_type,
    brand,
    package_size
from {{ ref('email_recommendations') }}
where user_id = 43
order by send_id desc, position asc
