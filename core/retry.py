"""The one retry policy (tenacity): exponential backoff from a first wait, doubled per retry, each wait capped.

Used by the VictoriaMetrics client's export and by the ticket sinks; what counts as worth retrying is the
caller's predicate, so a refusal that asking again cannot fix fails at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

# The longest single wait between two retries, whatever backoff_seconds and the attempt number say.
MAX_BACKOFF_SECONDS = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more attempts after the first; the n-th wait is min(backoff_seconds · 2^(n-1), max_backoff)."""

    retries: int
    backoff_seconds: float
    max_backoff_seconds: float = MAX_BACKOFF_SECONDS

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def wait_before_retry(self, retry: int) -> float:
        """The wait before retry number `retry` (1 = the first retry)."""
        return min(self.backoff_seconds * 2 ** (retry - 1), self.max_backoff_seconds)

    def retrying(
        self,
        transient: Callable[[BaseException], bool],
        *,
        sleep: Callable[[float], None] = time.sleep,
        before_sleep: Callable[[BaseException, float], None] | None = None,
    ) -> Retrying:
        """A tenacity controller: retries while `transient(error)`, then re-raises the last error."""

        def _before_sleep(state: RetryCallState) -> None:
            if before_sleep is not None and state.outcome is not None and state.next_action is not None:
                error = state.outcome.exception()
                if error is not None:
                    before_sleep(error, state.next_action.sleep)

        return Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential(multiplier=self.backoff_seconds, exp_base=2, max=self.max_backoff_seconds),
            retry=retry_if_exception(transient),
            sleep=sleep,
            before_sleep=_before_sleep,
            reraise=True,
        )
