"""A Redis cache that Redis being down cannot break.

The cache only ever holds what can be rebuilt (rendered share pages, dashboard bodies,
their version numbers), so while Redis is unreachable every read is a miss and every
write does nothing: pages render from the database and saves succeed. Each web process
logs the outage once, then stops asking Redis for a few seconds, so a dead or black-holed
server costs a request at most one short connect timeout, not one per cache call.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, how long the cache answers "miss" without trying Redis.
PAUSE_SECONDS = 5.0


class ReusedClient(RedisCacheClient):
    """Django's client, keeping one redis-py client per connection pool.

    Django builds a new `redis.Redis` for every cache call, and building one fills in its
    table of some 170 response callbacks: 50 µs each time on this machine, several times
    a request. The client holds no state of its own beyond the pool, which is safe to
    share between threads.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]  # not in django-stubs
        if index not in self._clients:
            self._clients[index] = super().get_client(key, write=write)
        return self._clients[index]


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = params.setdefault("OPTIONS", {})
        # One try: redis-py would otherwise retry a refused connection with backoff.
        options.setdefault("retry", Retry(NoBackoff(), 0))
        super().__init__(server, params)
        self._class = ReusedClient
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._down = False

    def _call[T](self, fallback: T, operation: Callable[[], T]) -> T:
        if time.monotonic() < self._paused_until:
            return fallback
        try:
            result = operation()
        except UNREACHABLE as error:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_SECONDS
                if not self._down:
                    self._down = True
                    logger.warning(
                        "The cache (Redis) is unreachable, serving without it: %r", error
                    )
            return fallback
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    logger.warning("The cache (Redis) is back")
        return result

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._call(
            False, lambda: super(FaultTolerantRedisCache, self).add(key, value, timeout, version)
        )

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._call(
            default, lambda: super(FaultTolerantRedisCache, self).get(key, default, version)
        )

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._call(
            None, lambda: super(FaultTolerantRedisCache, self).set(key, value, timeout, version)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._call(
            False, lambda: super(FaultTolerantRedisCache, self).touch(key, timeout, version)
        )

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._call(False, lambda: super(FaultTolerantRedisCache, self).delete(key, version))

    def get_many(self, keys: Any, version: Any = None) -> dict[Any, Any]:
        return self._call({}, lambda: super(FaultTolerantRedisCache, self).get_many(keys, version))

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._call(False, lambda: super(FaultTolerantRedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        # A miss: the caller's "no such key" path (e.g. add a fresh version) runs, and
        # does nothing either.
        def incr() -> int:
            return super(FaultTolerantRedisCache, self).incr(key, delta, version)

        result = self._call(None, incr)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return result

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> list[Any]:
        return self._call(
            list(data),
            lambda: super(FaultTolerantRedisCache, self).set_many(data, timeout, version),
        )

    def delete_many(self, keys: Any, version: Any = None) -> None:
        self._call(None, lambda: super(FaultTolerantRedisCache, self).delete_many(keys, version))

    def clear(self) -> None:
        self._call(None, lambda: super(FaultTolerantRedisCache, self).clear())
