with

source as (

    select * from {{ source('denodo', 'bv_commune') }}

),

latest_snapshot as (

    -- every partition is a full copy of the table: the newest one is its current state
    select * from source
    where partition_date = {{ latest_partition('denodo', 'bv_commune') }}

),

renamed as (

    select
        -- ids
        trim(code_nis) as commune_nis_code,

        -- attributes
        trim(nom_commune) as commune_name,
        trim(arrondissement) as arrondissement_name,
        upper(trim(code_province)) as province_code,
        trim(region) as region_name,
        cast(population as bigint) as population,

        -- audit
        cast(partition_date as date) as extracted_on

    from latest_snapshot

)

select * from renamed
