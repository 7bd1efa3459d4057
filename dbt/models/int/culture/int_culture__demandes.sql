with

requests as (

    select * from {{ ref('stg_subventions__demandes') }}

),

operators as (

    select * from {{ ref('int_culture__operateurs') }}

),

requests_enriched as (

    select
        requests.request_id,
        requests.operator_id,
        operators.sector_code,
        operators.sector_label,
        operators.commune_nis_code,
        operators.province_code,
        operators.province_name,
        requests.requested_amount,
        requests.status,
        requests.submitted_at,
        {{ utc_date('requests.submitted_at') }} as submitted_on,
        cast(date_trunc('month', {{ utc_date('requests.submitted_at') }}) as date)
            as submitted_month,
        requests.updated_at,
        requests.extracted_on
    from requests
    left join operators
        on requests.operator_id = operators.operator_id

)

select * from requests_enriched
