"""What each CLI command does, kept apart from argument parsing so tests and benchmarks can call it."""
