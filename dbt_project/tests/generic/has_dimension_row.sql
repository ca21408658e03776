{#- Every row's `columns` key exists in dimension `to` (a multi-column relationships test:
    zone ids are only unique within a store and layout version). -#}
{% test has_dimension_row(model, to, columns) %}
select {% for c in columns %}m.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} as m
left join {{ to }} as d
    on {% for c in columns %}m.{{ c }} = d.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
where d.{{ columns[0] }} is null
  and {% for c in columns %}m.{{ c }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
{% endtest %}
