"""Flask-Limiter, asking its request filters before it resolves any limit.

Flask-Limiter checks each request twice (its `before_request`, then the view's decorator) and
each time looks up the view's qualified name, resolves the app, blueprint and view limits and
the exemption scopes, and only then finds a request filter exempting the request from every
limit. Here a request a filter exempts (`portal.patient.limits.verified_look`: a verified
session's look at the bill or the checkout) stops at the filter. With meta limits configured
(`RATELIMIT_META`, which Saldo does not set) every request goes through Flask-Limiter as is,
since those are counted even for an exempt request.
"""

from flask_limiter import Limiter


class FilterFirstLimiter(Limiter):
    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if not self._meta_limits and any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
