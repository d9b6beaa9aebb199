"""What the audit trail calls the overviews' downloads (registered with app.core.labels)."""

from app.core import labels
from app.core.i18n import N_

labels.register("DistrictReport", N_("District report"))
labels.register("DistrictScorecard", N_("District scorecard"))
labels.register("DistrictParks", N_("District's parks"))
labels.register("DistrictGrids", N_("District's grids"))
