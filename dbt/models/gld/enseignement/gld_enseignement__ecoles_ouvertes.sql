with

schools as (

    select * from {{ ref('int_enseignement__ecoles') }}

),

-- the day before the end of the run's window, but never after the last change seen in the data,
-- so that a run with an open-ended window reports the state the data actually describes
reference_date as (

    select
        least(
            cast('{{ var("window_end") }}' as date) - 1,
            max({{ utc_date('updated_at') }})
        ) as counted_on
    from schools

),

open_schools as (

    select schools.*
    from schools
    cross join reference_date
    where
        schools.opened_on <= reference_date.counted_on
        and (schools.closed_on is null or schools.closed_on > reference_date.counted_on)

),

open_school_counts as (

    select
        commune_nis_code,
        commune_name,
        network_code,
        network_label,
        level_code,
        level_label,
        count(*) as open_school_count
    from open_schools
    group by
        commune_nis_code, commune_name, network_code, network_label, level_code, level_label

)

select * from open_school_counts
