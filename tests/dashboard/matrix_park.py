"""The park dashboard's printed reports in the authorisation matrix: whoever may view the
park (or the district) may print it; out of scope is 404 like the page itself."""

from app.core.config import Settings
from app.dashboard import pdf

ROLES = ("city_admin", "district_liangxi", "park_huaxia", "liaison_huaxia_1", "leader")
VIEW = {r: (200, 404) for r in ROLES}
VIEW_DISTRICT = {
    "city_admin": (200, None),
    "district_liangxi": (200, 404),
    "park_huaxia": (None, 404),
    "liaison_huaxia_1": (None, 404),
    "leader": (200, None),
}
# Without Chromium on the machine the PDF routes answer 503 to whoever may see the report;
# the scope check comes first, so out of scope stays 404.
PDF_OK = 200 if pdf.available(Settings().chromium_path) else 503
VIEW_PDF = {r: (PDF_OK, 404) for r in ROLES}
VIEW_DISTRICT_PDF = {r: (PDF_OK if i else None, o) for r, (i, o) in VIEW_DISTRICT.items()}

ENTRIES = {
    ("GET", "/parks/{park_id}/print"): (VIEW, None),
    ("GET", "/parks/{park_id}/report.pdf"): (VIEW_PDF, None),
    ("GET", "/districts/{area_id}/print"): (VIEW_DISTRICT, None),
    ("GET", "/districts/{area_id}/report.pdf"): (VIEW_DISTRICT_PDF, None),
}
