"""Grid work of liaison officers: grid status, and later reports, demands and notices."""
