"""One module per dashboard page: its gold table, its queries (pure) and how it renders them."""

from dashboard.views import culture_operateurs, culture_subventions, enseignement_ecoles, sport_affiliations

VIEWS = (culture_subventions, culture_operateurs, sport_affiliations, enseignement_ecoles)
