"""The core package imports and works without redis-py and pymongo."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKED_IMPORT_SCRIPT = textwrap.dedent(
    """
    import sys

    # Setting a module to None in sys.modules makes importing it raise ImportError.
    for name in ("redis", "pymongo", "bson", "dns"):
        sys.modules[name] = None

    import finbrain_secrets
    from finbrain_secrets import MongoClientProvider, RedisClientProvider, SecretWatcher

    watcher = SecretWatcher("REDIS_URL", environ={"REDIS_URL": "redis://cache.internal:6379/0"})
    print("value:", watcher.get())

    for provider_class in (RedisClientProvider, MongoClientProvider):
        try:
            provider_class(watcher)
        except ImportError as error:
            print("import error:", error)
    """
)


def test_core_works_without_client_libraries() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "value: redis://cache.internal:6379/0" in lines
    assert "import error: RedisClientProvider needs redis-py: install finbrain-secrets[redis]" in lines
    assert "import error: MongoClientProvider needs pymongo: install finbrain-secrets[mongo]" in lines


def test_core_import_loads_no_client_library() -> None:
    script = "import sys, finbrain_secrets; print(sorted(n for n in ('redis', 'pymongo') if n in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
