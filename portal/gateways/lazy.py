"""SDKs imported on first use: a worker that never charges a card, draws a QR code or reads
a PDF never spends the time (and memory) to load stripe, segno or pyHanko."""

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module `name` and imports it at the first attribute read."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attribute)
