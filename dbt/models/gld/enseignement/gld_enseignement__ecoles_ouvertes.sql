with

schools as (

    select * from {{ ref('int_enseignement__ecoles') }}

),

-- the day the schools' snapshot was taken: the state the data describes
open_schools as (

    select *
    from schools
    where
        opened_on <= extracted_on
        and (closed_on is null or closed_on > extracted_on)

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
