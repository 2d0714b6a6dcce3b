{#- The on-run-start hook: check every input file before any model replaces a table.
    On DuckDB, recsys_check_inputs() comes from the dbt-duckdb plugin recsys.dbt_plugin
    (profiles.yml); on Spark, the same Python check runs in the dbt process (src/dbt_recsys_spark.py). -#}
{% macro check_inputs() %}
    {{ return(adapter.dispatch('check_inputs')()) }}
{% endmacro %}

{% macro default__check_inputs() %}
    select recsys_check_inputs('{{ var("data_dir", "") | replace("'", "''") }}')
{% endmacro %}

{% macro spark__check_inputs() %}
    {%- if execute %}{% set folder = adapter.recsys_check_inputs(var("data_dir", "")) %}{% endif -%}
    select '{{ folder | replace("\\", "\\\\") | replace("'", "\\'") }}' as checked_inputs
{% endmacro %}
