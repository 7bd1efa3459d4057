with

source as (

    select * from {{ source('denodo', 'bv_etablissement') }}

),

latest_snapshot as (

    -- every partition is a full copy of the view: the newest one is its current state
    select * from source
    where partition_date = {{ latest_partition('denodo', 'bv_etablissement') }}

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

    from latest_snapshot

)

select * from renamed
