{#- The on-run-start hook: check every input file (and that the data spans the backtest's weeks, and
    that the exports folder is one the project may write) before any model replaces a table, then point
    the tables of the source `raw` (models/staging/__sources.yml) at the files. A problem stops
    the whole run as a compilation error, with the problem's one line. The check is
    recsys.dbt_plugin.input_problem: on DuckDB through the SQL function the dbt-duckdb plugin
    registers (profiles.yml), on Spark through an adapter method (src/dbt_recsys_spark.py). -#}
{% macro check_inputs() %}
    {%- if execute -%}
        {%- set problem = adapter.dispatch('input_problem')(
            var("data_dir", ""), var('horizon_weeks'), var('backtest_folds')) -%}
        {%- if problem -%}
            {{ exceptions.raise_compiler_error(problem) }}
        {%- endif -%}
        {{ adapter.dispatch('raw_relations')(var("data_dir", ""), var("last_data_week") or 0) }}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}

{% macro default__input_problem(data_dir, horizon_weeks, backtest_folds) %}
    {%- set sql = "select recsys_input_problem('" ~ (data_dir | replace("'", "''")) ~ "', "
        ~ horizon_weeks ~ ", " ~ backtest_folds ~ ")" -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}

{% macro spark__input_problem(data_dir, horizon_weeks, backtest_folds) %}
    {{ return(adapter.recsys_input_problem(data_dir, horizon_weeks, backtest_folds)) }}
{% endmacro %}

{#- The statements the hook runs to create the source's relations. DuckDB: views over the files,
    so the database holds no copy of the raw lines. -#}
{% macro default__raw_relations(data_dir, last_data_week) %}
    {%- set sql = "select recsys_raw_views('" ~ (data_dir | replace("'", "''")) ~ "', " ~ last_data_week ~ ")" -%}
    {{ return(run_query(sql).columns[0].values()[0]) }}
{% endmacro %}

{#- Spark cannot read the files with DuckDB's SQL: the adapter loads them as tables of the
    database raw (read by DuckDB on the driver, as the former raw_* models did). -#}
{% macro spark__raw_relations(data_dir, last_data_week) %}
    {{ return(adapter.recsys_load_raw(data_dir, last_data_week)) }}
{% endmacro %}
