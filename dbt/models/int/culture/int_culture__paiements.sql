{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='payment_id',
        on_schema_change='fail',
    )
}}

with

payments as (

    select * from {{ ref('stg_subventions__paiements') }}
    {% if is_incremental() %}
        -- only the partitions of the run's window: re-running a window replaces its payments
        where {{ in_window('extracted_on') }}
    {% endif %}

),

requests as (

    select * from {{ ref('int_culture__demandes') }}

),

payments_enriched as (

    select
        payments.payment_id,
        payments.request_id,
        requests.operator_id,
        requests.sector_code,
        requests.sector_label,
        requests.commune_nis_code,
        requests.province_code,
        requests.province_name,
        payments.paid_amount,
        payments.paid_on,
        cast(date_trunc('month', payments.paid_on) as date) as paid_month,
        payments.updated_at,
        payments.extracted_on
    from payments
    left join requests
        on payments.request_id = requests.request_id

)

select * from payments_enriched
