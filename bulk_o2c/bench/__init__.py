"""``bulk-o2c bench`` and the benchmarks: sweeping settings, sandboxes in a child process, output."""
