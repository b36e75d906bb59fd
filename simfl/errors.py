"""One exception tree for simfl, so callers can catch by layer and the CLI can tell
user errors (exit 2) from internal ones (exit 1)."""


class SimflError(Exception):
    """Base class of every error simfl raises on purpose."""


class UserError(SimflError):
    """The user's input is wrong (scenario, sweep file, path): exit status 2, no traceback."""


class RunFolderError(UserError):
    """A results folder cannot be read as a run (missing, unfinished, a table or column
    absent, a file damaged). `where` names the folder or file, `problem` what is wrong,
    `hint` what to do; the message joins them."""

    def __init__(self, where: object, problem: str, hint: str) -> None:
        self.where, self.problem, self.hint = str(where), problem, hint
        super().__init__(f"{where}: {problem}; {hint}")


class ScenarioError(UserError):
    """A scenario or sweep file is malformed; the message lists every problem by dotted path."""


class LedgerError(SimflError):
    """A ledger operation was refused; the ledger is unchanged."""


class InsufficientBalance(LedgerError):
    """An account tried to spend more of a token than it holds."""


class AmmError(SimflError):
    """A pool operation was refused; ledger and pool are unchanged."""


class ContributionError(SimflError):
    """A contribution method cannot run with the given inputs (e.g. exact Shapley for n > 14)."""


class DatasetError(UserError):
    """A dataset is missing or its files are malformed."""


class PartitionError(UserError):
    """A partition request is impossible (more clients than samples, alpha <= 0, ...)."""


class InvariantViolation(SimflError):
    """A ledger or pool invariant failed during a run: the run stops."""


class TrainingDiverged(UserError):
    """Training produced a non-finite loss or model (too high a learning rate, say): the run
    stops before paying anything out; exit status 2, nothing written."""
