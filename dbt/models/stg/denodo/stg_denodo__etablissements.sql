with

source as (

    select * from {{ source('denodo', 'bv_etablissement') }}

),

latest_version as (

    -- a school updated on several days sits in several partitions: keep its last state
    select * from source
    qualify row_number() over (
        partition by code_fase
        order by updated_at desc, partition_date desc
    ) = 1

),

renamed as (

    select
        -- ids
        cast(code_fase as bigint) as school_fase_code,
        trim(code_nis_commune) as commune_nis_code,

        -- attributes
        trim(nom_etablissement) as school_name,
        upper(trim(reseau)) as network_code,
        upper(trim(niveau)) as level_code,

        -- dates
        cast(date_ouverture as date) as opened_on,
        cast(date_fermeture as date) as closed_on,

        -- audit
        updated_at,
        cast(partition_date as date) as extracted_on

    from latest_version

)

select * from renamed
