"""Type stubs of the native module ``teleport_jwt._teleport_jwt`` (checked by mypy.stubtest)."""

from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, final

from typing_extensions import Self, TypedDict, Unpack

__all__ = ["REASON_CODES", "Identity", "MockTeleport", "TrustEntry", "Verifier", "__version__"]
__version__: str
REASON_CODES: list[str]

class _KeySourceLike(Protocol):
    """Anything with ``fetch_jwks()`` returning the current JWKS JSON."""

    def fetch_jwks(self) -> str | bytes: ...

class _HttpFetcherLike(Protocol):
    """Anything that GETs a URL: no redirects, at most ``max_body_bytes``, ``timeout`` seconds."""

    def get(self, url: str, timeout: float, max_body_bytes: int) -> tuple[int, bytes | str]: ...

class _VerifierOptions(TypedDict, total=False):
    """Keyword options of every ``Verifier`` constructor; unset means the core's default."""

    leeway: float | None  # seconds, default 60
    max_token_bytes: int | None  # default 16384
    headers: Sequence[str] | None  # default ["Teleport-Jwt-Assertion", "Authorization: Bearer"]
    cache_max_age: float | None  # seconds, default 600
    cache_cooldown: float | None  # seconds, default 30
    cache_max_stale: float | None  # seconds, default 86400
    max_keys: int | None  # default 100
    fetch_timeout: float | None  # seconds, default 5
    max_body_bytes: int | None  # default 262144
    ca_pem: str | None
    allow_insecure_http_for_loopback: bool | None
    token_cache_capacity: int | None  # verified tokens remembered, default 1024; 0 = off
    http_fetcher: _HttpFetcherLike | None
    fixed_time: float | None  # tests and replays only: a clock stopped at this Unix time

_Jwks = str | bytes | Mapping[str, Any]
_Headers = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]

@final
class TrustEntry:
    def __new__(
        cls,
        issuer: str,
        audience: str | Sequence[str],
        *,
        jwks: _Jwks | None = None,
        jwks_url: str | None = None,
        discovery_url: str | None = None,
        keys: _KeySourceLike | None = None,
        name: str | None = None,
    ) -> Self: ...
    @staticmethod
    def teleport_jwt(
        proxy_url: str, cluster_name: str, audience: str | Sequence[str], *, name: str | None = None
    ) -> TrustEntry: ...
    @staticmethod
    def teleport_id_token(
        proxy_url: str, audience: str | Sequence[str], *, name: str | None = None
    ) -> TrustEntry: ...
    @property
    def name(self) -> str: ...
    @property
    def issuer(self) -> str: ...
    @property
    def audiences(self) -> list[str]: ...
    @property
    def kind(self) -> Literal["teleport_jwt", "id_token", "generic"]: ...

@final
class Identity:
    @property
    def username(self) -> str: ...
    @property
    def sub(self) -> str: ...
    @property
    def roles(self) -> list[str]: ...
    @property
    def traits(self) -> dict[str, list[str]]: ...
    @property
    def issuer(self) -> str: ...
    @property
    def audience(self) -> list[str]: ...
    @property
    def expires_at(self) -> int: ...
    @property
    def issued_at(self) -> int | None: ...
    @property
    def not_before(self) -> int | None: ...
    @property
    def jti(self) -> str | None: ...
    @property
    def key_id(self) -> str | None: ...
    @property
    def algorithm(self) -> Literal["RS256", "ES256"]: ...
    @property
    def trust_entry(self) -> str: ...
    @property
    def kind(self) -> Literal["teleport_jwt", "id_token", "generic"]: ...
    @property
    def claims(self) -> dict[str, Any]: ...
    def has_role(self, role: str) -> bool: ...
    def trait_values(self, name: str) -> list[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Verifier:
    def __new__(
        cls,
        issuer: str,
        audience: str | Sequence[str],
        *,
        jwks: _Jwks | None = None,
        jwks_url: str | None = None,
        discovery_url: str | None = None,
        keys: _KeySourceLike | None = None,
        **options: Unpack[_VerifierOptions],
    ) -> Self: ...
    @staticmethod
    def teleport_jwt(
        proxy_url: str,
        cluster_name: str,
        audience: str | Sequence[str],
        **options: Unpack[_VerifierOptions],
    ) -> Verifier: ...
    @staticmethod
    def teleport_id_token(
        proxy_url: str, audience: str | Sequence[str], **options: Unpack[_VerifierOptions]
    ) -> Verifier: ...
    @staticmethod
    def from_entries(
        entries: Sequence[TrustEntry], **options: Unpack[_VerifierOptions]
    ) -> Verifier: ...
    def verify(self, token: str | bytes, now: float | None = None) -> Identity: ...
    def verify_headers(self, headers: _Headers) -> Identity: ...
    def token_from_headers(self, headers: _Headers) -> str: ...
    def verify_async(self, token: str | bytes) -> Coroutine[Any, Any, Identity]: ...
    def verify_headers_async(self, headers: _Headers) -> Coroutine[Any, Any, Identity]: ...
    def warm_up(self) -> None: ...
    @property
    def key_fetch_count(self) -> int: ...
    @property
    def trust_entries(self) -> list[TrustEntry]: ...
    @property
    def header_rules(self) -> list[str]: ...
    @property
    def leeway(self) -> float: ...
    @property
    def max_token_bytes(self) -> int: ...

_FailureMode = (
    None
    | Literal["none", "refuse", "hang", "garbage"]
    | int
    | tuple[Literal["oversized"], int]
    | tuple[Literal["redirect"], str]
    | tuple[Literal["status"], int]
)
_Ca = Literal["jwt", "oidc", "id_token"]

@final
class MockTeleport:
    def __new__(
        cls,
        algorithm: Literal["RS256", "ES256"] = "RS256",
        *,
        id_token_algorithm: Literal["RS256", "ES256"] = "RS256",
        cluster_name: str = "teleport.example.com",
        kid_in_tokens: bool = True,
        publish_blank_kid_twin: bool = True,
        ec_short_coordinate: bool = False,
    ) -> Self: ...
    @property
    def proxy_url(self) -> str: ...
    @property
    def cluster_name(self) -> str: ...
    @property
    def id_token_issuer(self) -> str: ...
    @property
    def ca_pem(self) -> str: ...
    @property
    def jwks_url(self) -> str: ...
    @property
    def jwks_oidc_url(self) -> str: ...
    @property
    def discovery_url(self) -> str: ...
    def mint(
        self,
        *,
        username: str = "alice",
        roles: Sequence[str] | None = None,
        traits: Mapping[str, Sequence[str]] | None = None,
        audience: str | Sequence[str] | None = None,
        ttl: int = 300,
        kind: Literal["jwt", "teleport_jwt", "id_token"] = "jwt",
        jwt_claims: Literal["roles_and_traits", "roles", "traits", "none"] = "roles_and_traits",
        include_kid: bool | None = None,
        issued_at: int | None = None,
        claims: Mapping[str, Any] | None = None,
        remove_claims: Sequence[str] | None = None,
        headers: Mapping[str, Any] | None = None,
        remove_headers: Sequence[str] | None = None,
    ) -> str: ...
    def sign_raw(
        self,
        header_json: str,
        payload_json: str,
        *,
        ca: _Ca = "jwt",
        key: Literal["active", "next"] = "active",
    ) -> str: ...
    def jwks_json(self, ca: _Ca = "jwt") -> str: ...
    def key_ids(self, ca: _Ca = "jwt") -> list[str]: ...
    def signing_key_id(self, ca: _Ca = "jwt") -> str: ...
    def rotation_phase(
        self, ca: _Ca = "jwt"
    ) -> Literal["standby", "init", "update_clients", "update_servers", "rollback"]: ...
    def set_rotation_phase(
        self,
        phase: Literal["standby", "init", "update_clients", "update_servers", "rollback"],
        ca: _Ca = "jwt",
    ) -> None: ...
    def complete_rotation(self, ca: _Ca = "jwt") -> None: ...
    def rotate_now(self, ca: _Ca = "jwt") -> None: ...
    def set_failure(self, mode: _FailureMode) -> None: ...
    @property
    def request_count(self) -> int: ...
    def request_count_for(self, path: str) -> int: ...
    def reset_counts(self) -> None: ...
    @property
    def running(self) -> bool: ...
    def stop(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> bool: ...
