"""The district dashboard: its parks, the heat map, its reports and downloads."""
