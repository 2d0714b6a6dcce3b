{#- The on-run-start hook: check every input file before any model replaces a table, then point
    the views of the source `raw` (models/staging/__sources.yml) at the files. recsys_check_inputs()
    comes from the dbt-duckdb plugin recsys.dbt_plugin (profiles.yml): it raises on a bad file and
    returns the statements that create the views, which this hook runs. -#}
{% macro check_inputs() %}
    {%- if execute -%}
        {%- set data_dir = var("data_dir", "") | replace("'", "''") -%}
        {%- set result = run_query("select recsys_check_inputs('" ~ data_dir ~ "')") -%}
        {{ result.columns[0].values()[0] }}
    {%- endif -%}
{% endmacro %}
