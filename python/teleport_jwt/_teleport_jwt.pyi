"""Type stubs of the native module ``teleport_jwt._teleport_jwt`` (checked by mypy.stubtest).

Import its names from ``teleport_jwt`` (``import teleport_jwt as tj``), ``MockTeleport`` from
``teleport_jwt.testing``. Every error the core reports is a ``tj.VerifyError`` subclass named
after its reason code (``expired`` -> ``tj.Expired``; see ``teleport_jwt._errors``). Every type
is immutable or internally synchronised: the module is safe without the GIL (free-threaded).
"""

from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from os import PathLike
from typing import Any, Literal, Protocol, final

from typing_extensions import Self, TypedDict, Unpack

__all__ = [
    "EXPLANATION_FIELDS",
    "FETCH_BUCKETS",
    "MAPPER_OPERATIONS",
    "MOCK_OPERATIONS",
    "OPERATIONS_THAT_NEVER_WAIT",
    "PERMISSIONS_OPERATIONS",
    "PERMISSION_DENIED",
    "POLICY_OPERATIONS",
    "REASONS",
    "REASON_CODES",
    "REFUSAL_RETRY_AFTER_SECONDS",
    "RESOURCE_PREFIX",
    "RESOURCE_URI_REFUSALS",
    "TRUST_ENTRY_OPTIONS",
    "VERIFIER_OPERATIONS",
    "VERIFIER_OPTIONS",
    "Authorized",
    "Explanation",
    "Identity",
    "MockTeleport",
    "PermissionMapper",
    "Permissions",
    "Policy",
    "TrustEntry",
    "Verifier",
    "__version__",
    "_after_fork_in_child",
    "cli_main",
    "refusal_answer",
    "resource_uri",
]
__version__: str
"""The version of teleport-jwt (this native extension's package version)."""
REASON_CODES: list[str]
"""Every reason code of the core (``"malformed"``, ``"expired"``, ...), in declaration order."""
REASONS: list[tuple[str, str]]
"""``(reason code, exception class name)`` of every reason, from the core, e.g.
``("bad_signature", "BadSignature")``: the class is ``teleport_jwt.BadSignature``."""
VERIFIER_OPERATIONS: list[str]
"""What every language's verifier offers, from the core (for parity tests); Python spells
``verify_at`` / ``authorize_at`` as the ``now=`` argument of ``verify`` / ``authorize``."""
OPERATIONS_THAT_NEVER_WAIT: list[str]
"""The verifier operations that never wait for a key fetch, from the core (for parity tests):
every other operation but the ``*_at`` forms has an awaitable ``*_async`` form."""
MOCK_OPERATIONS: list[str]
"""What every language's ``MockTeleport`` offers, from the core (for parity tests); Python
makes those without arguments properties and takes ``ca`` last (default ``"jwt"``)."""
TRUST_ENTRY_OPTIONS: list[str]
"""The options of a trust entry besides issuer, audiences and keys: ``name``, ``require_iat``."""
POLICY_OPERATIONS: list[str]
"""What every language's ``Policy`` offers, from the core (for parity tests): its loaders, the
questions every mapper answers, and ``explain``."""
MAPPER_OPERATIONS: list[str]
"""The questions every permission mapper answers (``PermissionMapper`` has each)."""
PERMISSIONS_OPERATIONS: list[str]
"""What every language's ``Permissions`` holds and answers (``granted`` and ``denied`` are
properties in Python)."""
EXPLANATION_FIELDS: list[str]
"""The fields of every language's ``Explanation``, in order."""
VERIFIER_OPTIONS: list[tuple[str, str]]
"""``(option, kind)`` of every verifier option of the core; kind is ``"duration"`` (float
seconds), ``"count"``, ``"flag"``, ``"text"`` or ``"header_rules"``. Python adds
``http_fetcher``, ``fixed_time``, ``permissions`` and ``key_events``."""

def _after_fork_in_child() -> None:
    """Tells every verifier of this process that it is a forked child, so that each rebuilds its
    fetch lock, key refresher and token cache on next use (`teleport_jwt::fork`). Registered
    with `os.register_at_fork` when the module loads: a verifier built and warmed before a
    gunicorn `--preload` or `multiprocessing` fork keeps refreshing its keys in every worker."""

def cli_main(argv: Sequence[str]) -> int:
    """Runs `teleport-jwt` with `argv` (the arguments after the program name), writing to
    `sys.stdout` and `sys.stderr`; returns the exit code. The GIL is released while it runs;
    `mock` checks for signals ten times a second, so Ctrl-C raises `KeyboardInterrupt`."""

FETCH_BUCKETS: list[float]
"""Upper bounds (seconds) of the key-fetch latency buckets in ``Verifier.stats()``
(``fetch_duration_buckets`` has one more entry: +Inf)."""
PERMISSION_DENIED: str
"""The code of a 403: a verified caller without a permission the server requires (the core's)."""
REFUSAL_RETRY_AFTER_SECONDS: int
"""``Retry-After`` of a 503 unless configured: the core's default key-fetch cooldown."""

RESOURCE_PREFIX: str
"""The permission prefix of MCP resources: reading ``URI`` needs ``resource:URI``."""
RESOURCE_URI_REFUSALS: list[tuple[str, str]]
"""``(code, description)`` of every reason the core refuses a resource URI
(``teleport_jwt::policy::UriRefusal``): ``fragment``, ``query``, ``encoded_delimiter``, ..."""

def resource_uri(uri: str) -> str | tuple[str, str]:
    """The URI a read of ``uri`` is checked on (``teleport_jwt::policy::resource_uri``): decoded
    as the MCP SDKs decode template parameters, scheme lower-cased; or ``(code, message)`` when
    no permission can name it (an encoded ``/``, a ``..`` segment, a fragment or query, ...).
    Use :func:`teleport_jwt.mcp.resource_read_permission`, which raises
    :class:`teleport_jwt.mcp.ResourceUriRefused` instead."""

def refusal_answer(
    code: str,
    message: str,
    *,
    expose_reason: bool,
    retry_after: int,
    permission: str | None = None,
    username: str | None = None,
    extra_challenge: list[str] = ...,
) -> tuple[int, str | None, str, int | None, list[tuple[str, str]], str, str]:
    """The core's HTTP answer to a refusal (``teleport_jwt::refusal``), for
    :class:`teleport_jwt.refusal.Refusal`.

    ``code`` is a reason code, or ``"permission_denied"`` for a verified caller (``username``)
    lacking ``permission``; ``message`` is for the log, never sent. ``expose_reason`` tells the
    client the code; ``retry_after`` is the 503's ``Retry-After`` in seconds. Returns
    ``(status, error, description, retry_after, headers, body_json, message)``: status 401,
    403, 500 or 503; the RFC 6750 error (None without credentials, for 500 and 503); the
    ``error_description``; ``Retry-After`` seconds (503 only); the headers (lower-case names,
    the ``WWW-Authenticate`` challenge with ``extra_challenge`` auth-params after the core's);
    the JSON body; the message for the log. Raises ``ValueError`` for an unknown code.
    """

class _KeySourceLike(Protocol):
    """Anything with ``fetch_jwks()`` returning the current JWKS JSON."""

    def fetch_jwks(self) -> str | bytes: ...

class _HttpFetcherLike(Protocol):
    """Anything that GETs a URL: no redirects, at most ``max_body_bytes``, ``timeout`` seconds."""

    def get(self, url: str, timeout: float, max_body_bytes: int) -> tuple[int, bytes | str]: ...

class _VerifierOptions(TypedDict, total=False):
    """Keyword options of every ``Verifier`` constructor; unset means the core's default.

    Durations are float seconds. Each option's words are the core's, in the ``Verifier``
    docstring (``help(tj.Verifier)``; ``tests/test_stub.py`` compares them).
    """

    leeway: float | None
    max_token_bytes: int | None
    headers: Sequence[str] | None
    cache_max_age: float | None
    cache_cooldown: float | None
    cache_max_stale: float | None
    cache_max_keys: int | None
    fetch_timeout: float | None
    fetch_max_body_bytes: int | None
    ca_pem: str | None
    allow_insecure_http_for_loopback: bool | None
    token_cache_capacity: int | None
    token_cache_max_bytes: int | None
    http_fetcher: _HttpFetcherLike | None
    fixed_time: float | None
    permissions: _PermissionMapperLike | None
    key_events: Callable[[dict[str, Any]], object] | None

_Jwks = str | bytes | Mapping[str, Any]
# A mapping or (name, value) pairs, or a WSGI environ (Django's request.META, Flask's
# request.environ: a dict whose "wsgi.multithread" is a bool; its HTTP_* entries are read).
_Headers = Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]] | dict[str, Any]

@final
class TrustEntry:
    """One trusted issuer: its ``iss``, accepted audiences and where its keys come from.

    Immutable. Give several to :meth:`Verifier.from_entries`: a token's ``iss`` picks its
    entry. The key source is checked when the verifier is built.
    """

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
        require_iat: bool | None = None,
    ) -> Self:
        """A general entry: any issuer, with exactly one of ``jwks`` (JSON text, bytes or a
        dict), ``jwks_url``, ``discovery_url`` or ``keys`` (``fetch_jwks() -> str | bytes``).

        ``audience`` is one accepted audience or several. ``name`` defaults to the issuer,
        ``require_iat`` to False. Raises ``tj.InvalidConfig`` (``invalid_config``) unless exactly
        one key source is given, ``TypeError`` for an audience that is not str or a list of str.
        """

    @staticmethod
    def teleport_jwt(
        proxy_url: str,
        cluster_name: str,
        audience: str | Sequence[str],
        *,
        name: str | None = None,
        require_iat: bool | None = None,
    ) -> TrustEntry:
        """Classic Teleport JWTs of one cluster: ``iss`` = ``cluster_name``, keys at
        ``<proxy_url>/.well-known/jwks.json``.

        ``kind`` is ``"teleport_jwt"``; ``name`` defaults to the cluster name, ``require_iat``
        to False.
        """

    @staticmethod
    def teleport_id_token(
        proxy_url: str,
        audience: str | Sequence[str],
        *,
        name: str | None = None,
        require_iat: bool | None = None,
    ) -> TrustEntry:
        """Teleport OIDC ID tokens: ``iss`` = ``https://<proxy>`` (``:443`` stripped), keys
        through ``<issuer>/.well-known/openid-configuration``.

        ``kind`` is ``"id_token"``; ``name`` defaults to the issuer, ``require_iat`` to True.
        """

    @property
    def name(self) -> str:
        """The entry's name (the issuer unless renamed), in logs and ``Identity.trust_entry``."""

    @property
    def issuer(self) -> str:
        """The exact ``iss`` this entry accepts (compared byte for byte)."""

    @property
    def audiences(self) -> list[str]:
        """The accepted audiences; a token must name at least one."""

    @property
    def require_iat(self) -> bool:
        """Whether tokens must carry ``iat`` (True for ID tokens by default)."""

    @property
    def kind(self) -> Literal["teleport_jwt", "id_token", "generic"]:
        """``"teleport_jwt"``, ``"id_token"`` or ``"generic"`` (a ``TrustEntry(...)`` entry)."""

@final
class Authorized:
    """What :meth:`Verifier.authorize` returns: the verified identity and what the verifier's
    permission mapper grants it (both shared with the verified-token cache)."""

    @property
    def identity(self) -> Identity:
        """Who the token proves the caller is."""

    @property
    def permissions(self) -> Permissions:
        """What the mapper grants (and the denies that apply)."""

@final
class Identity:
    """A verified Teleport identity (immutable; compares, hashes and pickles).

    Built by ``Verifier.verify*``; tests of permission policies may build an unverified one
    with :meth:`for_testing`. Only unpickle an identity you pickled: unpickling builds one no
    token verified.
    """

    @property
    def username(self) -> str:
        """The Teleport user name: the `username` claim, or `sub` when it is absent."""

    @property
    def sub(self) -> str:
        """The `sub` claim (equal to the user name in Teleport tokens)."""

    @property
    def roles(self) -> list[str]:
        """Teleport roles; empty when the claim is null or absent."""

    @property
    def traits(self) -> dict[str, list[str]]:
        """Teleport traits, name to values; empty when absent."""

    @property
    def issuer(self) -> str:
        """The `iss` claim, equal to the issuer of the trust entry that matched."""

    @property
    def audience(self) -> list[str]:
        """Every audience in the token (one when `aud` was a string)."""

    @property
    def expires_at(self) -> int:
        """`exp`, seconds since the Unix epoch."""

    @property
    def issued_at(self) -> int | None:
        """`iat`, seconds since the Unix epoch, when present."""

    @property
    def not_before(self) -> int | None:
        """`nbf`, seconds since the Unix epoch, when present."""

    @property
    def jti(self) -> str | None:
        """`jti`, when present (newer clusters send a random UUID; it is not a per-request
        nonce)."""

    @property
    def key_id(self) -> str | None:
        """The `kid` of the key that verified the signature (absent for a kid-less key)."""

    @property
    def algorithm(self) -> Literal["RS256", "ES256"]:
        """The algorithm that verified the signature (`RS256` or `ES256`, taken from the
        trusted key)."""

    @property
    def trust_entry(self) -> str:
        """The name of the trust entry that matched."""

    @property
    def kind(self) -> Literal["teleport_jwt", "id_token", "generic"]:
        """The kind of token of that trust entry (`teleport_jwt`, `id_token` or `generic`)."""

    @property
    def claims(self) -> dict[str, Any]:
        """The whole verified claim set, as ``json.loads`` gives it (a new dict every access)."""

    def has_role(self, role: str) -> bool:
        """True when the identity holds this Teleport role."""

    def trait_values(self, name: str) -> list[str]:
        """The values of one trait (empty when absent)."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a new dict, keyed by property name (``claims`` excluded)."""

    @staticmethod
    def for_testing(
        username: str,
        *,
        roles: Sequence[str] | None = None,
        traits: Mapping[str, Sequence[str]] | None = None,
        trust_entry: str | None = None,
        audience: Sequence[str] | None = None,
    ) -> Identity:
        """An identity that NO token verified, for tests of policies and mappers.

        Never build one from request data: identities for authorization come from
        ``Verifier.verify*`` only. ``sub`` is ``username``; ``issuer`` and ``trust_entry`` are
        ``trust_entry`` (default ``"test"``); roles, traits and audience default to empty;
        ``expires_at`` is 0, ``algorithm`` ``"RS256"``, ``kind`` ``"generic"``, ``claims``
        empty. Raises ``TypeError`` when ``traits`` is not a mapping of str to lists of str.
        """

    def __eq__(self, value: object, /) -> bool:
        """Equal when every field and claim is (never equal to a non-``Identity``)."""

    def __hash__(self) -> int:
        """A hash of ``username``, ``issuer``, ``expires_at`` and ``jti``."""

@final
class Verifier:
    """Verifies Teleport tokens.

    Immutable and safe to share across threads and asyncio tasks; create one per process (its
    key cache is what makes it fast and resilient). Verification and key fetches run with the
    GIL released. Every refusal is a ``tj.VerifyError`` subclass named after its reason code.
    Keyword options (``leeway``, ``headers``, ``ca_pem``, ...) are listed by
    ``help(tj.Verifier)``; unset ones take the core's defaults.

    Keyword options of every constructor (unset: the core's default):
        leeway: Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s, Teleport's own; at
            most 5 min).
        max_token_bytes: Longest token accepted, in bytes (default 16384; from 1 to 1048576); longer
            ones are refused before decoding.
        headers: Headers `verify_headers` reads, in order, each `"Name"` or `"Name: Scheme"`
            (default `["Teleport-Jwt-Assertion", "Authorization: Bearer"]`).
        cache_max_age: How long fetched keys are used before a refresh (default 10 min; from
            `cache_cooldown` to 24 h). They are refreshed in the background at 3/4 of it.
        cache_cooldown: Minimum time between attempts after a failed fetch (default 30 s; from 1 s
            to 1 h). Unknown `kid`s refetch at most once per 5 s, or per this when shorter.
        cache_max_stale: How long the last good keys keep verifying while fetches fail (default 24
            h; from `cache_max_age` to 7 days).
        cache_max_keys: Largest number of entries accepted in one JWKS (default 100; from 1 to
            1000).
        fetch_timeout: Time limit of one key fetch, connect and read (default 5 s; from 1 ms to 60
            s).
        fetch_max_body_bytes: Largest accepted key document, in bytes (default 262144; from 1024 to
            16 MiB).
        ca_pem: Extra trusted CA certificates (PEM) for the built-in HTTPS client, for self-signed
            development clusters; the system's roots stay trusted.
        allow_insecure_http_for_loopback: Permit `http://` key URLs on loopback hosts (development
            and tests only; default false).
        token_cache_capacity: How many verified tokens to remember (default 1024, at most 1000000; 0
            turns the cache off). A repeated token skips the signature check, never the time checks.
        token_cache_max_bytes: Memory budget of the verified-token cache in bytes (default 4 MiB, at
            most 1 GiB; 0 turns the cache off). A token whose entry would take over 1/64 of it is
            not cached.
        http_fetcher: An object with `get(url, timeout, max_body_bytes) -> (status, body)` that
            makes the key fetches instead of the built-in HTTPS client; the core still checks the
            URL before and the status and size after.
        fixed_time: Tests and replays only: a clock stopped at this Unix time (seconds).
        permissions: A `Policy` or any permission mapper (an object with `permissions(identity)`),
            for `authorize*()`.
        key_events: A callable receiving the key events (key-set changes, fetch failures, stale
            keys) as dicts.
    """

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
    ) -> Self:
        """A verifier for one issuer of any kind, with exactly one of ``jwks`` (JSON text,
        bytes or a dict), ``jwks_url``, ``discovery_url`` or ``keys``; options as keywords.

        Fetches nothing yet (see :meth:`warm_up`). Raises ``tj.InvalidConfig``
        (``invalid_config``) for an option out of its bounds or a bad key source,
        ``tj.InsecureTransport`` (``insecure_transport``) for a key URL that is not https, and
        ``TypeError`` for an unknown keyword.
        """

    @staticmethod
    def teleport_jwt(
        proxy_url: str,
        cluster_name: str,
        audience: str | Sequence[str],
        **options: Unpack[_VerifierOptions],
    ) -> Verifier:
        """The classic Teleport JWT preset (``Teleport-Jwt-Assertion``): ``iss`` =
        ``cluster_name``, keys at ``<proxy_url>/.well-known/jwks.json``.

        ``audience`` is the app's ``uri`` exactly as configured in Teleport. Options and errors
        as for ``Verifier(...)``.
        """

    @staticmethod
    def teleport_id_token(
        proxy_url: str, audience: str | Sequence[str], **options: Unpack[_VerifierOptions]
    ) -> Verifier:
        """The Teleport OIDC ID token preset: ``iss`` = ``https://<proxy>`` (``:443``
        stripped), keys through OIDC discovery, ``iat`` required.

        Options and errors as for ``Verifier(...)``.
        """

    @staticmethod
    def from_entries(
        entries: Sequence[TrustEntry], **options: Unpack[_VerifierOptions]
    ) -> Verifier:
        """Several trust entries at once; the token's ``iss`` picks the entry.

        A token from an issuer no entry names is refused (``tj.IssuerMismatch``) without any
        fetch. Raises ``tj.InvalidConfig`` for no entry or an issuer given twice; options and
        other errors as for ``Verifier(...)``.
        """

    def verify(self, token: str | bytes, now: float | None = None) -> Identity:
        """Verifies one token (str or UTF-8 bytes) and returns the identity it proves.

        ``now`` (Unix seconds) pins the time of the claim checks, for recorded tokens and test
        vectors; servers leave it unset. Runs with the GIL released, but may block while keys
        are fetched (each fetch at most ``fetch_timeout``): use :meth:`verify_async` in async
        code. Raises the ``tj.VerifyError`` subclass of its reason, e.g. ``tj.Expired``
        (``expired``), ``tj.BadSignature``, ``tj.AudienceMismatch``, ``tj.Malformed``,
        ``tj.TokenTooLarge``, ``tj.UnknownKey``, ``tj.KeySourceUnavailable``; ``TypeError``
        for a token that is not str or bytes.
        """

    def verify_headers(self, headers: _Headers) -> Identity:
        """Verifies the token found in request headers, following the configured header rules
        (:attr:`header_rules`; the first rule whose header is present decides).

        ``headers``: a mapping, ``(name, value)`` pairs, or a WSGI environ (Django's
        ``request.META``, Flask's ``request.environ``). Raises ``tj.MissingToken``
        (``missing_token``) when no rule's header is present, ``tj.Malformed`` when it is
        present but unusable, and otherwise as :meth:`verify`.
        """

    def token_from_headers(self, headers: _Headers) -> str:
        """The token the header rules select from ``headers``, unverified (for middleware that
        hands it on).

        Raises ``tj.MissingToken`` or ``tj.Malformed`` as :meth:`verify_headers` would.
        """

    def token_from_headers_async(self, headers: _Headers) -> Coroutine[Any, Any, str]:
        """``await v.token_from_headers_async(headers)``: :meth:`token_from_headers`, answered
        at once (it never waits for a key fetch: it is there so that every operation has an
        awaitable form)."""

    def verify_async(self, token: str | bytes) -> Coroutine[Any, Any, Identity]:
        """``await v.verify_async(token)``: :meth:`verify`, answered at once when no key fetch
        is needed (a repeated token, cached keys, a refusal: no thread hop), else in a worker
        thread with the GIL released, so the event loop never blocks, even while keys are
        fetched, and a flood of tokens with made-up kids, which wait for a refetch, never
        holds up tokens whose keys are cached."""

    def verify_headers_async(self, headers: _Headers) -> Coroutine[Any, Any, Identity]:
        """``await v.verify_headers_async(headers)``: :meth:`verify_headers`, answered at once
        or in a worker thread as :meth:`verify_async`; ``headers`` are read at the call, on the
        caller's thread."""

    def authorize(self, token: str | bytes, now: float | None = None) -> Authorized:
        """Verifies one token and maps its identity to permissions with the verifier's
        ``permissions=`` mapper.

        The answer is cached with the token (the mapper runs once per token); ``now`` as for
        :meth:`verify`. Raises ``tj.InvalidConfig`` (``invalid_config``) without a mapper,
        ``tj.PluginError`` (``plugin_error``) when the mapper fails, otherwise as :meth:`verify`.
        """

    def authorize_headers(self, headers: _Headers) -> Authorized:
        """:meth:`authorize` with the token the header rules find in ``headers`` (errors as
        :meth:`verify_headers` and :meth:`authorize`)."""

    def authorize_async(self, token: str | bytes) -> Coroutine[Any, Any, Authorized]:
        """``await v.authorize_async(token)``: :meth:`authorize`, answered at once or in a
        worker thread as :meth:`verify_async` (a Python mapper may run in either, so it must be
        thread-safe and must not block)."""

    def authorize_headers_async(self, headers: _Headers) -> Coroutine[Any, Any, Authorized]:
        """``await v.authorize_headers_async(headers)``: :meth:`authorize_headers`, answered at
        once or in a worker thread as :meth:`verify_async`; ``headers`` are read at the call,
        a Python mapper must be thread-safe and must not block."""

    def with_permissions(self, permissions: _PermissionMapperLike) -> Verifier:
        """A verifier sharing this one's trust entries, keys and options that maps identities
        with ``permissions`` (a ``Policy`` or any permission mapper), for :meth:`authorize`.

        No key is fetched again. Raises ``TypeError`` for an object without ``permissions()``.
        """

    @property
    def has_permissions(self) -> bool:
        """True when ``permissions=`` (or :meth:`with_permissions`) configured a mapper."""

    def warm_up(self) -> None:
        """Fetches every trust entry's keys now (a start-up check) instead of on first use.

        Blocks for the fetches, with the GIL released. Raises the fetch's error, usually
        ``tj.KeySourceUnavailable`` (``key_source_unavailable``).
        """

    def warm_up_async(self) -> Coroutine[Any, Any, None]:
        """``await v.warm_up_async()``: :meth:`warm_up` in a worker thread, so the event loop
        never blocks while the keys are fetched (a start-up check in async applications)."""

    @property
    def key_fetch_count(self) -> int:
        """Key fetches made so far (successful or not), over all trust entries."""

    def stats(self) -> dict[str, Any]:
        """The counters and key-source state now, with the Rust field names.

        ``accepted``, ``refused`` (every reason code, zeros included), ``token_cache_hits``,
        ``token_cache_misses``, the policy's decisions (``permission_mappings``,
        ``policy_capped_rules``, ``permission_checks_allowed``, ``permission_checks_denied``:
        checks on permissions :meth:`authorize` returned) and ``key_sources``: per trust entry
        ``trust_entry``, ``source``, ``fetches_ok``, ``fetches_failed``,
        ``fetch_duration_buckets`` (cumulative, last is +Inf), ``fetch_duration_sum``
        (seconds), ``unknown_kid_refetches``, ``serving_stale`` (fetches fail, the last good
        keys still verify), ``keys_unavailable`` (fetches fail and no usable keys are left:
        tokens are refused), ``failing_since`` (Unix
        seconds or None), ``last_fetch_error``, ``keys_age_seconds`` (None before the first
        fetch) and ``keys`` (``{"kid", "algorithm"}``). Never waits for a key fetch.
        """

    def metrics(
        self,
    ) -> list[tuple[str, str, str, list[tuple[str, list[tuple[str, str]], float]]]]:
        """The same as Prometheus metric families: ``(name, help, type, samples)``, each
        sample ``(suffix, labels, value)``; what :mod:`teleport_jwt.prometheus` exports."""

    def prometheus_text(self) -> str:
        """The metrics in the Prometheus text exposition format (version 0.0.4)."""

    @property
    def trust_entries(self) -> list[TrustEntry]:
        """The trust entries, in configuration order."""

    @property
    def header_rules(self) -> list[str]:
        """The header rules :meth:`verify_headers` follows, in order; by default
        ``["Teleport-Jwt-Assertion", "Authorization: Bearer"]``."""

    @property
    def leeway(self) -> float:
        """The clock-skew leeway on ``exp``, ``nbf`` and ``iat``, in seconds (default 60)."""

    @property
    def max_token_bytes(self) -> int:
        """The longest token accepted, in bytes (default 16384); longer: ``tj.TokenTooLarge``."""

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
    """A fake Teleport proxy on loopback HTTPS (its own CA: :attr:`ca_pem`), minting tokens
    exactly as Teleport does.

    A context manager: the server stops on exit (or :meth:`stop`); after that every method
    but :attr:`running` and :meth:`stop` raises ``RuntimeError``. ``ca`` arguments name a
    CA: ``"jwt"`` (classic JWTs) or ``"oidc"`` / ``"id_token"`` (ID tokens).
    """

    def __new__(
        cls,
        algorithm: Literal["RS256", "ES256"] = "RS256",
        *,
        id_token_algorithm: Literal["RS256", "ES256"] = "RS256",
        cluster_name: str = "teleport.example.com",
        kid_in_tokens: bool = True,
        publish_blank_kid_twin: bool = True,
        ec_short_coordinate: bool = False,
    ) -> Self:
        """Starts the server (with the GIL released).

        ``algorithm`` is the classic JWT CA's, ``id_token_algorithm`` the OIDC CA's;
        ``cluster_name`` is the ``iss`` of classic tokens. ``kid_in_tokens=False`` mimics a
        cluster older than v15.x/v16.x; ``publish_blank_kid_twin`` publishes every key again
        with ``"kid": ""``, as Teleport does; ``ec_short_coordinate`` gives every P-256 key a
        31-byte coordinate. The keywords are the core's ``MockOptions`` (``None`` = the
        default). Raises ``ValueError`` for an unknown algorithm, ``TypeError`` for an unknown
        keyword or a value of the wrong type, ``RuntimeError`` when the server cannot start.
        """

    @property
    def proxy_url(self) -> str:
        """``https://127.0.0.1:<port>``."""

    @property
    def cluster_name(self) -> str:
        """The cluster name (``iss`` of classic tokens)."""

    @property
    def id_token_issuer(self) -> str:
        """``iss`` of ID tokens (the proxy URL)."""

    @property
    def ca_pem(self) -> str:
        """PEM of the mock's TLS CA: pass it to the verifier as ``ca_pem=``."""

    @property
    def jwks_url(self) -> str:
        """``<proxy>/.well-known/jwks.json``."""

    @property
    def jwks_oidc_url(self) -> str:
        """``<proxy>/.well-known/jwks-oidc``."""

    @property
    def discovery_url(self) -> str:
        """``<proxy>/.well-known/openid-configuration``."""

    @property
    def discovery_json(self) -> str:
        """The discovery document exactly as served now (JSON text)."""

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
    ) -> str:
        """Mints a token as Teleport makes it (compact JWS text).

        Unset: roles ``["access"]``, no traits, audience ``"mcp+http://127.0.0.1:8000/mcp"``,
        issued now. ``ttl`` and ``issued_at`` are seconds (``exp`` = ``iat`` + ``ttl``);
        ``kind`` ``"jwt"`` (= ``"teleport_jwt"``) or ``"id_token"``; ``include_kid`` None
        follows ``kid_in_tokens``. ``claims`` sets or replaces claims, ``remove_claims`` deletes
        some; ``headers`` / ``remove_headers`` do the same for the JWS header. The keywords
        are the core's ``MintSpec``; ``None`` is the default, a ``str`` is never a list.
        Raises ``ValueError`` for an unknown name (``kind``, ``jwt_claims``) or a negative
        ``ttl``, ``TypeError`` for an unknown keyword or a value of the wrong type,
        ``RuntimeError`` when the mock cannot mint.
        """

    def sign_raw(
        self,
        header_json: str,
        payload_json: str,
        *,
        ca: _Ca = "jwt",
        key: Literal["active", "next"] = "active",
    ) -> str:
        """Signs exactly these header and payload JSON texts with ``ca``'s current (or next)
        key."""

    def jwks_json(self, ca: _Ca = "jwt") -> str:
        """The JWKS ``ca`` serves now (JSON text)."""

    def key_ids(self, ca: _Ca = "jwt") -> list[str]:
        """The (non-blank) ``kid`` values ``ca`` publishes now, active key first."""

    def signing_key_id(self, ca: _Ca = "jwt") -> str:
        """The ``kid`` of the key ``ca`` signs with now."""

    def signing_algorithm(self, ca: _Ca = "jwt") -> Literal["RS256", "ES256"]:
        """The algorithm of the key ``ca`` signs with now."""

    def set_next_algorithm(self, algorithm: Literal["RS256", "ES256"], ca: _Ca = "jwt") -> None:
        """The algorithm of keys generated for ``ca`` from now on (by a rotation or
        :meth:`rotate_now`), to simulate a signature suite change at rotation; keys already
        made keep theirs."""

    def rotation_phase(
        self, ca: _Ca = "jwt"
    ) -> Literal["standby", "init", "update_clients", "update_servers", "rollback"]:
        """The rotation phase of ``ca``."""

    def set_rotation_phase(
        self,
        phase: Literal["standby", "init", "update_clients", "update_servers", "rollback"],
        ca: _Ca = "jwt",
    ) -> None:
        """Moves ``ca`` to a rotation phase (entering one but standby makes a next key if none)."""

    def complete_rotation(self, ca: _Ca = "jwt") -> None:
        """Completes a rotation of ``ca`` (the next key becomes the only key)."""

    def rotate_now(self, ca: _Ca = "jwt") -> None:
        """Replaces every key of ``ca`` at once (a rotation with grace period 0)."""

    def set_failure(self, mode: _FailureMode) -> None:
        """Fails every request until set back to ``None`` (or ``"none"``): serve normally.

        ``"refuse"`` refuses connections; ``"hang"`` holds each request unanswered (at most 30
        seconds); ``"garbage"`` answers 200 with bytes that are not JSON; an HTTP status
        (``500`` or ``("status", 500)``) answers with it; ``("oversized", n_bytes)`` answers a
        JSON body of that many bytes; ``("redirect", url)`` answers 302 to ``url``. The modes are
        the core's ``Failure`` by its serde names, a pair standing for ``{name: argument}``.
        """

    @property
    def request_count(self) -> int:
        """Requests received on every path since start (or :meth:`reset_counts`)."""

    def request_count_for_path(self, path: str) -> int:
        """Requests received on this path (query excluded), e.g. ``"/.well-known/jwks.json"``."""

    def request_count_for(self, path: str) -> int:
        """The same as :meth:`request_count_for_path`."""

    def set_discovery_issuer_override(self, issuer: str | None) -> None:
        """Serves this ``issuer`` in the discovery document (``None`` restores the proxy URL),
        to test issuer mismatch."""

    def set_discovery_jwks_uri_override(self, uri: str | None) -> None:
        """Serves this ``jwks_uri`` in the discovery document (``None`` restores the mock's
        own), to test what a verifier does with a discovered URL."""

    def reset_counts(self) -> None:
        """Zeroes the request counters."""

    @property
    def running(self) -> bool:
        """Whether the server is still running."""

    def stop(self) -> None:
        """Stops the server and joins its threads. Idempotent."""

    def __enter__(self) -> Self:
        """The mock itself."""

    def __exit__(self, *_exc: object) -> bool:
        """Stops the server (:meth:`stop`); returns False, so an exception propagates."""

@final
class Permissions:
    """What one identity may do: granted permissions and globs, and the deny patterns that
    apply (immutable; a deny always wins).

    Built by ``Policy.permissions`` or a mapper, or directly:
    ``Permissions(granted=["tool:read_*"], denied=["tool:read_secrets"])``.
    """

    def __new__(
        cls, granted: Iterable[str] | None = None, denied: Iterable[str] | None = None
    ) -> Self:
        """Permissions from granted permissions or globs and deny patterns (default: none).

        Raises ``TypeError`` for a bare str or an item that is not a str.
        """

    @property
    def granted(self) -> frozenset[str]:
        """The granted permissions and globs (concrete ones a deny matches left out)."""

    @property
    def denied(self) -> frozenset[str]:
        """The deny patterns that apply to this identity."""

    @property
    def capped_rules(self) -> list[int]:
        """Indexes of rules that matched but granted nothing (over the expansion cap)."""

    def allows(self, permission: str) -> bool:
        """True when ``permission`` is granted (directly or by a granted glob) and no deny
        matches."""

    def can_call_tool(self, tool: str) -> bool:
        """May this identity list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?"""

    def filter_tools(self, tools: Iterable[str]) -> list[str]:
        """The tools of ``tools`` this identity may list and call, in the order given."""

    def __bool__(self) -> bool:
        """True when anything is granted (denies alone are falsy)."""

    def __eq__(self, other: object, /) -> bool:
        """Equal when the granted sets and the denies are."""

    def __hash__(self) -> int:
        """A hash of the granted set and the denies (consistent with ``==``)."""

@final
class Explanation:
    """Why a permission was granted, denied or not granted to an identity.

    ``str()`` is one log line; truthy exactly when granted.
    """

    @property
    def permission(self) -> str:
        """The permission asked about."""

    @property
    def username(self) -> str:
        """The identity's user name."""

    @property
    def decision(self) -> Literal["granted", "denied", "not_granted"]:
        """``"granted"``, ``"denied"`` or ``"not_granted"``."""

    @property
    def allowed(self) -> bool:
        """True only when granted (the same answer as ``Policy.allows``)."""

    @property
    def rule_index(self) -> int | None:
        """0-based index of the rule that decided (the deny, or the first grant); None when
        not granted."""

    @property
    def rule_name(self) -> str | None:
        """The ``name`` of the rule that decided, when it has one."""

    @property
    def pattern(self) -> str | None:
        """The expanded grant or the deny glob that matched the permission."""

    @property
    def source(self) -> str | None:
        """The grant template or deny pattern as written in the policy."""

    @property
    def conditions(self) -> list[str]:
        """The deciding rule's conditions that held."""

    @property
    def overrides_rule_index(self) -> int | None:
        """For ``"denied"``: index of the first grant rule the deny overrode, if any."""

    @property
    def overrides_rule_name(self) -> str | None:
        """For ``"denied"``: name of the first grant rule the deny overrode, if it has one."""

    @property
    def overrides_pattern(self) -> str | None:
        """For ``"denied"``: the overridden grant's expanded pattern."""

    @property
    def decided_by(self) -> tuple[tuple[int, str | None], str, str, list[str]] | None:
        """The deny that refused it (``"denied"``) or the first grant that gave it
        (``"granted"``), as ``((index, name), pattern, source, conditions)``; None when not
        granted. The flat properties above are its parts."""

    @property
    def overridden_grant(self) -> tuple[tuple[int, str | None], str, str, list[str]] | None:
        """For ``"denied"``: the first grant the deny overrode, if any rule granted it, as
        ``((index, name), pattern, source, conditions)``."""

    @property
    def matched_rules(self) -> list[tuple[int, str | None]]:
        """Every rule whose ``match`` held, as ``(index, name)``, in policy order."""

    @property
    def capped_rules(self) -> list[tuple[int, str | None]]:
        """Rules that matched but granted nothing (over the expansion cap), as
        ``(index, name)``."""

    @property
    def text(self) -> str:
        """The explanation as one log line (the same as ``str()``)."""

    def __bool__(self) -> bool:
        """True only when granted (as :attr:`allowed`)."""

@final
class Policy:
    """A loaded, checked permission policy (immutable; load once, share across threads).

    Every mistake is found at load time and raised as ``tj.InvalidConfig``
    (``invalid_config``) with ``line`` and ``column`` set when known. Evaluation takes a few
    microseconds, cannot fail, and runs with the GIL held.
    """

    @staticmethod
    def from_yaml(text: str) -> Policy:
        """A policy from YAML text."""

    @staticmethod
    def from_toml(text: str) -> Policy:
        """A policy from TOML text."""

    @staticmethod
    def from_json(text: str) -> Policy:
        """A policy from JSON text."""

    @staticmethod
    def from_text(text: str, format: Literal["yaml", "yml", "toml", "json"]) -> Policy:
        """A policy from text in ``format`` (``tj.InvalidConfig`` for another format)."""

    @staticmethod
    def from_file(path: str | PathLike[str]) -> Policy:
        """A policy file; the format comes from the extension (``.yaml``, ``.yml``, ``.toml``,
        ``.json``). Read with the GIL released."""

    def permissions(self, identity: Identity) -> Permissions:
        """Everything ``identity`` is granted and the deny patterns that apply to it.

        Compute it once per request when asking several questions.
        """

    def allows(self, identity: Identity, permission: str) -> bool:
        """Does ``identity`` have ``permission``? (A deny always wins.)"""

    def can_call_tool(self, identity: Identity, tool: str) -> bool:
        """May ``identity`` list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?"""

    def filter_tools(self, identity: Identity, tools: Iterable[str]) -> list[str]:
        """The tools of ``tools`` that ``identity`` may list and call, in the order given."""

    def explain(self, identity: Identity, permission: str) -> Explanation:
        """Why ``permission`` is granted, denied or not granted to ``identity``."""

    @property
    def rule_names(self) -> list[str | None]:
        """The rules' names (None for an unnamed rule), in document order."""

    def __len__(self) -> int:
        """The number of rules."""

class _PermissionMapperLike(Protocol):
    """A ``Policy``, or anything with ``permissions(identity)`` returning the granted
    permissions (an iterable of str) or a ``Permissions``."""

    def permissions(self, identity: Identity, /) -> Iterable[str] | Permissions: ...

@final
class PermissionMapper:
    """Any permission mapper through the core's ``PermissionMapper``: a ``Policy``, another
    ``PermissionMapper``, or any object with ``permissions(identity) -> Iterable[str] |
    Permissions``.

    A Python mapper that raises or returns something else (a str, an awaitable: mappers are
    synchronous) gives ``tj.PluginError`` (``plugin_error``), never a crash.
    """

    def __new__(cls, mapper: _PermissionMapperLike) -> Self:
        """Wraps ``mapper``; ``TypeError`` when it has no callable ``permissions``."""

    def permissions(self, identity: Identity) -> Permissions:
        """Everything ``identity`` is granted, and the deny patterns that apply to it."""

    def allows(self, identity: Identity, permission: str) -> bool:
        """Does ``identity`` have ``permission``?"""

    def can_call_tool(self, identity: Identity, tool: str) -> bool:
        """May ``identity`` list and call the MCP tool ``tool`` (permission ``tool:<tool>``)?"""

    def filter_tools(self, identity: Identity, tools: Iterable[str]) -> list[str]:
        """The tools of ``tools`` that ``identity`` may list and call, in the order given."""
