"""The Wuxi demo data: static definitions and the loader that puts them in a database."""
