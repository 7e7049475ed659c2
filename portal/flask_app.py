"""The Flask application class of the portal: Flask, with the answer to "is this function
a coroutine?" kept per function.

Flask asks it (`ensure_sync`, through `inspect.iscoroutinefunction`) for every
`before_request`, `after_request`, teardown and context-processor function and the view, on
every request: about twenty questions with the same answers each time. The portal has no
`async def` views; a coroutine function would still be wrapped as Flask wraps it.
"""

import threading

from flask import Flask

#: distinct plain functions remembered; the set is emptied when full (they are the app's
#: registered hooks and views, a few hundred)
SYNC_SIZE = 4096


class PortalFlask(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plain_functions: set = set()
        self._plain_lock = threading.Lock()

    def ensure_sync(self, func):
        try:
            if func in self._plain_functions:
                return func
        except TypeError:  # unhashable callable: ask every time
            return super().ensure_sync(func)
        wrapped = super().ensure_sync(func)
        if wrapped is func:
            with self._plain_lock:
                if len(self._plain_functions) >= SYNC_SIZE:
                    self._plain_functions.clear()
                self._plain_functions.add(func)
        return wrapped
