{{ config(materialized='incremental', event_time='partition_date', batch_size='day') }}

with

payments as (

    -- only the partitions of the run's window: the lake reads just those files
    select * from {{ ref('stg_subventions__paiements') }}
    where {{ in_window('partition_date') }}

),

payments_dated as (

    select
        payment_id,
        request_id,
        paid_amount,
        paid_on,
        cast(date_trunc('month', paid_on) as date) as paid_month,
        updated_at,
        partition_date
    from payments

)

select * from payments_dated
