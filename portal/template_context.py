"""Templates whose context is built from their globals with plain dict copies.

Jinja keeps a loaded template's globals as a `ChainMap` of its own and the environment's
(about forty names: Flask's, Babel's, the portal's filters and enums). Each render copies
them into the new context with `dict(chain_map, **vars)` and again with `set(chain_map)`,
both walking the chain in Python, name by name: about half of what an empty page costs. This
template copies each map of the chain with `dict.update` instead, in the chain's order, so
the context holds the same names and values (a global added to the environment later is
still seen, as with Jinja's own templates).
"""

from collections import ChainMap

from flask import Flask
from jinja2 import Template
from jinja2.runtime import new_context


class FlatGlobalsTemplate(Template):
    def new_context(self, vars=None, shared=False, locals=None):
        chain = self.globals
        if shared or not isinstance(chain, ChainMap):
            return super().new_context(vars, shared, locals)
        flat: dict = {}
        for mapping in reversed(chain.maps):  # the first map wins, as in the chain
            flat.update(mapping)
        parent = {**flat, **vars} if vars else dict(flat)
        return new_context(self.environment, self.name, self.blocks, parent, True, flat, locals)


def init_app(app: Flask) -> None:
    app.jinja_env.template_class = FlatGlobalsTemplate
