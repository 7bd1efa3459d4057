with

affiliations as (

    select * from {{ ref('int_sport__affiliations') }}

),

affiliation_counts as (

    select
        commune_nis_code,
        commune_name,
        season,
        age_band,
        gender,
        count(*) as affiliation_count
    from affiliations
    group by commune_nis_code, commune_name, season, age_band, gender

)

select * from affiliation_counts
