"""Notices and tasks sent down to grids (上传下达)."""
