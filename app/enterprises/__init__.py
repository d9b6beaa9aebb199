"""The roster: enterprises of a grid, their liaisons and the grid's node enterprise."""
