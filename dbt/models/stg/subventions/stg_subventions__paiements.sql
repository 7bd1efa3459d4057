{{ config(event_time='partition_date', batch_size='day') }}

with

source as (

    select * from {{ source('subventions', 'paiement') }}

),

ranked as (

    -- the legacy application has no primary key: exact duplicates collapse to one row. A
    -- payment sits in the partition of its payment date only, so this never crosses partitions
    -- (and a filter on partition_date still prunes the files read).
    select
        *,
        row_number() over (
            partition by partition_date, id_paiement
            order by updated_at desc
        ) as duplicate_rank
    from source

),

deduplicated as (

    select * from ranked
    where duplicate_rank = 1

),

renamed as (

    select
        -- ids
        cast(id_paiement as bigint) as payment_id,
        cast(id_demande as bigint) as request_id,

        -- attributes
        cast(montant as decimal(12, 2)) as paid_amount,

        -- dates
        cast(paye_le as date) as paid_on,

        -- audit
        updated_at,
        cast(partition_date as date) as partition_date

    from deduplicated

)

select * from renamed
