{#
  Where the export files go: the folder that RECSYS_EXPORTS names, else <database>.exports beside
  the database file that profiles.yml opens (RECSYS_DB, else recsys.duckdb at the repository
  root). A wrapped build (make run) points RECSYS_EXPORTS at its own staging folder.
#}
{% macro exports_dir() %}
    {{- return(env_var('RECSYS_EXPORTS', env_var('RECSYS_DB', 'recsys.duckdb') ~ '.exports')) -}}
{% endmacro %}

{#
  An export model of one channel in one file format: the channel's rows of send_list, written by
  dbt-duckdb's external materialization as one file per send,
  <exports_dir>/<format>/<channel>/send_id=<send_id>/data_0.<format>. The whole folder of the
  channel and format is replaced, so last week's sends do not linger.
  On Spark an export model is a table of the warehouse (parquet, like every table there): dbt-spark
  has no external materialization; a deployment that hands files to the sending systems would set
  location_root and file_format on these models.
#}
{% macro export_send_list(channel, format) %}
{{ export_config(channel, format) }}
with send_list as (

    select * from {{ ref('send_list') }}

)

select
    send_list.send_id,
    send_list.send_week,
    send_list.send_date,
    send_list.send_time,
    send_list.user_id,
    send_list.position,
    send_list.item_id,
    send_list.slot,
    send_list.display_text,
    send_list.reason,
    send_list.price,
    send_list.department,
    send_list.category,
    send_list.product_type,
    send_list.brand,
    send_list.package_size
from send_list
where send_list.channel = '{{ channel }}'
order by send_list.send_id, send_list.user_id, send_list.position
{% endmacro %}

{#- The export model's materialization (README "Running on Spark"). -#}
{% macro export_config(channel, format) %}{{ return(adapter.dispatch('export_config')(channel, format)) }}{% endmacro %}
{% macro default__export_config(channel, format) %}
{{ config(
    materialized='external',
    format=format,
    location=exports_dir() ~ '/' ~ format ~ '/' ~ channel,
    pre_hook="select recsys_claim_exports('" ~ (exports_dir() | replace("'", "''")) ~ "', '" ~ format ~ "')",
    options={'partition_by': 'send_id', 'write_partition_columns': 'true', 'overwrite': 'true'},
) }}
{% endmacro %}
{% macro spark__export_config(channel, format) %}{{ config(materialized='table') }}{% endmacro %}
