"""Exceptions a task raises to tell the worker what to do with its job.

The tree:

* JobError - base class; never raised directly.
    + RetryLater - "not now": try again after ``retry_after`` seconds (a platform's rate limit,
      a maintenance window). Counts as an attempt, so a job cannot wait forever, but the delay
      is the one given instead of the exponential backoff.
    + PermanentJobError - "never": retrying cannot help (the conversation was deleted, the
      platform rejected the message for good). The job goes dead at once with this message.
        + UnknownTaskError - no task is registered under the job's name (raised by the worker).

Any other exception is a transient failure: the job is retried with exponential backoff until
``max_attempts``, then goes dead. Whatever a task raises, the job's ``last_error`` keeps only the
exception's type and message, so messages must never contain secrets.

These are not ``WebcareError``\\ s: they never reach an HTTP client and carry no status code.
"""

from __future__ import annotations


class JobError(Exception):
    """Base class of the exceptions that steer a job's retries."""


class RetryLater(JobError):
    """Run this job again after ``retry_after`` seconds (e.g. the platform said 429)."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, float(retry_after))


class PermanentJobError(JobError):
    """Give up on this job now: retrying cannot succeed. Its message becomes ``last_error``."""


class UnknownTaskError(PermanentJobError):
    """No ``@task`` is registered under the job's name in the worker's process."""
