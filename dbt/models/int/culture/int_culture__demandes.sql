{{ config(materialized='incremental', event_time='partition_date', batch_size='day') }}

with

requests as (

    -- only the partitions of the run's window: the lake reads just those files
    select * from {{ ref('stg_subventions__demandes') }}
    where {{ in_window('partition_date') }}

),

requests_dated as (

    select
        request_id,
        operator_id,
        requested_amount,
        status,
        submitted_at,
        {{ utc_date('submitted_at') }} as submitted_on,
        cast(date_trunc('month', {{ utc_date('submitted_at') }}) as date) as submitted_month,
        updated_at,
        partition_date
    from requests

)

select * from requests_dated
