with

source as (

    select * from {{ source('sport', 'club') }}

),

latest_snapshot as (

    -- every partition is a full copy of the table: the newest one is its current state
    select * from source
    where partition_date = {{ latest_partition('sport', 'club') }}

),

renamed as (

    select
        -- ids
        cast(id_club as bigint) as club_id,
        trim(code_nis_commune) as commune_nis_code,

        -- attributes
        trim(nom_club) as club_name,
        trim(federation) as federation_name,

        -- audit
        cast(partition_date as date) as extracted_on

    from latest_snapshot

)

select * from renamed
