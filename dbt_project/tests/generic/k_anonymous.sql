{#- No visible cell describes fewer than k visitors: a cell is either suppressed (measures
    null) or has at least k visitors. -#}
{% test k_anonymous(model, visitors_column, measures) %}
select *
from {{ model }}
where ({{ is_true('suppressed') }} and ({{ visitors_column }} is not null
        {% for m in measures %}or {{ m }} is not null {% endfor %}))
   or (not {{ is_true('suppressed') }} and ({{ visitors_column }} is null or {{ visitors_column }} < {{ k_anonymity() }}))
{% endtest %}
