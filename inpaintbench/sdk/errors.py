"""The one base of expected user errors: the CLI prints their message on one line and exits 2.

Anything else is a bug and keeps its traceback. Plugins raise ``UserError`` (or a subclass) for
problems the user can fix: a bad option, a missing file, data in the wrong layout.
"""

from __future__ import annotations


class UserError(Exception):
    """An expected error caused by the user's input, whose message says what to change."""


class CheckpointError(UserError, ValueError):
    """A checkpoint that cannot be read, or was written for another detector or run."""


class ConfigError(UserError, ValueError):
    """Settings that do not fit the detector or dataset (e.g. a train kind the data lacks)."""


class NotTrainable(UserError, TypeError):
    """A detector asked to train (or to load weights) that has no weights to train or load."""


class PluginFailure(UserError, RuntimeError):
    """A plugin raised while being built or predicting: the message names the plugin and what it was
    working on (its option, the file); ``--debug`` shows the plugin's own traceback."""


#: What the CLI reports in one line: user errors, and a file the user named that does not exist.
USER_ERRORS: tuple[type[BaseException], ...] = (UserError, FileNotFoundError)
