{{ config(materialized='incremental', event_time='month', batch_size='month') }}

with

requests as (

    select * from {{ ref('int_culture__demandes') }}

),

payments as (

    select * from {{ ref('int_culture__paiements') }}

),

operators as (

    select * from {{ ref('int_culture__operateurs') }}

),

-- requests by the month they were submitted, payments by the month they were paid (a payment is
-- attributed through its request, whatever month that was submitted): one stream, so that a
-- (month, sector, province) with only one of the two still gets a row
grant_flows as (

    select
        requests.submitted_month as month,
        requests.operator_id,
        requests.request_id,
        requests.requested_amount,
        cast(null as bigint) as payment_id,
        cast(null as decimal(12, 2)) as paid_amount
    from requests
    where {{ in_window('requests.submitted_month') }}

    union all

    select
        payments.paid_month as month,
        requests.operator_id,
        cast(null as bigint) as request_id,
        cast(null as decimal(12, 2)) as requested_amount,
        payments.payment_id,
        payments.paid_amount
    from payments
    left join requests
        on payments.request_id = requests.request_id
    where {{ in_window('payments.paid_month') }}

),

monthly as (

    select
        grant_flows.month,
        operators.sector_code,
        operators.sector_label,
        operators.province_code,
        operators.province_name,
        cast(coalesce(sum(grant_flows.requested_amount), 0) as decimal(18, 2))
            as requested_amount,
        count(grant_flows.request_id) as request_count,
        cast(coalesce(sum(grant_flows.paid_amount), 0) as decimal(18, 2)) as paid_amount,
        count(grant_flows.payment_id) as payment_count
    from grant_flows
    left join operators
        on grant_flows.operator_id = operators.operator_id
    group by
        grant_flows.month,
        operators.sector_code,
        operators.sector_label,
        operators.province_code,
        operators.province_name

)

select * from monthly
