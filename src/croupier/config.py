"""Settings, read once from the environment (``CROUPIER_*`` and ``DATABASE_URL``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ConfigError(Exception):
    """Bad or missing configuration; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CROUPIER_", env_file=".env", extra="ignore", validate_default=True
    )

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CROUPIER_DATABASE_URL")
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    data_dir: Path = Path(".croupier")
    env: str = Field(default="development", pattern="^(development|test|production)$")

    secret_key: SecretStr = SecretStr("dev-insecure-secret-change-me-0000000000")
    session_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=60)
    session_renew_after_seconds: int = Field(default=3600, ge=0)
    cookie_secure: bool = True
    cookie_samesite: str = Field(default="lax", pattern="^(lax|strict|none)$")
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    admin_email: str = "admin@croupier.local"
    admin_password: SecretStr = SecretStr("admin-change-me-42")

    # argon2id cost; the defaults are the library's RFC 9106 low-memory profile.
    argon2_time_cost: int = Field(default=3, ge=1, le=20)
    argon2_memory_kib: int = Field(default=65536, ge=8, le=4 * 1024 * 1024)
    argon2_parallelism: int = Field(default=4, ge=1, le=16)

    login_max_failures_per_account: int = Field(default=5, ge=1)
    login_max_failures_per_ip: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)

    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)
    # Concurrent spins of different players share a unit of work (bets.batcher): at most this
    # many per batch; 0 plays every spin alone.
    spin_batch_max: int = Field(default=32, ge=0, le=500)
    # Likewise for seed 003's stakes and payouts (providers.batcher).
    callback_batch_max: int = Field(default=32, ge=0, le=500)
    # The analytics fold's database session runs at this nice value (1-19; 0: normal priority),
    # so its once-a-second burst of CPU does not hold up spins (db.priority).
    analytics_fold_nice: int = Field(default=5, ge=0, le=19)
    log_level: str = Field(default="info", pattern="^(debug|info|warning|error)$")

    # Seed 003 names these without our prefix; they are the demo provider's secrets.
    casino_secret: SecretStr = Field(
        default=SecretStr("dev-casino-secret"),
        validation_alias=AliasChoices("CASINO_SECRET", "CROUPIER_CASINO_SECRET"),
    )
    provider_secret: SecretStr = Field(
        default=SecretStr("dev-provider-secret"),
        validation_alias=AliasChoices("PROVIDER_SECRET", "CROUPIER_PROVIDER_SECRET"),
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value


def _env_name(loc: tuple[object, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    if field == "database_url":
        return "DATABASE_URL"
    if field in ("casino_secret", "provider_secret"):
        return field.upper()
    return f"CROUPIER_{field.upper()}"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"invalid configuration: {_env_name(first['loc'])}: {first['msg']}"
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
