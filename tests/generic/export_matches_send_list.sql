{# Fails for every send whose rows in the export files differ from its rows of send_list for the
   channel: a missing, extra or changed row (compared on the key and the display text). #}
{% test export_matches_send_list(model, channel) %}
with exported as (

    select send_id, user_id, position, item_id, display_text from {{ model }}

),

listed as (

    select send_id, user_id, position, item_id, display_text
    from {{ ref('send_list') }}
    where channel = '{{ channel }}'

),

only_exported as (

    select 'only in the files' as problem, * from (select * from exported except all select * from listed)

),

only_listed as (

    select 'only in send_list' as problem, * from (select * from listed except all select * from exported)

)

select * from only_exported
union all
select * from only_listed
{% endtest %}
