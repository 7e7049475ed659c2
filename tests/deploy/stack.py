"""The production shape on one machine, for the deployment test: PostgreSQL and Redis that can
be stopped and restarted, nginx with a throwaway TLS certificate (the example configuration
from config/nginx/), gunicorn servers and Huey consumers, each a separate process."""

import datetime as dt
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.servers import _pg_bindir, free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX_EXAMPLE = ROOT / "config" / "nginx"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class Postgres:
    """A throwaway PostgreSQL cluster on a free port that can be restarted on the same port."""

    def __init__(self, root: Path):
        self.bindir = _pg_bindir()
        self.root = root / "pg"
        self.root.mkdir()
        self.datadir = self.root / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.datadir.mkdir()
            shutil.chown(self.datadir, "postgres", "postgres")
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://saldo@127.0.0.1:{self.port}/saldo"

    def _run(self, *cmd: str) -> None:
        subprocess.run([*self.as_user, *cmd], check=True, capture_output=True)

    def start(self) -> None:
        if not (self.datadir / "PG_VERSION").exists():
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "saldo",
                      "--auth=trust", "-E", "UTF8")  # fmt: skip
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-o", options,
                  "-l", str(self.root / "log"), "-w", "start")  # fmt: skip
        if not getattr(self, "_created", False):
            self._run(str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                      "-U", "saldo", "saldo")  # fmt: skip
            self._created = True

    def stop(self, mode: str = "fast") -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", mode,
             "-w", "stop"],
            capture_output=True,
        )  # fmt: skip


class Redis:
    """redis-server on a free port, without persistence."""

    def __init__(self, root: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = root / "redis.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--logfile", str(self.log)],
        )  # fmt: skip
        wait_for_port(self.port)

    def stop(self) -> None:
        end(self.process)


def end(process: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop `process` with `sig`, and kill it if it has not ended 20 seconds later."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def self_signed_tls(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (the browser is told to accept it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "tls.key", folder / "tls.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def site_config(upstream: str, servers: list[int], https_port: int, http_port: int,
                tls: tuple[Path, Path], logs: Path) -> str:  # fmt: skip
    """config/nginx/saldo-site.conf with this machine's names, ports and files."""
    text = (NGINX_EXAMPLE / "saldo-site.conf").read_text()
    example_servers = (
        "    server 10.0.0.11:8000 max_fails=3 fail_timeout=10s;\n"
        "    server 10.0.0.12:8000 max_fails=3 fail_timeout=10s;\n"
    )
    assert example_servers in text
    ours = "".join(f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=10s;\n" for p in servers)
    replacements = {
        example_servers: ours,
        "upstream saldo {": f"upstream {upstream} {{",
        "http://saldo;": f"http://{upstream};",
        "pay.example.org": "127.0.0.1",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "/etc/ssl/saldo/privkey.pem": str(tls[0]),
        "/etc/ssl/saldo/fullchain.pem": str(tls[1]),
        "/var/log/nginx/saldo.": f"{logs}/{upstream}.",
    }
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


@dataclass
class Nginx:
    """nginx in the foreground with the example configuration: one TLS port balancing over
    every server, and one TLS port per server (so a test can choose the server)."""

    root: Path
    servers: list[int]
    port: int = field(default_factory=free_port)
    pinned_ports: list[int] = field(default_factory=list)
    process: subprocess.Popen | None = None

    def start(self) -> None:
        tls = self_signed_tls(self.root)
        logs = self.root / "nginx-logs"
        logs.mkdir()
        sites = [site_config("saldo", self.servers, self.port, free_port(), tls, logs)]
        for index, server in enumerate(self.servers):
            pinned = free_port()
            self.pinned_ports.append(pinned)
            sites.append(site_config(f"saldo_{index}", [server], pinned, free_port(), tls, logs))
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(
            f"    {kind}_temp_path {self.root}/tmp-{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        conf = self.root / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\npid {self.root}/nginx.pid;\n"
            f"error_log {logs}/error.log;\nevents {{ worker_connections 256; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n{temp}"
            f"    access_log {logs}/access.log;\n"
            + (NGINX_EXAMPLE / "saldo-http.conf").read_text()
            + "\n".join(sites)
            + "}\n"
        )
        check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(self.root)],
                               capture_output=True, text=True)  # fmt: skip
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.root), "-g", "daemon off;"]
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        end(self.process, signal.SIGQUIT)

    def url(self, pinned: int | None = None) -> str:
        return f"https://127.0.0.1:{self.port if pinned is None else self.pinned_ports[pinned]}"


class Processes:
    """gunicorn servers and Huey consumers started with one environment."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.root, self.env = root, env
        self.running: list[subprocess.Popen] = []

    def _spawn(
        self, name: str, command: list[str], instance: str, env: dict | None = None
    ) -> subprocess.Popen:
        env = {**os.environ, **self.env, **(env or {})}
        env["SALDO_INSTANCE_PATH"] = str(self.root / instance)
        with (self.root / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(command, env=env, cwd=self.root, stdout=log, stderr=log)
        self.running.append(process)
        return process

    def gunicorn(self, name: str, port: int) -> subprocess.Popen:
        conf = ["-c", str(ROOT / "config" / "gunicorn.conf.py")]
        bind = ["--bind", f"127.0.0.1:{port}"]
        # through the environment, as `/etc/saldo/saldo.env` would set them
        sizes = {"GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4"}
        process = self._spawn(
            name, [str(BIN / "gunicorn"), *conf, *bind, "portal:create_app()"], name, sizes
        )
        wait_for_port(port, timeout=60)
        wait_until_ok(f"http://127.0.0.1:{port}/readyz")
        return process

    def huey(self, name: str) -> subprocess.Popen:
        return self._spawn(
            name, [str(BIN / "huey_consumer"), "portal.tasks.huey", "-w", "1", "-k", "thread"], name
        )

    def command(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.env, "SALDO_INSTANCE_PATH": str(self.root / "deploy")}
        return subprocess.run([str(BIN / "saldo"), *args], env=env, cwd=self.root,
                              capture_output=True, text=True, check=True)  # fmt: skip

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            end(process)


INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


def get(url: str, timeout: float = 10.0) -> tuple[int, str]:
    """GET over HTTPS accepting the throwaway certificate; (status, body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=INSECURE) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_until_ok(url: str, attempts: int = 150) -> int:
    """Ask `url` until it answers 200 (at most `attempts` times, 0.2 s apart, each allowed
    30 s on this shared machine); returns how many answers were not 200 before it did."""
    for failures in range(attempts):
        try:
            if get(url, timeout=30)[0] == 200:
                return failures
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not recover")


def workdir() -> Path:
    root = Path(tempfile.mkdtemp(prefix="saldo-deploy-"))
    root.chmod(0o755)
    return root
