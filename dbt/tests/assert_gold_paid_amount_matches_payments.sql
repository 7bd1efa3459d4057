-- The monthly grants table loses no payment: its paid total equals the total of the
-- deduplicated payments it aggregates (decimals, so cents compare exactly).
-- reads several models: Dagster shows it as a check of the one it guards
{{ config(meta={'dagster': {'ref': {'name': 'gld_culture__subventions_mensuelles'}}}) }}

with

gold as (

    select sum(paid_amount) as paid_amount
    from {{ ref('gld_culture__subventions_mensuelles') }}

),

payments as (

    select sum(paid_amount) as paid_amount
    from {{ ref('int_culture__paiements') }}

)

select
    gold.paid_amount as gold_paid_amount,
    payments.paid_amount as payments_paid_amount
from gold
cross join payments
where gold.paid_amount != payments.paid_amount
