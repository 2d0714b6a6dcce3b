{#
  The group sums from which recsys.experiment computes every moment of a metric (its TERMS): the
  count n, and the sums of y, d, x, e (int_experiment_metric_values) and of their products, one
  column each (sum_yd = sum(y * d)). Aggregates of the rows of `values`, per the query's group by.
#}
{% macro experiment_sums(values) -%}
    {%- set products = ['y', 'd', 'x', 'e', 'yy', 'yd', 'dd', 'xx', 'xe', 'ee', 'yx', 'ye', 'dx', 'de'] -%}
    count(*) as n,
    {%- for product in products %}
    sum({{ values }}.{{ product[0] }}{% if product | length == 2 %} * {{ values }}.{{ product[1] }}{% endif %}) as sum_{{ product }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
