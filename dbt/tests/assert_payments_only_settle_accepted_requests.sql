-- The grants application pays accepted requests only: a payment of a request that is still
-- submitted or was refused means the payment or the request status is wrong upstream.
-- reads several models: Dagster shows it as a check of the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'int_culture__paiements'}}}) }}

select
    payments.payment_id,
    payments.request_id,
    requests.status
from {{ ref('int_culture__paiements') }} as payments
inner join {{ ref('int_culture__demandes') }} as requests
    on payments.request_id = requests.request_id
where requests.status != 'acceptee'
