{#- Every row satisfies `expression` (rows where it is false are the failures; NULL counts as
    passing, use not_null for that). -#}
{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}
