"""requests.Session helpers shared by the HTTP-based providers."""
from __future__ import annotations

import requests


def close_session(session: requests.Session) -> None:
    """Close a requests Session *and its pooled sockets now*.

    urllib3 2.8's PoolManager.clear() only forgets its pools; their sockets close when the pools are
    garbage-collected, which a reference cycle (e.g. a kept traceback) can delay indefinitely. Close each
    pool explicitly first so the server side sees the connection end at once.
    """
    for adapter in list(session.adapters.values()):
        managers = [getattr(adapter, "poolmanager", None), *getattr(adapter, "proxy_manager", {}).values()]
        for manager in managers:
            pools = getattr(manager, "pools", None)
            if pools is None:
                continue
            for pool_key in list(pools.keys()):
                pool = pools.get(pool_key)
                if pool is not None:
                    pool.close()
    session.close()
