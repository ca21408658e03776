{#- Every row's `columns` key exists in the mart `dimension` (a multi-column relationships test:
    zone ids are only unique within a store and layout version). `except_where`, when given, is a
    condition on the tested model's columns marking rows that have no dimension row by design
    (a camera's whole view is no zone); those rows are left out.

    The dimension is named, not ref()'d, on purpose: dimensions are built by their own Dagster
    asset definition (unpartitioned), and dagster-dbt only turns a test into an asset check when
    every model it depends on is in the same definition as the tested one. A ref() would make
    this test disappear from Dagster (and from the partitioned runs). -#}
{% test has_dimension_row(model, dimension, columns, except_where=none) %}
select {% for c in columns %}m.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from
    {%- if except_where %} (select * from {{ model }} where not ({{ except_where }}))
    {%- else %} {{ model }}
    {%- endif %} as m
left join {{ model.incorporate(path={'schema': 'marts', 'identifier': dimension}) }} as d
    on {% for c in columns %}m.{{ c }} = d.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
where d.{{ columns[0] }} is null
  and {% for c in columns %}m.{{ c }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
{% endtest %}
