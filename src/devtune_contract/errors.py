"""The one error the command line reports as a single line instead of a traceback."""


class CommandError(Exception):
    """Bad input, or a file or database the command cannot use; the message is one line."""
