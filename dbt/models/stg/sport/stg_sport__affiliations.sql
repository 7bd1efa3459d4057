{{ config(event_time='partition_date', batch_size='day') }}

with

source as (

    select * from {{ source('sport', 'affiliation') }}

),

renamed as (

    select
        -- ids
        cast(id_affiliation as bigint) as affiliation_id,
        cast(id_club as bigint) as club_id,
        numero_national as member_pseudonym,

        -- attributes
        trim(saison) as season,
        cast(annee_naissance as integer) as birth_year,
        upper(trim(genre)) as gender,

        -- dates
        cast(affilie_le as date) as affiliated_on,

        -- audit
        cast(partition_date as date) as partition_date

    from source

)

select * from renamed
