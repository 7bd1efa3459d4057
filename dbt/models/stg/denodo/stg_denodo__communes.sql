with

source as (

    select * from {{ source('denodo', 'bv_commune') }}

),

latest_snapshot as (

    select * from source
    where partition_date = (select max(partition_date) from source)

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
