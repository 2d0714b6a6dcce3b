{#- True for a purchase line inside the window of a send of `sends` (a relation or CTE with
    send_week, send_date and window_end_date): from the send's day to the channel's next send,
    end excluded, or the whole send week where the data has no dates (the course's CSV files).
    send_responses and real_campaigns count responses the same way. -#}
{% macro in_send_window(sends, week, purchase_date) -%}
    case
        when {{ sends }}.send_date is null then {{ week }} = {{ sends }}.send_week
        else {{ purchase_date }} >= {{ sends }}.send_date and {{ purchase_date }} < {{ sends }}.window_end_date
    end
{%- endmacro %}
