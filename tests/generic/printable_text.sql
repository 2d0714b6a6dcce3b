{# Fails for every row where one of `columns` holds a control character (a line break, a tab ...) or
   is longer than max_length characters: what a till printer or a CSV reader downstream cannot take. #}
{% test printable_text(model, columns, max_length) %}
select *
from {{ model }}
where {% for column in columns %}{{ has_control_characters(column) }}
    or length({{ column }}) > {{ max_length }}{{ '\n    or ' if not loop.last }}{% endfor %}
{% endtest %}
