{#- relationships (to a mart in schema `marts`), for a fact and a dimension built by different Dagster asset definitions:
    every non-null `column_name` is a `field` of the mart `dimension` (named, not ref()'d; see
    has_dimension_row for why). -#}
{% test in_dimension(model, column_name, dimension, field) %}
select m.{{ column_name }}
from {{ model }} as m
left join {{ model.incorporate(path={'schema': 'marts', 'identifier': dimension}) }} as d
    on m.{{ column_name }} = d.{{ adapter.quote(field) }}
where m.{{ column_name }} is not null and d.{{ adapter.quote(field) }} is null
{% endtest %}
