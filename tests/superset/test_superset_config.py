"""superset_config.py: environment-driven, and unsafe settings stop Superset before it serves."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from acme.settings import REPO_ROOT
from tests.superset.conftest import SUPERSET_BIN

pytestmark = pytest.mark.superset
STRONG_KEY = "k" * 8 + "-a-strong-random-secret-for-this-test-only"


def superset_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUPERSET_", "ACME_"))}
    env.update(
        SUPERSET_CONFIG_PATH=str(REPO_ROOT / "superset_config.py"), SUPERSET_HOME=str(tmp_path)
    )
    env.update(variables)
    return env


def loaded_config(env: dict[str, str]) -> dict[str, object]:
    """The values Superset would read from superset_config.py in this environment."""
    script = (
        "import json, runpy; c = runpy.run_path('superset_config.py'); "
        "print(json.dumps({k: c[k] for k in ('SQLALCHEMY_DATABASE_URI', 'SESSION_COOKIE_SECURE', "
        "'WTF_CSRF_ENABLED', 'TALISMAN_CONFIG', 'FEATURE_FLAGS')}))"
    )
    result = subprocess.run(
        [str(SUPERSET_BIN / "python"), "-c", script], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "key",
    ["", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "short-secret"],
    ids=["unset", "default", "short"],
)
def test_superset_refuses_to_start_in_prod_without_a_strong_secret(
    tmp_path: Path, key: str
) -> None:
    env = superset_env(tmp_path, ACME_ENVIRONMENT="prod", SUPERSET_SECRET_KEY=key)
    result = subprocess.run(
        [str(SUPERSET_BIN / "superset"), "db", "upgrade"], env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode != 0
    assert "SUPERSET_SECRET_KEY must be a random secret" in result.stdout + result.stderr


def test_defaults_sqlite_metadata_csrf_and_no_third_party_content(tmp_path: Path) -> None:
    config = loaded_config(
        superset_env(tmp_path, ACME_ENVIRONMENT="ci", SUPERSET_SECRET_KEY=STRONG_KEY)
    )
    assert (
        config["SQLALCHEMY_DATABASE_URI"]
        == f"sqlite:///{tmp_path}/superset.db?check_same_thread=false"
    )
    assert config["WTF_CSRF_ENABLED"] is True
    assert config["SESSION_COOKIE_SECURE"] is False
    policy = config["TALISMAN_CONFIG"]["content_security_policy"]  # type: ignore[index]
    assert policy["img-src"] == ["'self'", "blob:", "data:"]
    assert config["FEATURE_FLAGS"]["DASHBOARD_RBAC"] is True  # type: ignore[index]


def test_postgres_and_https_by_setting(tmp_path: Path) -> None:
    url = "postgresql+psycopg2://superset:secret@db.internal:5432/superset"
    config = loaded_config(
        superset_env(
            tmp_path, ACME_ENVIRONMENT="prod", SUPERSET_SECRET_KEY=STRONG_KEY,
            SUPERSET_DATABASE_URL=url,
        )
    )  # fmt: skip
    assert config["SQLALCHEMY_DATABASE_URI"] == url
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["TALISMAN_CONFIG"]["force_https"] is True  # type: ignore[index]


def test_a_bad_boolean_names_the_variable(tmp_path: Path) -> None:
    env = superset_env(tmp_path, SUPERSET_HTTPS="maybe")
    with pytest.raises(subprocess.CalledProcessError) as failure:
        loaded_config(env)
    assert "SUPERSET_HTTPS='maybe' is not a boolean" in str(failure.value.stderr)
