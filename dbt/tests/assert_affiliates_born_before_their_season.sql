-- A member cannot be born after the season they are affiliated for started: such a birth year
-- would put them in the youngest age band silently.
select
    affiliation_id,
    season,
    birth_year
from {{ ref('int_sport__affiliations') }}
where age_at_season_start < 0
