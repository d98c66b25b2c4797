"""The image reference grammar: Docker's own edge cases, and properties checked by hypothesis.

The oracle ``docker_accepts`` re-states Docker's ``ParseNormalizedNamed`` (distribution/
reference: splitDockerDomain, the lowercase check, ReferenceRegexp, the name length, and
go-digest's validation) independently of regkit's hand-written parser, so the two can be
compared on arbitrary text.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from regkit.errors import InvalidReference
from regkit.reference import (
    ImageReference,
    is_ip_literal,
    parse_reference,
    registry_variable,
    split_registry_url,
    validate_project_name,
    validate_registry_host,
    validate_tag,
)

# No deadline: the suite has no timing thresholds.
PROPERTY = settings(deadline=None, max_examples=100)

SHA = "sha256:" + "0123456789abcdef" * 4

# --- Docker's grammar, restated as one regular expression (distribution/reference regexp.go) --

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?:[a-fA-F0-9:]+)\])"
_NAME = rf"(?:{_HOST}(?::[0-9]+)?/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
DOCKER_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?")
DIGEST_SIZES = {"sha256": 64, "sha384": 96, "sha512": 128}


def docker_split_domain(name: str) -> tuple[str, str]:
    i = name.find("/")
    first = name[:i]
    if i == -1 or (not any(c in first for c in ".:") and first != "localhost"
                   and first.lower() == first):
        domain, remainder = "docker.io", name
    else:
        domain, remainder = first, name[i + 1:]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder


def docker_accepts(text: str) -> bool:
    """Whether Docker's ParseNormalizedNamed accepts ``text``.

    Like Docker's, the regular expression lets the registry part be absent, so a first
    component such as ``my_host.com`` that is not a valid host name is then accepted as a path.
    """
    if re.fullmatch(r"[a-f0-9]{64}", text):
        return False
    domain, remainder = docker_split_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return False
    match = DOCKER_REFERENCE.fullmatch(f"{domain}/{remainder}")
    if not match or len(match.group(1)) > 255:
        return False
    if match.group(3):
        algorithm, encoded = match.group(3).split(":", 1)
        size = DIGEST_SIZES.get(algorithm)
        return size is not None and re.fullmatch(f"[a-f0-9]{{{size}}}", encoded) is not None
    return True


# --- strategies -------------------------------------------------------------------------------

LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
alnum = st.text(LOWER_ALNUM, min_size=1, max_size=6)
separators = st.sampled_from([".", "_", "__", "-", "--", "---"])


@st.composite
def components(draw: st.DrawFn) -> str:
    parts = [draw(alnum)]
    for _ in range(draw(st.integers(0, 2))):
        parts += [draw(separators), draw(alnum)]
    return "".join(parts)


def looks_like_domain(component: str) -> bool:
    """Read as a registry by every Docker version (regkit refuses uppercase-only names)."""
    return any(c in component for c in ".:") or component == "localhost"


label = st.from_regex(r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,6}[a-zA-Z0-9])?", fullmatch=True)
dns_names = st.lists(label, min_size=1, max_size=3).map(".".join)
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str).filter(lambda a: "." not in a).map(lambda a: f"[{a}]")
ports = st.integers(1, 65535).map(str)


@st.composite
def registries(draw: st.DrawFn) -> str:
    host = draw(st.one_of(dns_names, ipv4, ipv6, st.just("localhost")))
    port = draw(st.none() | ports)
    registry = host if port is None else f"{host}:{port}"
    assume(looks_like_domain(registry.split("/")[0]))
    return registry


tags = st.builds(lambda first, rest: first + rest,
                 st.sampled_from("ABCXYZabcxyz0129_"),
                 st.text("aZ09_.-", max_size=127))
digests = st.one_of(
    st.text("0123456789abcdef", min_size=64, max_size=64).map(lambda h: f"sha256:{h}"),
    st.text("0123456789abcdef", min_size=128, max_size=128).map(lambda h: f"sha512:{h}"),
)


def compose(registry: str | None, path: str, tag: str | None, digest: str | None) -> str:
    """Write a reference from parts that need not be valid."""
    text = path if registry is None else f"{registry}/{path}"
    text += f":{tag}" if tag is not None else ""
    return text + (f"@{digest}" if digest is not None else "")


@st.composite
def references(draw: st.DrawFn) -> ImageReference:
    registry = draw(st.none() | registries())
    path_parts = draw(st.lists(components(), min_size=1, max_size=4))
    if registry is None and len(path_parts) > 1:
        assume(not looks_like_domain(path_parts[0]))
    path = "/".join(path_parts)
    tag = draw(st.none() | tags)
    digest = draw(st.none() | digests)
    domain = "docker.io" if registry in (None, "index.docker.io") else registry
    repository = path if (domain != "docker.io" or "/" in path) else f"library/{path}"
    assume(len(f"{domain}/{repository}") <= 255)
    assume(not re.fullmatch(r"[a-f0-9]{64}", path))
    return ImageReference(registry, path, tag, digest)


# --- table tests: Docker's own edge cases ------------------------------------------------------

VALID = [
    # text, registry, path, tag, digest, normalized, familiar
    ("busybox", None, "busybox", None, None,
     "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/busybox", "docker.io", "busybox", None, None,
     "docker.io/library/busybox:latest", "busybox:latest"),
    ("index.docker.io/busybox", "index.docker.io", "busybox", None, None,
     "docker.io/library/busybox:latest", "busybox:latest"),
    ("docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", None,
     "docker.io/library/busybox:1.36", "busybox:1.36"),
    ("jpetazzo/dockercoins", None, "jpetazzo/dockercoins", None, None,
     "docker.io/jpetazzo/dockercoins:latest", "jpetazzo/dockercoins:latest"),
    ("localhost:5000/a", "localhost:5000", "a", None, None,
     "localhost:5000/a:latest", "localhost:5000/a:latest"),
    ("localhost/a", "localhost", "a", None, None, "localhost/a:latest", "localhost/a:latest"),
    ("localhost:5000", None, "localhost", "5000", None,
     "docker.io/library/localhost:5000", "localhost:5000"),
    ("localhost", None, "localhost", None, None,
     "docker.io/library/localhost:latest", "localhost:latest"),
    ("[::1]:5000/x:y", "[::1]:5000", "x", "y", None, "[::1]:5000/x:y", "[::1]:5000/x:y"),
    ("[2001:db8::1]/team/app", "[2001:db8::1]", "team/app", None, None,
     "[2001:db8::1]/team/app:latest", "[2001:db8::1]/team/app:latest"),
    ("127.0.0.1:8080/library/busybox:v1", "127.0.0.1:8080", "library/busybox", "v1", None,
     "127.0.0.1:8080/library/busybox:v1", "127.0.0.1:8080/library/busybox:v1"),
    ("Harbor.Example.com/demo/app", "Harbor.Example.com", "demo/app", None, None,
     "Harbor.Example.com/demo/app:latest", "Harbor.Example.com/demo/app:latest"),
    ("Registry.Example/app", "Registry.Example", "app", None, None,
     "Registry.Example/app:latest", "Registry.Example/app:latest"),
    ("Host:5000/app", "Host:5000", "app", None, None, "Host:5000/app:latest",
     "Host:5000/app:latest"),
    ("busybox@" + SHA, None, "busybox", None, SHA,
     "docker.io/library/busybox@" + SHA, "busybox@" + SHA),
    ("busybox:v1@" + SHA, None, "busybox", "v1", SHA,
     "docker.io/library/busybox:v1@" + SHA, "busybox:v1@" + SHA),
    ("h:5000/a__b/c--d/e.f_g:V_1.0-rc", "h:5000", "a__b/c--d/e.f_g", "V_1.0-rc", None,
     "h:5000/a__b/c--d/e.f_g:V_1.0-rc", "h:5000/a__b/c--d/e.f_g:V_1.0-rc"),
    ("busybox:" + "t" * 128, None, "busybox", "t" * 128, None,
     "docker.io/library/busybox:" + "t" * 128, "busybox:" + "t" * 128),
    ("busybox@sha512:" + "ab" * 64, None, "busybox", None, "sha512:" + "ab" * 64,
     "docker.io/library/busybox@sha512:" + "ab" * 64, "busybox@sha512:" + "ab" * 64),
    ("h:65535/x", "h:65535", "x", None, None, "h:65535/x:latest", "h:65535/x:latest"),
]


@pytest.mark.parametrize("text,registry,path,tag,digest,normalized,familiar", VALID)
def test_valid_references(text: str, registry: str | None, path: str, tag: str | None,
                          digest: str | None, normalized: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.path, ref.tag, ref.digest) == (registry, path, tag, digest)
    assert ref.normalized == normalized
    assert ref.familiar == familiar
    assert str(ref) == text
    assert docker_accepts(text)


INVALID = [
    # text, the quoted part the message must name, a phrase of the rule
    ("MyApp", "'MyApp'", "repository names must be lowercase"),
    ("library/MyApp:v1", "'MyApp'", "repository names must be lowercase"),
    ("h:5000/Team/app", "'Team'", "repository names must be lowercase"),
    ("a//b", "''", "empty"),
    ("/a", "''", "empty"),
    ("a/", "''", "empty"),
    ("a:b:c", "'a:b'", "':'"),
    ("h:5000/a:b/c", "'a:b'", "':'"),
    ("busybox:" + "t" * 129, "'" + "t" * 129 + "'", "at most 128"),
    ("busybox:", "''", "empty"),
    ("busybox:.v1", "'.v1'", "must start with"),
    ("busybox:-v1", "'-v1'", "must start with"),
    ("busybox:1.0+build", "'1.0+build'", "'+'"),
    ("busybox@sha256:abc", "'sha256:abc'", "exactly 64"),
    ("busybox@sha256:" + "A" * 64, "'sha256:" + "A" * 64 + "'", "lowercase"),
    ("busybox@md5:" + "a" * 32, "'md5:" + "a" * 32 + "'", "not support"),
    ("busybox@" + "a" * 64, "'" + "a" * 64 + "'", "algorithm:hex"),
    ("busybox@", "''", "algorithm:hex"),
    ("a@b@c", "'b@c'", "algorithm:hex"),
    ("busybox@sha256:" + "g" * 64, "'g'", "hex"),
    ("-a", "'-a'", "must start"),
    ("a-", "'a-'", "must end"),
    ("a..b", "'..'", "separator"),
    ("a___b", "'___'", "separator"),
    ("a.-b", "'.-'", "separator"),
    ("my_host.com/x", "'my_host.com'", "host name"),  # Docker: a path with no registry
    ("MyApp/web", "'MyApp'", "repository names must be lowercase"),  # Docker versions differ
    ("A/b/c", "'A'", "newer Engines read it as a registry host"),
    ("LOCALHOST/app", "'LOCALHOST'", "must be lowercase"),
    ("-h.com/x", "'-h.com'", "host name"),
    ("h:0/x", "'0'", "1-65535"),
    ("h:65536/x", "'65536'", "1-65535"),
    ("h:/x", "'h:'", "empty port"),
    (":5000/x", "':5000'", "no host name"),
    ("[::1/x", "'[::1'", "never closes"),
    ("[fe80::1%eth0]:5000/x", "'[fe80::1%eth0]'", "IPv6"),
    ("[::1]x/y", "'[::1]x'", "':port'"),
    ("[1:2:3]/x", "'[1:2:3]'", "not a valid IPv6"),
    ("::1:5000/x", "'::1:5000'", "without brackets"),
    ("[::1]:5000", "'[::1]'", "contains ':'"),
    ("a" * 64, "'" + "a" * 64 + "'", "image ID"),
    ("bus box", "' '", "whitespace"),
    (" busybox", "' '", "whitespace"),
    ("", "''", "empty"),
    ("h.com/" + "a" * 250, "'h.com/" + "a" * 250 + "'", "at most 255"),
    ("café", "'é'", "not allowed"),
]


@pytest.mark.parametrize("text,part,rule", INVALID)
def test_invalid_references_name_the_part_and_the_rule(text: str, part: str, rule: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    message = info.value.message
    assert part in message
    assert rule in message
    assert info.value.hint, "every refusal carries a fix"


def test_uppercase_hint_shows_the_lowercase_name() -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference("127.0.0.1:8080/library/MyApp:v1")
    assert info.value.hint == "use lowercase: 'MyApp' -> 'myapp'"
    assert "how to fix: use lowercase" in str(info.value)


@pytest.mark.parametrize("text,fixed", [
    ("a..b", "a.b"), ("a___b", "a_b"), ("my+app", "my-app"), ("-a", "a"), ("A.-b", "a.b"),
    ("busybox:1.0+build", "busybox:1.0-build"),
])
def test_hints_suggest_a_valid_spelling(text: str, fixed: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert f"'{fixed.split(':')[-1]}'" in info.value.hint
    assert docker_accepts(fixed)
    assert str(parse_reference(fixed)) == fixed


@PROPERTY
@given(st.text("abAB09._-+~ é", min_size=1, max_size=12))
def test_every_suggested_spelling_is_valid(text: str) -> None:
    for build in (lambda t: f"h.example/{t}", lambda t: f"h.example/app:{t}",
                  lambda t: f"{t}/app"):
        try:
            parse_reference(build(text))
        except InvalidReference as err:
            found = re.search(r"(?:for example|->) '([^']*)'", err.hint or "")
            if found:
                assert parse_reference(build(found.group(1)))


def test_long_contexts_are_abbreviated_but_the_part_is_whole() -> None:
    tag = "t" * 129
    with pytest.raises(InvalidReference) as info:
        parse_reference(f"busybox:{tag}")
    assert f"tag '{tag}'" in info.value.message
    assert "..." in info.value.message


def test_properties() -> None:
    ref = parse_reference("127.0.0.1:8080/library/dockercoins/rng:v0.1")
    assert ref.domain == "127.0.0.1:8080"
    assert ref.repository == "library/dockercoins/rng"
    assert ref.project == "library"
    assert ref.name == "127.0.0.1:8080/library/dockercoins/rng"
    assert ref.effective_tag == "v0.1"
    hub = parse_reference("busybox")
    assert (hub.domain, hub.repository, hub.project, hub.effective_tag) == (
        "docker.io", "library/busybox", "library", "latest")
    assert parse_reference("busybox@" + SHA).effective_tag is None


def test_with_tag_drops_the_digest_and_validates() -> None:
    ref = parse_reference("h:5000/app:v1@" + SHA)
    assert str(ref.with_tag("v2")) == "h:5000/app:v2"
    with pytest.raises(InvalidReference, match="'bad tag'"):
        ref.with_tag("bad tag")


def test_with_digest_keeps_the_tag() -> None:
    ref = parse_reference("h:5000/app:v1").with_digest(SHA)
    assert str(ref) == f"h:5000/app:v1@{SHA}"
    with pytest.raises(InvalidReference, match="digest 'sha256:1'"):
        ref.with_digest("sha256:1")


def test_with_registry_moves_the_path_as_written() -> None:
    ref = parse_reference("busybox:v1")
    assert str(ref.with_registry("127.0.0.1:8080")) == "127.0.0.1:8080/busybox:v1"
    assert str(parse_reference("h:5000/team/app").with_registry(None)) == "team/app"
    with pytest.raises(InvalidReference, match="'99999'"):
        ref.with_registry("h:99999")


def test_direct_construction_is_validated() -> None:
    with pytest.raises(InvalidReference, match="'Bad'"):
        ImageReference("h:5000", "Bad")
    with pytest.raises(InvalidReference, match="would be read as a registry"):
        ImageReference(None, "localhost/app")
    with pytest.raises(InvalidReference, match="would be read as a registry"):
        ImageReference(None, "example.com/app")
    with pytest.raises(InvalidReference, match="Docker Hub namespace"):
        ImageReference("registry", "app")
    with pytest.raises(InvalidReference, match="'MyApp' has uppercase"):
        ImageReference("MyApp", "app")
    with pytest.raises(InvalidReference, match="repository path ''"):
        ImageReference("h:5000", "")
    with pytest.raises(TypeError):
        ImageReference("h:5000", "app", 1)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ImageReference(None, "app").tag = "v1"  # type: ignore[misc]


def test_non_str_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_reference(None)  # type: ignore[arg-type]


# --- properties --------------------------------------------------------------------------------

@PROPERTY
@given(references())
def test_generated_references_parse_to_their_parts(ref: ImageReference) -> None:
    text = str(ref)
    parsed = parse_reference(text)
    assert parsed == ref
    assert str(parsed) == text
    assert docker_accepts(text)


@PROPERTY
@given(references())
def test_normalisation_is_idempotent(ref: ImageReference) -> None:
    normal = parse_reference(ref.normalized)
    assert normal.normalized == ref.normalized
    assert parse_reference(normal.normalized) == normal
    assert parse_reference(ref.familiar).normalized == ref.normalized
    assert normal.name == ref.name


@PROPERTY
@given(references(), st.data())
def test_uppercase_components_are_refused_by_name(ref: ImageReference, data: st.DataObject) -> None:
    parts = ref.path.split("/")
    index = data.draw(st.integers(0, len(parts) - 1))
    letters = [i for i, c in enumerate(parts[index]) if c.isalpha()]
    assume(letters)
    at = data.draw(st.sampled_from(letters))
    bad = parts[index][:at] + parts[index][at].upper() + parts[index][at + 1:]
    parts[index] = bad
    text = compose(ref.registry, "/".join(parts), ref.tag, ref.digest)
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert f"'{bad}'" in info.value.message
    assert "must be lowercase" in info.value.message
    assert info.value.hint.startswith(f"use lowercase: '{bad}' -> '{bad.lower()}'")


@PROPERTY
@given(references(), st.sampled_from("+!~$%^&*=,;'\"()é"), st.data())
def test_bad_tag_characters_are_refused_by_name(ref: ImageReference, char: str,
                                                data: st.DataObject) -> None:
    tag = ref.tag or "v1"
    at = data.draw(st.integers(1, len(tag)))
    bad = tag[:at] + char + tag[at:]
    assume(len(bad) <= 128)
    text = compose(ref.registry, ref.path, bad, None)
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert f"tag '{bad}'" in info.value.message
    assert not docker_accepts(text)


@PROPERTY
@given(references(), st.integers(129, 300))
def test_overlong_tags_are_refused_by_name(ref: ImageReference, length: int) -> None:
    tag = "v" * length
    with pytest.raises(InvalidReference) as info:
        parse_reference(compose(ref.registry, ref.path, tag, None))
    assert f"tag '{tag}' is {length} characters long" in info.value.message


@PROPERTY
@given(references(), st.integers(1, 200).filter(lambda n: n != 64))
def test_digests_of_the_wrong_length_are_refused_by_name(ref: ImageReference, n: int) -> None:
    digest = "sha256:" + "a" * n
    text = compose(ref.registry, ref.path, ref.tag, digest)
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert f"digest '{digest}'" in info.value.message
    assert not docker_accepts(text)


@PROPERTY
@given(st.one_of(dns_names, ipv4), st.one_of(st.just(0), st.integers(65536, 10**7)),
       references())
def test_ports_out_of_range_are_refused_by_name(host: str, port: int,
                                                ref: ImageReference) -> None:
    text = compose(f"{host}:{port}", ref.path, ref.tag, ref.digest)
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert f"registry port '{port}'" in info.value.message


REFERENCE_ALPHABET = "abz09AZ._-:/@[]+ "


@settings(deadline=None, max_examples=200)
@given(st.one_of(
    st.text(REFERENCE_ALPHABET, max_size=24),
    st.from_regex(DOCKER_REFERENCE, fullmatch=True),
    references().map(str).flatmap(
        lambda s: st.integers(0, len(s)).flatmap(
            lambda i: st.sampled_from(REFERENCE_ALPHABET).map(lambda c: s[:i] + c + s[i:]))),
))
@example("[:::]/x")
@example("h:0/x")
@example("A/b")
@example("my_host.com/x")
@example("0_0.0/0")
@example("a/B/c")
def test_regkit_agrees_with_docker(text: str) -> None:
    """Accept exactly what Docker accepts, except where regkit is documented to be stricter."""
    try:
        ref = parse_reference(text)
    except InvalidReference as err:
        if docker_accepts(text):
            # regkit is stricter only about the registry part: a port in 1-65535, a real IPv6
            # address, a valid host name where Docker would fall back to "no registry", and
            # no uppercase-only first component (Docker versions disagree on it).
            assert re.search(r": (registry host|registry port|first component) '",
                             err.message), err.message
        return
    assert docker_accepts(text)
    assert str(ref) == text


# --- registry URLs, $REGISTRY, projects, tags ----------------------------------------------

@pytest.mark.parametrize("url,expected", [
    ("http://127.0.0.1:8080", ("http", "127.0.0.1:8080")),
    ("http://127.0.0.1:8080/", ("http", "127.0.0.1:8080")),
    ("https://harbor.example.com", ("https", "harbor.example.com")),
    ("https://harbor.example.com/harbor/projects/1/repositories", ("https", "harbor.example.com")),
    ("HTTPS://Harbor.Example.COM", ("https", "harbor.example.com")),
    ("harbor.example.com:8443", ("https", "harbor.example.com:8443")),
    ("localhost:5000", ("https", "localhost:5000")),
    ("h", ("https", "h")),
    ("https://h:443", ("https", "h:443")),  # the port is kept, as Docker names registries
    ("http://h:80/", ("http", "h:80")),
    ("http://[::1]:5000", ("http", "[::1]:5000")),
    ("  http://h:5000  ", ("http", "h:5000")),
])
def test_split_registry_url(url: str, expected: tuple[str, str]) -> None:
    assert split_registry_url(url) == expected


@pytest.mark.parametrize("url,phrase", [
    ("", "empty"),
    ("ftp://h", "scheme 'ftp'"),
    ("docker://h", "scheme 'docker'"),
    ("http://", "no host"),
    ("https://h:99999", "'99999'"),
    ("https://h:x", "'x'"),
    ("https://my_host", "'my_host'"),
    ("https://h?x=1", "query"),
    ("https://h/#top", "fragment"),
    ("https://::1:5000", "without brackets"),
    ("http://h :5000", "whitespace"),
])
def test_split_registry_url_refusals(url: str, phrase: str) -> None:
    with pytest.raises(InvalidReference) as info:
        split_registry_url(url)
    assert phrase in info.value.message
    assert info.value.hint


@pytest.mark.parametrize("url", ["https://alice:pw-Zq8-4711@harbor.example.com",
                                 "alice:pw-Zq8-4711@harbor.example.com:443"])
def test_user_info_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(InvalidReference) as info:
        split_registry_url(url)
    assert "user-info" in info.value.message
    assert "pw-Zq8-4711" not in str(info.value)
    assert "alice" not in str(info.value)


def test_registry_variable() -> None:
    assert registry_variable("http://127.0.0.1:8080", "library") == "127.0.0.1:8080/library"
    assert registry_variable("https://harbor.example.com/", "dockercoins") == (
        "harbor.example.com/dockercoins")
    assert registry_variable("http://localhost", "library") == "localhost/library"
    with pytest.raises(InvalidReference, match="'Demo'"):
        registry_variable("http://127.0.0.1:8080", "Demo")


@pytest.mark.parametrize("url", ["http://registry", "https://Registry", "harbor"])
def test_registry_variable_refuses_hosts_docker_would_send_to_docker_hub(url: str) -> None:
    with pytest.raises(InvalidReference) as info:
        registry_variable(url, "library")
    assert "Docker Hub" in info.value.message
    host = split_registry_url(url)[1]
    assert f"'{host}:443'" in info.value.hint
    # the hint's spelling really is a registry for Docker
    assert parse_reference(f"{host}:443/library/busybox").registry == f"{host}:443"


@PROPERTY
@given(registries(), st.from_regex(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", fullmatch=True))
def test_registry_variable_makes_valid_image_names(host: str, project: str) -> None:
    assume(len(project) <= 100)
    assume(looks_like_domain(host.lower()))  # the refusal of the other hosts is tested above
    variable = registry_variable(f"http://{host}", project)
    ref = parse_reference(f"{variable}/busybox:v1")
    assert ref.registry == host.lower()
    assert ref.project == project


@pytest.mark.parametrize("name", ["library", "dockercoins", "a", "team-1.web_2", "0" * 255])
def test_valid_project_names(name: str) -> None:
    assert validate_project_name(name) == name


@pytest.mark.parametrize("name,phrase,hint", [
    ("", "empty", "library"),
    ("Demo", "must be lowercase", "use lowercase: 'Demo' -> 'demo'"),
    ("a--b", "single", "'a-b'"),
    ("a__b", "single", "'a_b'"),
    ("-a", "not at the start", "'a'"),
    ("my project!", "lowercase letters", "'my-project'"),
    ("a" * 256, "at most 255", "shorter"),
])
def test_invalid_project_names(name: str, phrase: str, hint: str) -> None:
    with pytest.raises(InvalidReference) as info:
        validate_project_name(name)
    assert f"'{name}'" in info.value.message
    assert phrase in info.value.message
    assert hint in info.value.hint


@pytest.mark.parametrize("tag", ["v1", "latest", "_x", "1.0.0-rc.1", "A" * 128])
def test_valid_tags(tag: str) -> None:
    assert validate_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", ".v1", "-v1", "a/b", "a:b", "v 1", "A" * 129, "naïve"])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(InvalidReference) as info:
        validate_tag(tag)
    assert f"invalid tag '{tag}'" in info.value.message


@pytest.mark.parametrize("host", ["h", "h:1", "127.0.0.1:8080", "[::1]:5000", "[::1]",
                                  "Harbor.Example.com"])
def test_validate_registry_host(host: str) -> None:
    assert validate_registry_host(host) == host


@pytest.mark.parametrize("host", ["", "h/x", "..", "h:0", "::1", "a b", "h:"])
def test_validate_registry_host_refusals(host: str) -> None:
    with pytest.raises(InvalidReference):
        validate_registry_host(host)


def test_reference_and_settings_import_only_the_stdlib() -> None:
    heavy = ["cryptography", "docker", "ipywidgets", "requests", "yaml"]
    # An uninstalled module could never show up as loaded: the check would prove nothing.
    assert [m for m in heavy if importlib.util.find_spec(m) is None] == []
    code = ("import sys, regkit.reference, regkit.settings; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("name", "expected"), [
    ("10.203.0.2", True), ("::1", True), ("fe80::1%eth0", True),
    ("harbor.example.com", False), ("localhost", False), ("[::1]", False),
    ("127.0.0.1:8080", False), ("", False),
])
def test_is_ip_literal(name: str, expected: bool) -> None:
    assert is_ip_literal(name) is expected

