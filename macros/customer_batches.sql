{#
  Customer batches. The largest models with a row per cutoff, customer and item (those that call
  in_customer_batch) build one slice of the customers at a time once the data has more than
  customers_per_batch customers. Every join and group by of these models is within a customer, so
  a slice's hash tables hold only its own customers and stay in memory; one statement over every
  customer spilled more than 30 GB at 40x (bench/scale.md).
  A model filters each per-customer input with in_customer_batch(column); its own query builds the
  first slice, and its post-hook insert_customer_batches() inserts the others, one statement each.
  A slice is a range of user ids, so a batched model's table is stored slice by slice, and the
  next batched model's filter skips the other slices' row groups (DuckDB's min-max zone maps)
  rather than reading every row once per slice.
#}

{#- The customer batches, as (first user_id, last user_id) pairs in order (int_customer_batches).
    One batch before anything is built (dbt parse, or docs on an empty database), and in a unit
    test (whose refs are its fixtures). -#}
{% macro customer_batches() %}
    {#- ref() outside the condition, so that dbt records the dependency while it parses -#}
    {%- set batches = ref('int_customer_batches') -%}
    {%- set batches = load_relation(batches) if execute and model.resource_type != 'unit_test' else none -%}
    {%- if batches is none -%}
        {{ return([none]) }}
    {%- endif -%}
    {%- set rows = run_query(
        'select first_user_id, last_user_id from ' ~ batches ~ ' order by batch').rows -%}
    {{ return(rows | map('list') | list or [none]) }}
{% endmacro %}

{#- The filter that keeps the customers of `column` in batch number `batch` (from 0); with one
    batch, every customer (and the query is the same as without batches). -#}
{% macro in_customer_batch(column, batch=0) %}
    {%- set batches = customer_batches() -%}
    {%- if batches | length == 1 -%}
        true
    {%- else -%}
        {{ column }} {{ customer_batch_filter(batches[batch]) }}
    {%- endif -%}
{% endmacro %}

{#- What follows the column in a batch's filter; the comment makes it unique in the query. -#}
{% macro customer_batch_filter(batch) %}between {{ batch[0] }} and {{ batch[1] }} /* customer batch */{% endmacro %}

{#- The post-hook: the later batches, each the model's compiled query with that batch's filter.
    It renders to nothing (so dbt runs no further statement), and only when the model runs. -#}
{% macro insert_customer_batches() %}
    {%- if execute -%}
        {%- set batches = customer_batches() -%}
        {%- for batch in batches[1:] -%}
            {%- do run_query('insert into ' ~ this ~ '\n' ~ model.compiled_code.replace(
                customer_batch_filter(batches[0]), customer_batch_filter(batch))) -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
