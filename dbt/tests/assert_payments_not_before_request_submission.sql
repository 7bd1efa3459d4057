-- A grant is never paid before the request for it was submitted.
-- reads several models: Dagster shows it as a check of the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'int_culture__paiements'}}}) }}

select
    payments.payment_id,
    payments.paid_on,
    requests.submitted_on
from {{ ref('int_culture__paiements') }} as payments
inner join {{ ref('int_culture__demandes') }} as requests
    on payments.request_id = requests.request_id
where payments.paid_on < requests.submitted_on
