"""Settings from the environment, with development defaults kept in a per-user data directory."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from monitoring.config import MonitoringConfig


def default_data_dir() -> Path:
    return Path(os.environ.get("REGISTRY_DATA_DIR") or platformdirs.user_data_dir("officer-registry"))


@dataclass(frozen=True)
class Settings:
    """Everything the server needs; secrets default to files created in ``data_dir`` on first use."""

    database_url: str | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    development: bool = False
    graphiql: bool = False
    introspection: str = "authenticated"  # "authenticated", "public" or "off"
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_page_size: int = 100
    allow_batching: bool = False
    issuers_file: Path | None = None
    audience: str = "officer-registry"
    log_origin: str = "officer-registry.example/log"
    statement_max_length: int = 4000
    stats_min_cell: int = 11  # public statistics: counts below this are suppressed (EO 13929 Sec. 3(c))
    attestation_issuer: str = "https://officer-registry.example"  # the `iss` of credential attestations
    # If set, /graphql answers only requests carrying it in Registry-Subgraph-Secret (from the router).
    subgraph_secret: str | None = field(default=None, repr=False)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)  # webhooks and notices

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        dev = env.get("REGISTRY_ENV", "production") == "development"
        issuers = env.get("REGISTRY_ISSUERS_FILE")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=default_data_dir(),
            development=dev,
            graphiql=env.get("REGISTRY_GRAPHIQL", "1" if dev else "0") == "1",
            introspection=env.get("REGISTRY_INTROSPECTION", "authenticated"),
            max_depth=int(env.get("REGISTRY_MAX_DEPTH", "12")),
            max_aliases=int(env.get("REGISTRY_MAX_ALIASES", "30")),
            max_tokens=int(env.get("REGISTRY_MAX_TOKENS", "5000")),
            max_page_size=int(env.get("REGISTRY_MAX_PAGE_SIZE", "100")),
            allow_batching=env.get("REGISTRY_ALLOW_BATCHING", "0") == "1",
            issuers_file=Path(issuers) if issuers else None,
            audience=env.get("REGISTRY_AUDIENCE", "officer-registry"),
            log_origin=env.get("REGISTRY_LOG_ORIGIN", "officer-registry.example/log"),
            stats_min_cell=int(env.get("REGISTRY_STATS_MIN_CELL", "11")),
            attestation_issuer=env.get("REGISTRY_ATTESTATION_ISSUER", "https://officer-registry.example"),
            subgraph_secret=env.get("REGISTRY_SUBGRAPH_SECRET") or None,
            monitoring=MonitoringConfig.from_env(dev),
        )

    @property
    def secrets_dir(self) -> Path:
        return self.data_dir / "secrets"
