"""The exit codes of every ``bulk-o2c`` command (README, "Commands"); 2, a usage error, is typer's."""

EXIT_OK = 0
EXIT_FAILURE = 1  # also a run that stopped itself (NetSuite down or refusing the setup)
EXIT_PARTIAL = 3  # records in the DLQ
EXIT_INTERRUPTED = 4  # stopped by a signal before the end
EXIT_LOCKED = 5  # another process holds the state directory (it is named); nothing was written
