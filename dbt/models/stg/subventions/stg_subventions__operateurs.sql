with

source as (

    select * from {{ source('subventions', 'operateur') }}

),

latest_snapshot as (

    -- every partition is a full copy of the table: the newest one is its current state
    select * from source
    where partition_date = {{ latest_partition('subventions', 'operateur') }}

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
