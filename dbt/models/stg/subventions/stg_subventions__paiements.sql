with

source as (

    select * from {{ source('subventions', 'paiement') }}

),

latest_version as (

    -- keeps one row of the exact duplicates of the legacy application, and the last state of a
    -- payment updated on several days (so sitting in several partitions)
    select * from source
    qualify row_number() over (
        partition by id_paiement
        order by updated_at desc, partition_date desc
    ) = 1

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
        cast(partition_date as date) as extracted_on

    from latest_version

)

select * from renamed
