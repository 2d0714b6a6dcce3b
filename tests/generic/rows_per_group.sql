{# Fails for every group whose row count differs from n (a number or a column of the model). #}
{% test rows_per_group(model, group_by, n) %}
select {{ group_by | join(', ') }}, count(*) as rows_in_group, min({{ n }}) as expected_rows
from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) <> min({{ n }})
{% endtest %}
