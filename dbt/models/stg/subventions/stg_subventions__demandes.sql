with

source as (

    select * from {{ source('subventions', 'demande') }}

),

latest_version as (

    -- a request updated on several days sits in several partitions: keep its last state
    select * from source
    qualify row_number() over (
        partition by id_demande
        order by updated_at desc, partition_date desc
    ) = 1

),

renamed as (

    select
        -- ids
        cast(id_demande as bigint) as request_id,
        cast(id_operateur as bigint) as operator_id,

        -- attributes
        cast(montant_demande as decimal(12, 2)) as requested_amount,
        lower(trim(statut)) as status,

        -- dates
        soumise_le as submitted_at,

        -- audit
        updated_at,
        cast(partition_date as date) as extracted_on

    from latest_version

)

select * from renamed
