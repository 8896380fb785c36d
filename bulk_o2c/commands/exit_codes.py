"""The exit codes of every ``bulk-o2c`` command (README, "Commands"); 2, a usage error, is typer's."""

EXIT_OK = 0
# also a run that stopped itself (NetSuite down or refusing the setup), invalid settings, and a local
# file that cannot be used (not writable, a full disk, a damaged checkpoint): one line, no traceback
EXIT_FAILURE = 1
EXIT_PARTIAL = 3  # records in the DLQ
EXIT_INTERRUPTED = 4  # stopped by a signal before the end
