with

affiliations as (

    select * from {{ ref('int_sport__affiliations') }}

),

clubs as (

    select * from {{ ref('int_sport__clubs') }}

),

affiliation_counts as (

    select
        clubs.commune_nis_code,
        clubs.commune_name,
        affiliations.season,
        affiliations.age_band,
        affiliations.gender,
        count(*) as affiliation_count
    from affiliations
    left join clubs
        on affiliations.club_id = clubs.club_id
    group by
        clubs.commune_nis_code,
        clubs.commune_name,
        affiliations.season,
        affiliations.age_band,
        affiliations.gender

)

select * from affiliation_counts
