"""A local stand-in for Twilio's Messages endpoint: the one part with no real server here.

It speaks the same HTTP as api.twilio.com (form POST, basic auth, JSON answer), so the real
TwilioSender code runs unchanged against it.
"""

import base64
import itertools

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.support.servers import ServedInThread, free_port


class FakeTwilio(ServedInThread):
    def __init__(self, account_sid: str = "AC_test", auth_token: str = "secret"):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict] = []
        self.fail_with: int | None = None
        self._ids = itertools.count(1)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = make_server("127.0.0.1", self.port, self._app, threaded=True)

    @Request.application
    def _app(self, request: Request) -> Response:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return Response('{"message": "Authenticate"}', 401, mimetype="application/json")
        if request.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return Response('{"message": "not found"}', 404, mimetype="application/json")
        if self.fail_with:
            return Response(
                '{"message": "unavailable"}', self.fail_with, mimetype="application/json"
            )
        sid = f"SM{next(self._ids):032d}"
        self.messages.append({"sid": sid, **request.form.to_dict()})
        return Response(f'{{"sid": "{sid}", "status": "queued"}}', 201, mimetype="application/json")
