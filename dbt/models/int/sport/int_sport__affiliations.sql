with

affiliations as (

    select * from {{ ref('stg_sport__affiliations') }}

),

clubs as (

    select * from {{ ref('stg_sport__clubs') }}

),

communes as (

    select * from {{ ref('int_territoire__communes') }}

),

affiliations_with_age as (

    select
        *,
        -- a season '2025-2026' starts in 2025: the age is the one reached during that year
        cast(left(season, 4) as integer) - birth_year as age_at_season_start
    from affiliations

),

affiliations_enriched as (

    select
        affiliations_with_age.affiliation_id,
        affiliations_with_age.club_id,
        clubs.club_name,
        clubs.federation_name,
        clubs.commune_nis_code,
        communes.commune_name,
        affiliations_with_age.season,
        affiliations_with_age.birth_year,
        affiliations_with_age.age_at_season_start,
        case
            when affiliations_with_age.age_at_season_start is null then 'INCONNU'
            when affiliations_with_age.age_at_season_start < 12 then '00-11'
            when affiliations_with_age.age_at_season_start < 18 then '12-17'
            when affiliations_with_age.age_at_season_start < 35 then '18-34'
            when affiliations_with_age.age_at_season_start < 60 then '35-59'
            else '60+'
        end as age_band,
        affiliations_with_age.gender,
        affiliations_with_age.affiliated_on
    from affiliations_with_age
    left join clubs
        on affiliations_with_age.club_id = clubs.club_id
    left join communes
        on clubs.commune_nis_code = communes.commune_nis_code

)

select * from affiliations_enriched
