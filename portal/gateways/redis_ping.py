"""Whether a Redis server answers (for the readiness check)."""


def reachable(url: str, timeout: float = 1.0) -> bool:
    """True when the Redis server at `url` answers PING within `timeout` seconds."""
    import redis  # only a server with REDIS_URL set asks, and redis imports asyncio with it

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()
