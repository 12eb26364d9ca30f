"""Identity pickles and compares; Explanation and Identity repr in Python syntax."""

from __future__ import annotations

import pickle

import teleport_jwt as tj
from teleport_jwt.testing import MockTeleport


def test_verified_identity_pickles_equal(mock: MockTeleport, verifier: tj.Verifier) -> None:
    token = mock.mint(username="alice", roles=["r1"], traits={"teams": ["a", "b"]})
    identity = verifier.verify(token)
    copy = pickle.loads(pickle.dumps(identity))
    assert copy == identity and hash(copy) == hash(identity)
    assert copy.to_dict() == identity.to_dict()
    assert copy.claims == identity.claims and copy.claims["jti"] == identity.jti
    assert copy != verifier.verify(mock.mint(username="bob"))
    assert copy != "alice"


def test_reprs_are_python_syntax() -> None:
    identity = tj.Identity.for_testing("o'brien", roles=["r"])
    assert repr(identity) == (
        "Identity(username=\"o'brien\", roles=['r'], issuer='test', expires_at=0, "
        "algorithm='RS256')"
    )
    policy = tj.Policy.from_yaml("rules: [{name: all, match: {}, grant: ['a:*']}]")
    assert repr(policy.explain(identity, "a:x")) == (
        "Explanation(permission='a:x', username=\"o'brien\", decision='granted', "
        "rule_index=0, rule_name='all', pattern='a:*')"
    )
    assert repr(policy.explain(identity, "b")) == (
        "Explanation(permission='b', username=\"o'brien\", decision='not_granted', "
        "rule_index=None, rule_name=None, pattern=None)"
    )
