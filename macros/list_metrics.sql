{#- The arithmetic of the metrics, one copy for every table that scores lists against purchases
    (metrics_per_customer, metrics_at_k, metrics_by_slot, metrics_by_send). A list's rows are
    left-joined to the purchases, so a bought item has a non-null `bought_item`. -#}

{#- Aggregates over a list's rows: its hits, the value it recommends, and the value of its hits. -#}
{% macro list_hits(price, bought_item) -%}
    count({{ bought_item }}) as hits,
    sum({{ price }}) as recommended_value,
    coalesce(sum({{ price }}) filter (where {{ bought_item }} is not null), 0) as hit_value
{%- endmacro %}

{#- The share of the recommended value that was bought; 0 for a list that recommends nothing. -#}
{% macro money_precision(hit_value, recommended_value) -%}
    coalesce({{ hit_value }} / nullif({{ recommended_value }}, 0), 0)
{%- endmacro %}

{#- 1 when the list has a hit, else 0: its mean is the hit rate. -#}
{% macro any_hit(hits) -%}
    case when {{ hits }} > 0 then 1.0 else 0.0 end
{%- endmacro %}
