{% macro seen_by_cutoff(lines, cutoffs) -%}
    {#- The one rule of the leak guard (int_cutoff_transactions): a cutoff sees the lines of its own
        band of weeks and of every earlier band, nothing after it. `lines` is a relation with
        band_week, `cutoffs` one with cutoff_week. -#}
    {{ lines }}.band_week <= {{ cutoffs }}.cutoff_week
{%- endmacro %}
