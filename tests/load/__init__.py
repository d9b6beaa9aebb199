"""The bounded load test: Locust users against a real server, then every write checked."""
