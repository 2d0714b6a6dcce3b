{#- Where DuckDB's SQL and Spark SQL differ: one macro per difference, dispatched on the target
    (default__: DuckDB, the SQL the models had; spark__: Spark SQL 4), so that every model is
    written once (README "Running on Spark"). -#}

{#- The English weekday name of a date (Monday ... Sunday). -#}
{% macro weekday_name(date) %}{{ return(adapter.dispatch('weekday_name')(date)) }}{% endmacro %}
{% macro default__weekday_name(date) %}dayname({{ date }}){% endmacro %}
{% macro spark__weekday_name(date) %}date_format({{ date }}, 'EEEE'){% endmacro %}

{#- The ISO weekday of a date: 1 Monday ... 7 Sunday. -#}
{% macro iso_weekday(date) %}{{ return(adapter.dispatch('iso_weekday')(date)) }}{% endmacro %}
{% macro default__iso_weekday(date) %}isodow({{ date }}){% endmacro %}
{% macro spark__iso_weekday(date) %}(weekday({{ date }}) + 1){% endmacro %}

{#- The number that a string of hex digits writes (DuckDB: an unsigned integer, Spark: a double;
    exact either way up to 13 digits). -#}
{% macro hex_to_number(hex) %}{{ return(adapter.dispatch('hex_to_number')(hex)) }}{% endmacro %}
{% macro default__hex_to_number(hex) %}cast(('0x' || {{ hex }}) as ubigint){% endmacro %}
{% macro spark__hex_to_number(hex) %}cast(conv({{ hex }}, 16, 10) as double){% endmacro %}

{#- The 1-based position of a value in a list of string literals (a var such as
    channel_fill_order), null when it is not there. -#}
{% macro position_in_list(values, value) -%}
    {{ return(adapter.dispatch('position_in_list')(values, value)) }}
{%- endmacro %}
{% macro default__position_in_list(values, value) %}list_position({{ values }}, {{ value }}){% endmacro %}
{% macro spark__position_in_list(values, value) -%}
    cast(nullif(array_position(array({% for item in values %}'{{ item }}'{{ ', ' if not loop.last }}{% endfor %}), {{ value }}), 0) as int)
{%- endmacro %}

{#- The strings of a group joined with a delimiter, in the order of an expression. -#}
{% macro ordered_string_agg(measure, delimiter, order_by) -%}
    {{ return(adapter.dispatch('ordered_string_agg')(measure, delimiter, order_by)) }}
{%- endmacro %}
{% macro default__ordered_string_agg(measure, delimiter, order_by) -%}
    string_agg({{ measure }}, {{ delimiter }} order by {{ order_by }})
{%- endmacro %}
{% macro spark__ordered_string_agg(measure, delimiter, order_by) -%}
    string_agg({{ measure }}, {{ delimiter }}) within group (order by {{ order_by }})
{%- endmacro %}

{#- The whole numbers start .. stop - 1 as a relation `alias (column)`, where stop may be a
    subquery (Spark's table function range() takes constants only). -#}
{% macro integer_range(start, stop, alias, column) -%}
    {{ return(adapter.dispatch('integer_range')(start, stop, alias, column)) }}
{%- endmacro %}
{% macro default__integer_range(start, stop, alias, column) -%}
    range({{ start }}, {{ stop }}) as {{ alias }} ({{ column }})
{%- endmacro %}
{% macro spark__integer_range(start, stop, alias, column) -%}
    (
        select numbers.{{ column }}
        from (select explode(sequence(cast({{ start }} as bigint), {{ stop }})) as {{ column }}) as numbers
        where numbers.{{ column }} < {{ stop }}
    ) as {{ alias }}
{%- endmacro %}

{#- DuckDB's hint on how to plan a CTE, `materialized` (computed once) or `not materialized` (read
    where it is used); Spark plans CTEs its own way and has no hint. -#}
{% macro cte_hint(hint) %}{{ return(adapter.dispatch('cte_hint')(hint)) }}{% endmacro %}
{% macro default__cte_hint(hint) %}{{ hint }}{% endmacro %}
{% macro spark__cte_hint(hint) %}{% endmacro %}

{#- Spark's hint to broadcast a small relation to the executors (a select's first words), for a join
    on a key of few values: profiles.yml turns automatic broadcasts off, and a sort-merge join on
    cutoff_week alone puts all of a cutoff's rows in one task (at 4x int_ranker_training killed
    the executors that way). DuckDB plans its own joins and needs none. -#}
{% macro broadcast_hint(relation) %}{{ return(adapter.dispatch('broadcast_hint')(relation)) }}{% endmacro %}
{% macro default__broadcast_hint(relation) %}{% endmacro %}
{% macro spark__broadcast_hint(relation) %}/*+ BROADCAST({{ relation }}) */{% endmacro %}

{#- Build sides as written, for the model's query only (a pre-hook, and its reset a post-hook): a
    chain of left joins whose right sides are the smaller tables. DuckDB's optimizer may otherwise
    turn them into right joins that build on the wide left side, one copy per join, and at 4x
    int_ranker_candidate_features ran out of 7 GB that way (it needs 3.8 GB as written). Spark
    chooses its own join strategies; the hooks are empty there, and dbt skips an empty hook. -#}
{% macro build_sides_as_written() %}{{ return(adapter.dispatch('build_sides_as_written')()) }}{% endmacro %}
{% macro default__build_sides_as_written() %}set disabled_optimizers = 'build_side_probe_side'{% endmacro %}
{% macro spark__build_sides_as_written() %}{% endmacro %}
{% macro reset_build_sides() %}{{ return(adapter.dispatch('reset_build_sides')()) }}{% endmacro %}
{% macro default__reset_build_sides() %}reset disabled_optimizers{% endmacro %}
{% macro spark__reset_build_sides() %}{% endmacro %}

{#- A struct of named fields, from (name, expression) pairs; structs compare field by field, so
    min() or max() of one picks a row by several columns in order. -#}
{% macro struct_of(fields) %}{{ return(adapter.dispatch('struct_of')(fields)) }}{% endmacro %}
{% macro default__struct_of(fields) -%}
    { {%- for name, expression in fields %}'{{ name }}': {{ expression }}{{ ', ' if not loop.last }}{% endfor -%} }
{%- endmacro %}
{% macro spark__struct_of(fields) -%}
    named_struct({%- for name, expression in fields %}'{{ name }}', {{ expression }}{{ ', ' if not loop.last }}{% endfor -%})
{%- endmacro %}

{#- Whether two lists share a value. -#}
{% macro lists_overlap(left, right) %}{{ return(adapter.dispatch('lists_overlap')(left, right)) }}{% endmacro %}
{% macro default__lists_overlap(left, right) %}list_has_any({{ left }}, {{ right }}){% endmacro %}
{% macro spark__lists_overlap(left, right) %}arrays_overlap({{ left }}, {{ right }}){% endmacro %}

{#- Product text as it may enter staging: control characters (C0, DEL, C1: line breaks, tabs and
    the like, which break till printers and CSV readers) become spaces, the ends are trimmed, and
    the text is cut to the var product_text_max_length, so that no model's memory depends on how
    long a description in the raw file is. Blank text is null. -#}
{% macro clean_text(column) %}{{ return(adapter.dispatch('clean_text')(column)) }}{% endmacro %}
{% macro default__clean_text(column) -%}
    nullif(left(trim(regexp_replace({{ column }}, '[\x00-\x1f\x7f-\x9f]', ' ', 'g')), {{ var('product_text_max_length') }}), '')
{%- endmacro %}
{% macro spark__clean_text(column) -%}
    nullif(left(trim(regexp_replace({{ column }}, '[\\x00-\\x1f\\x7f-\\x9f]', ' ')), {{ var('product_text_max_length') }}), '')
{%- endmacro %}

{#- True where a text holds a control character (the ones clean_text replaces). -#}
{% macro has_control_characters(column) %}{{ return(adapter.dispatch('has_control_characters')(column)) }}{% endmacro %}
{% macro default__has_control_characters(column) -%}
    regexp_matches({{ column }}, '[\x00-\x1f\x7f-\x9f]')
{%- endmacro %}
{% macro spark__has_control_characters(column) -%}
    ({{ column }} rlike '[\\x00-\\x1f\\x7f-\\x9f]')
{%- endmacro %}

{#- A date moved by a number of days (an integer expression), and the days from one date to another. -#}
{% macro add_days(date, days) %}{{ return(adapter.dispatch('add_days')(date, days)) }}{% endmacro %}
{% macro default__add_days(date, days) %}cast({{ date }} + cast({{ days }} as integer) as date){% endmacro %}
{% macro spark__add_days(date, days) %}date_add({{ date }}, {{ days }}){% endmacro %}
{% macro days_between(start, end) %}{{ return(adapter.dispatch('days_between')(start, end)) }}{% endmacro %}
{% macro default__days_between(start, end) %}({{ end }} - {{ start }}){% endmacro %}
{% macro spark__days_between(start, end) %}datediff({{ end }}, {{ start }}){% endmacro %}

{#- A value as text, in the engine's own text type. -#}
{% macro as_text(column) %}{{ return(adapter.dispatch('as_text')(column)) }}{% endmacro %}
{% macro default__as_text(column) %}cast({{ column }} as varchar){% endmacro %}
{% macro spark__as_text(column) %}cast({{ column }} as string){% endmacro %}
