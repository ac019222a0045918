"""Shared fixtures. Real files are read from ../shared/data/real beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
REAL = REPO.parent / "shared" / "data" / "real"


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Parsed-file cache in a temporary directory, never the user's."""
    import os

    directory = tmp_path_factory.mktemp("cache")
    old = os.environ.get("CRIMEFIGHTERS_CACHE")
    os.environ["CRIMEFIGHTERS_CACHE"] = str(directory)
    yield directory
    if old is None:
        os.environ.pop("CRIMEFIGHTERS_CACHE", None)
    else:
        os.environ["CRIMEFIGHTERS_CACHE"] = old


@pytest.fixture(autouse=True, scope="session")
def _isolated_meeting_store(tmp_path_factory: pytest.TempPathFactory):
    """Meeting store in a temporary directory, never the user's data folder."""
    import os

    store = tmp_path_factory.mktemp("meeting") / "meetings.sqlite3"
    old = os.environ.get("CRIMEFIGHTERS_STORE")
    os.environ["CRIMEFIGHTERS_STORE"] = str(store)
    yield store
    if old is None:
        os.environ.pop("CRIMEFIGHTERS_STORE", None)
    else:
        os.environ["CRIMEFIGHTERS_STORE"] = old


@pytest.fixture(autouse=True, scope="session")
def _isolated_user_config(tmp_path_factory: pytest.TempPathFactory):
    """No developer's own configuration (CRIMEFIGHTERS_CONFIG, ~/.config/crimefighters) reaches a
    test: the user config folder is an empty temporary one (platformdirs reads XDG_CONFIG_HOME)."""
    import os

    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "CRIMEFIGHTERS_CONFIG")}
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    os.environ.pop("CRIMEFIGHTERS_CONFIG", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def real() -> Path:
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is not beside the checkout")
    return REAL


@pytest.fixture(scope="session")
def config():
    from crimefighters.config import load_config

    return load_config().config
