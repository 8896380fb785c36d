# Fixtures shared across test directories (the sandboxes of a whole run, for pipeline and commands).
pytest_plugins = ("tests.support.runs",)
