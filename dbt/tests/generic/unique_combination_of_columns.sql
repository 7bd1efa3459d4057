{#
    Fails on every combination of `combination_of_columns` that occurs more than once:
    the grain test of models whose key spans several columns (no external packages here).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
