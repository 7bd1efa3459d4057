{{ config(event_time='partition_date', batch_size='day') }}

with

source as (

    select * from {{ source('subventions', 'demande') }}

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
        cast(partition_date as date) as partition_date

    from source

)

select * from renamed
