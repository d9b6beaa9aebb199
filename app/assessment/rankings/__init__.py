"""Rankings: district and park league tables, filtered, as pages, JSON and downloads."""
