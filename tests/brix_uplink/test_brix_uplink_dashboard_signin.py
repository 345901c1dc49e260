"""A browser opens HQ's cold-chain dashboard by trading the admin token for a cookie once."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from hq_sync.reference_hq.coldchain.dashboard import mount_coldchain
from hq_sync.reference_hq.coldchain.db import ColdChainDb


def test_sign_in_sets_a_cookie_that_opens_the_dashboard(tmp_path: Path) -> None:
    app = FastAPI()
    mount_coldchain(app, ColdChainDb(tmp_path / "cc.sqlite3"), "s3cret-admin")
    with TestClient(app) as client:
        assert client.get("/coldchain").status_code == 401
        assert client.get("/coldchain-sign-in", params={"token": "wrong"}).status_code == 401
        signed = client.get("/coldchain-sign-in", params={"token": "s3cret-admin"}, follow_redirects=False)
        assert signed.status_code == 303 and signed.headers["location"] == "/coldchain"
        page = client.get("/coldchain")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
