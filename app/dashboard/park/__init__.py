"""The park dashboard and the printed quarterly reports."""
