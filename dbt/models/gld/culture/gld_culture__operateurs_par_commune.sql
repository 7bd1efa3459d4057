with

communes as (

    select * from {{ ref('int_territoire__communes') }}

),

operators as (

    select * from {{ ref('int_culture__operateurs') }}

),

operators_by_commune as (

    select
        commune_nis_code,
        count(*) as operator_count
    from operators
    group by commune_nis_code

),

-- every commune appears, with 0 operators when it has none
communes_with_operators as (

    select
        communes.commune_nis_code,
        communes.commune_name,
        communes.province_code,
        communes.province_name,
        communes.population,
        coalesce(operators_by_commune.operator_count, 0) as operator_count,
        -- in double precision on every engine (a literal 10000.0 is a decimal, whose division
        -- rounds differently in DuckDB and Spark)
        (
            cast(coalesce(operators_by_commune.operator_count, 0) as double) * 10000
            / nullif(communes.population, 0)
        ) as operators_per_10k_inhabitants
    from communes
    left join operators_by_commune
        on communes.commune_nis_code = operators_by_commune.commune_nis_code

)

select * from communes_with_operators
