with

clubs as (

    select * from {{ ref('stg_sport__clubs') }}

),

communes as (

    select * from {{ ref('int_territoire__communes') }}

),

clubs_with_communes as (

    select
        clubs.club_id,
        clubs.club_name,
        clubs.federation_name,
        clubs.commune_nis_code,
        communes.commune_name
    from clubs
    left join communes
        on clubs.commune_nis_code = communes.commune_nis_code

)

select * from clubs_with_communes
