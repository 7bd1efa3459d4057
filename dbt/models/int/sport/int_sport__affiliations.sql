{{ config(materialized='incremental', event_time='partition_date', batch_size='day') }}

with

affiliations as (

    -- only the partitions of the run's window: the lake reads just those files
    select * from {{ ref('stg_sport__affiliations') }}
    where {{ in_window('partition_date') }}

),

affiliations_with_age as (

    select
        *,
        -- a season '2025-2026' starts in 2025: the age is the one reached during that year
        cast(left(season, 4) as integer) - birth_year as age_at_season_start
    from affiliations

),

affiliations_with_band as (

    select
        affiliation_id,
        club_id,
        season,
        birth_year,
        age_at_season_start,
        case
            when age_at_season_start is null then 'INCONNU'
            when age_at_season_start < 12 then '00-11'
            when age_at_season_start < 18 then '12-17'
            when age_at_season_start < 35 then '18-34'
            when age_at_season_start < 60 then '35-59'
            else '60+'
        end as age_band,
        gender,
        affiliated_on,
        partition_date
    from affiliations_with_age

)

select * from affiliations_with_band
