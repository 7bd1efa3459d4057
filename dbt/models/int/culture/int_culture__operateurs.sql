with

operators as (

    select * from {{ ref('stg_subventions__operateurs') }}

),

sectors as (

    select * from {{ ref('ref_secteurs_culturels') }}

),

communes as (

    select * from {{ ref('int_territoire__communes') }}

),

operators_enriched as (

    select
        operators.operator_id,
        operators.operator_name,
        sectors.sector_code,
        sectors.sector_label,
        operators.commune_nis_code,
        communes.commune_name,
        communes.province_code,
        communes.province_name,
        operators.updated_at
    from operators
    -- an operator without a sector is reported under the INCONNU sector of the seed
    left join sectors
        on coalesce(operators.sector_code, 'INCONNU') = sectors.sector_code
    left join communes
        on operators.commune_nis_code = communes.commune_nis_code

)

select * from operators_enriched
