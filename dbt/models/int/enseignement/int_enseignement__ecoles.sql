with

schools as (

    select * from {{ ref('stg_denodo__etablissements') }}

),

networks as (

    select * from {{ ref('ref_reseaux_scolaires') }}

),

levels as (

    select * from {{ ref('ref_niveaux_scolaires') }}

),

communes as (

    select * from {{ ref('int_territoire__communes') }}

),

schools_enriched as (

    select
        schools.school_fase_code,
        schools.school_name,
        schools.commune_nis_code,
        communes.commune_name,
        schools.network_code,
        networks.network_label,
        schools.level_code,
        levels.level_label,
        schools.opened_on,
        schools.closed_on,
        schools.updated_at,
        schools.extracted_on
    from schools
    left join networks
        on schools.network_code = networks.network_code
    left join levels
        on schools.level_code = levels.level_code
    left join communes
        on schools.commune_nis_code = communes.commune_nis_code

)

select * from schools_enriched
