"""The async layer: HTTP sessions, auth with proactive refresh, retries and the concurrency limiter."""
