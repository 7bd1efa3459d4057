with

source as (

    select * from {{ source('subventions', 'operateur') }}

),

latest_snapshot as (

    select * from source
    where partition_date = (select max(partition_date) from source)

),

renamed as (

    select
        -- ids
        cast(id_operateur as bigint) as operator_id,
        trim(code_nis_commune) as commune_nis_code,

        -- attributes
        trim(nom_operateur) as operator_name,
        upper(trim(secteur)) as sector_code,

        -- audit
        updated_at,
        cast(partition_date as date) as extracted_on

    from latest_snapshot

)

select * from renamed
