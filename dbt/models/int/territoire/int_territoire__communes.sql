with

communes as (

    select * from {{ ref('stg_denodo__communes') }}

),

provinces as (

    select * from {{ ref('ref_provinces') }}

),

communes_with_provinces as (

    select
        communes.commune_nis_code,
        communes.commune_name,
        communes.arrondissement_name,
        communes.province_code,
        provinces.province_name,
        provinces.region_code,
        provinces.region_name,
        communes.population
    from communes
    left join provinces
        on communes.province_code = provinces.province_code

)

select * from communes_with_provinces
