"""Worker demands (职工诉求)."""
