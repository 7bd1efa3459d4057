with

requests as (

    select * from {{ ref('int_culture__demandes') }}

),

payments as (

    select * from {{ ref('int_culture__paiements') }}

),

-- requests by the month they were submitted, payments by the month they were paid: one stream,
-- so that a (month, sector, province) with only one of the two still gets a row
grant_flows as (

    select
        submitted_month as month,
        sector_code,
        sector_label,
        province_code,
        province_name,
        request_id,
        requested_amount,
        cast(null as bigint) as payment_id,
        cast(null as decimal(12, 2)) as paid_amount
    from requests

    union all

    select
        paid_month as month,
        sector_code,
        sector_label,
        province_code,
        province_name,
        cast(null as bigint) as request_id,
        cast(null as decimal(12, 2)) as requested_amount,
        payment_id,
        paid_amount
    from payments

),

monthly as (

    select
        month,
        sector_code,
        sector_label,
        province_code,
        province_name,
        cast(coalesce(sum(requested_amount), 0) as decimal(18, 2)) as requested_amount,
        count(request_id) as request_count,
        cast(coalesce(sum(paid_amount), 0) as decimal(18, 2)) as paid_amount,
        count(payment_id) as payment_count
    from grant_flows
    group by month, sector_code, sector_label, province_code, province_name

)

select * from monthly
