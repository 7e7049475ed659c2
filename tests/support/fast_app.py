"""What every test's app would otherwise redo: werkzeug compiling the URL builders of the same
routes, and Jinja compiling the same templates. Both are kept per test process, keyed by
everything their output depends on, so each test still gets an app of its own."""

from jinja2 import BytecodeCache
from werkzeug.routing import Rule


class TemplateCache(BytecodeCache):
    """Jinja's compiled templates in memory, shared by the apps of one test process. Jinja
    keys a bucket by template name and file, and checks the source's checksum, so a changed
    template is compiled again."""

    def __init__(self):
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = TemplateCache()


def reuse_url_builders() -> None:
    """Werkzeug compiles two URL-building functions per route whenever a rule joins a map,
    about 300 per app. The functions depend only on the rule's text and parts, its defaults
    and its converters' classes (the rule itself is passed in when one runs), so one compiled
    function serves every app of the process."""
    if getattr(Rule, "_saldo_builders", None) is not None:
        return
    compile_builder = Rule._compile_builder
    builders: dict[tuple, object] = {}

    def cached(self, append_unknown=True):
        key = (
            append_unknown,
            self.rule,
            tuple(self._trace),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            tuple(sorted((name, type(c)) for name, c in self._converters.items())),
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = cached
    Rule._saldo_builders = builders


def cheap_password_hashes() -> None:
    """argon2id with the smallest parameters (argon2-cffi's CHEAPEST profile, for tests): the
    same hashing and verifying code, without the 64 MiB and three passes per sign-in that
    production asks for. Worker processes the tests start keep the production parameters."""
    from argon2 import PasswordHasher, profiles

    from portal.gateways import passwords

    if not isinstance(passwords._hasher, PasswordHasher):
        raise RuntimeError("portal.gateways.passwords no longer hashes with _hasher")
    cheapest = profiles.CHEAPEST
    passwords._hasher = PasswordHasher(
        time_cost=cheapest.time_cost,
        memory_cost=cheapest.memory_cost,
        parallelism=cheapest.parallelism,
    )
    passwords._dummy_hash.cache_clear()
