"""Sealing keys kept in the database: made once per practice (also when processes race),
stored encrypted, and the same for every server."""

import hashlib
import multiprocessing

import pytest

from portal import create_app
from portal.extensions import db
from portal.gateways import seal
from portal.gateways.pdf import html_to_pdf
from portal.models import Practice, SealKey
from portal.services.plans import seal_keys
from tests import factories
from tests.conftest import _make_app

NO_FILES = {"SEAL_KEY_PATH": None, "SEAL_CERT_PATH": None}


@pytest.fixture
def db_seal_app(database_url):
    app = _make_app(database_url, **NO_FILES)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_pair_is_made_once_and_kept_encrypted(db_seal_app):
    practice = factories.practice()
    first = seal_keys.for_practice(practice)
    db.session.commit()
    second = seal_keys.for_practice(practice)
    assert (first.key, first.cert) == (second.key, second.cert)
    assert first.key.startswith(b"-----BEGIN PRIVATE KEY-----") and first.passphrase is None
    row = db.session.get(SealKey, practice.id)
    assert b"PRIVATE KEY" not in row.key_encrypted and first.key not in row.key_encrypted
    assert row.cert_pem == first.cert
    assert db.session.scalar(db.select(db.func.count()).select_from(SealKey)) == 1


def test_another_server_checks_what_one_sealed(db_seal_app, database_url, tmp_path):
    practice = factories.practice()
    pair = seal_keys.for_practice(practice)
    db.session.commit()
    sealed = seal.seal_pdf(
        html_to_pdf("<p>Agreement</p>", base_url="."), pair.key, pair.cert, pair.passphrase
    )
    practice_id = practice.id
    other = create_app(
        {
            "SALDO_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            **NO_FILES,
        }
    )
    other.instance_path = str(tmp_path / "server-b")
    with other.app_context():
        cert = seal_keys.for_practice(db.session.get(Practice, practice_id)).cert
        assert cert == pair.cert
        assert seal.verify_seal(sealed, cert).ok
        db.session.remove()
        db.engine.dispose()


def test_a_different_secret_cannot_use_the_stored_key(db_seal_app):
    practice = factories.practice()
    seal_keys.for_practice(practice)
    db.session.commit()
    db_seal_app.config["SALDO_ENCRYPTION_KEY"] = "another key of at least thirty-two characters"
    with pytest.raises(seal.SealError, match="cannot be decrypted"):
        seal_keys.for_practice(practice)


def _make_pair(database_url: str, practice_id: int, barrier, results) -> None:
    app = create_app(
        {
            "SALDO_ENV": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            **NO_FILES,
        }
    )
    with app.app_context():
        practice = db.session.get(Practice, practice_id)
        barrier.wait(timeout=60)
        pair = seal_keys.for_practice(practice)
        db.session.commit()
        results.put(hashlib.sha256(pair.cert + pair.key).hexdigest())
        db.session.remove()
        db.engine.dispose()


def test_four_processes_at_once_agree_on_one_pair(postgres_url):
    app = _make_app(postgres_url, **NO_FILES)
    with app.app_context():
        practice_id = factories.practice().id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    # forked, as gunicorn makes its workers: each process its own app, engine and connection
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    processes = [
        context.Process(target=_make_pair, args=(postgres_url, practice_id, barrier, results))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    fingerprints = {results.get(timeout=5) for _ in range(4)}
    assert len(fingerprints) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SealKey)) == 1
        db.session.remove()
        db.engine.dispose()
