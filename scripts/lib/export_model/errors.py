"""The two ways export-model stops early."""


class Refused(Exception):
    """The model cannot be served as it answers in its framework: exit 1, nothing written."""


class Usage(Exception):
    """A command-line or input-file problem: exit 2."""
