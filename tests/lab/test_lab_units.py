"""The lab's pure parts, without processes: replies, manifests, tokens, store and roles."""

from __future__ import annotations

import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from regkit.lab.access import Access
from regkit.lab.manifests import artifact_fields, read_manifest
from regkit.lab.proxy import RegistryProxy
from regkit.lab.replies import (
    HarborError,
    fmt_time,
    link_header,
    parse_paging,
    parse_q,
    sort_rows,
)
from regkit.lab.store import (
    ROLE_DEVELOPER,
    ROLE_GUEST,
    ROLE_MAINTAINER,
    Conflict,
    Store,
    hash_password,
    verify_password,
)
from regkit.lab.tokens import TokenIssuer


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer(rsa.generate_private_key(public_exponent=65537, key_size=2048))


# -- replies -----------------------------------------------------------------------------------


def test_times_are_harbors():
    assert fmt_time(0) == "0001-01-01T00:00:00.000Z"
    assert fmt_time(None) == "0001-01-01T00:00:00.000Z"
    assert fmt_time(1704164645.678) == "2024-01-02T03:04:05.678Z"


def test_paging_validation():
    assert parse_paging({}) == parse_paging({"page": "1", "page_size": "10"})
    assert parse_paging({"page": "0"}).page == 1
    assert parse_paging({"page_size": "0"}).slice(list(range(50))) == list(range(50))
    with pytest.raises(HarborError) as caught:
        parse_paging({"page_size": "101"})
    assert caught.value.status == 422
    with pytest.raises(HarborError) as caught:
        parse_paging({"page": "two"})
    assert 'page in query must be of type int64: "two"' in caught.value.message


def test_link_header_like_harbors():
    assert link_header("/api/v2.0/projects", "", total=5, page=1, page_size=10) is None
    assert link_header("/api/v2.0/projects", "", total=0, page=1, page_size=10) is None
    assert link_header("/api/v2.0/projects", "q=name%3D~ab&page_size=2&page=2", total=5, page=2,
                       page_size=2) == (
        '</api/v2.0/projects?page=1&page_size=2&q=name=~ab>; rel="prev" , '
        '</api/v2.0/projects?page=3&page_size=2&q=name=~ab>; rel="next"')
    assert link_header("/x", "", total=30, page=1, page_size=0) is None


def test_q_syntax():
    filters = parse_q('name=~lib,public=true,id={1 2},size=[10~20],tags="v1"')
    assert [(f.key, f.kind, f.values) for f in filters] == [
        ("name", "fuzzy", ("lib",)), ("public", "exact", ("true",)),
        ("id", "any", ("1", "2")), ("size", "range", ("10", "20")),
        ("tags", "exact", ("v1",))]
    assert filters[0].matches("Library") and not filters[0].matches("other")
    assert filters[1].matches(True) and filters[2].matches(2)
    with pytest.raises(HarborError):
        parse_q("nonsense")


def test_sort_rows_ignores_unknown_keys():
    rows = [{"n": "b", "t": 1}, {"n": "a", "t": 2}, {"n": "c", "t": 2}]
    fields = {"name": lambda r: r["n"], "t": lambda r: r["t"]}
    assert [r["n"] for r in sort_rows(rows, "name", fields)] == ["a", "b", "c"]
    assert [r["n"] for r in sort_rows(rows, "-t,name", fields)] == ["a", "c", "b"]
    assert sort_rows(rows, "unknown", fields) == rows


# -- manifests ---------------------------------------------------------------------------------


def test_image_manifest_becomes_an_image_artifact():
    body = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": "sha256:c0", "size": 100},
        "layers": [{"digest": "sha256:l1", "size": 1000}, {"digest": "sha256:l2", "size": 24}],
        "annotations": {"org.opencontainers.image.title": "demo"},
    }).encode()
    info = read_manifest(body, "")
    fields = artifact_fields(info, len(body), {"architecture": "arm64", "os": "linux",
                                               "created": "2024-01-01T00:00:00Z",
                                               "config": {"Cmd": ["sh"]}, "history": []})
    assert fields["kind"] == "IMAGE"
    assert fields["media_type"] == "application/vnd.oci.image.config.v1+json"
    assert fields["size"] == len(body) + 1124
    assert fields["extra_attrs"] == {"architecture": "arm64", "os": "linux",
                                     "created": "2024-01-01T00:00:00Z", "author": "",
                                     "config": {"Cmd": ["sh"]}}
    assert fields["annotations"] == {"org.opencontainers.image.title": "demo"}


def test_index_and_unknown_artifacts():
    index = json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": "sha256:a", "size": 500, "platform": {"architecture": "amd64", "os": "linux"}},
        {"digest": "sha256:b", "size": 400, "platform": {"architecture": "arm64", "os": "linux",
                                                         "variant": "v8"}}]}).encode()
    fields = artifact_fields(read_manifest(index, "application/vnd.oci.image.index.v1+json"),
                             len(index), None)
    assert fields["kind"] == "IMAGE" and fields["size"] == len(index) + 900
    assert fields["references"][1] == {"child_digest": "sha256:b", "platform": {
        "architecture": "arm64", "os": "linux", "variant": "v8"}}
    chart = json.dumps({"schemaVersion": 2, "config": {
        "mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:c",
        "size": 1}, "layers": []}).encode()
    assert artifact_fields(read_manifest(chart, ""), len(chart), None)["kind"] == "CHART"
    odd = json.dumps({"schemaVersion": 2, "config": {"mediaType": "x/y", "digest": "sha256:d",
                                                     "size": 1}}).encode()
    assert artifact_fields(read_manifest(odd, ""), len(odd), None)["kind"] == "UNKNOWN"


# -- tokens ------------------------------------------------------------------------------------


def test_tokens_round_trip_and_refuse_tampering(issuer):
    token = issuer.issue("admin", [{"type": "repository", "name": "library/a",
                                    "actions": ["pull"]}])["token"]
    assert issuer.verify(token)["sub"] == "admin"
    head, payload, signature = token.split(".")
    assert issuer.verify(f"{head}.{payload}.{signature[:-4]}AAAA") is None
    other = TokenIssuer(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert other.verify(token) is None  # another key (and kid)
    expired = issuer.issue("admin", [], now=time.time() - 3600)["token"]
    assert issuer.verify(expired) is None
    assert issuer.verify("not.a.token") is None and issuer.verify("garbage") is None


def test_token_key_is_created_private_and_reused(tmp_path):
    path = tmp_path / "token.key"
    first = TokenIssuer.load_or_create(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert TokenIssuer.load_or_create(path).kid == first.kid


# -- store and roles ---------------------------------------------------------------------------


def test_passwords_are_hashed():
    stored = hash_password("s3cret")
    assert "s3cret" not in stored and stored.startswith("scrypt$")
    assert verify_password("s3cret", stored) and not verify_password("S3cret", stored)
    assert not verify_password("x", "not-a-hash")


def test_store_defaults_and_conflicts():
    store = Store(":memory:")
    library = store.project_by_name("library")
    assert library["project_id"] == 1 and library["public"] == 1
    store.ensure_user("admin", "pw", sysadmin=True)
    assert store.check_password("admin", "pw") is not None
    assert store.check_password("admin", "nope") is None
    with pytest.raises(Conflict):
        store.create_project("library", 1, True)


def test_a_tag_pushed_again_moves_and_leaves_the_old_artifact_untagged():
    store = Store(":memory:")
    common = dict(project_id=1, repository="library/app", kind="IMAGE", media_type="m",
                  manifest_media_type="mm", artifact_type="", size=1, extra_attrs={},
                  annotations={}, references=[])
    first = store.record_push(digest="sha256:1", tag="latest", **common)
    second = store.record_push(digest="sha256:2", tag="latest", **common)
    repository = store.repository_by_name("library/app")
    assert store.tag(repository["id"], "latest")["artifact_id"] == second
    tags = store.tags_of([first, second])
    assert tags[first] == [] and [t["name"] for t in tags[second]] == ["latest"]
    assert len(store.artifacts(repository["id"])) == 2


def test_roles_give_harbors_repository_permissions():
    store = Store(":memory:")
    access = Access(store)
    store.ensure_user("admin", "pw", sysadmin=True)
    user = store.ensure_user("ann", "pw")
    private = store.project_by_id(store.create_project("private", 1, False))
    public = store.project_by_name("library")
    caller = access.resolve("Basic " + "YW5uOnB3", bearer=False)  # ann:pw
    assert caller.username == "ann" and not caller.sysadmin
    assert access.repository_actions(caller, public) == {"pull"}
    assert access.repository_actions(caller, private) == set()
    member = store.add_member(private["project_id"], user["user_id"], ROLE_GUEST)
    for role, actions in ((ROLE_GUEST, {"pull"}), (ROLE_DEVELOPER, {"pull", "push"}),
                          (ROLE_MAINTAINER, {"pull", "push", "delete"})):
        store.update_member(member, role)
        assert access.repository_actions(caller, private) == actions
    with pytest.raises(Conflict):
        store.add_member(private["project_id"], user["user_id"], ROLE_GUEST)
    anonymous = access.resolve(None, bearer=False)
    assert access.repository_actions(anonymous, public) == {"pull"}
    assert not access.can_read_project(anonymous, private)
    wrong = access.resolve("Basic " + "YW5uOnd4", bearer=False)  # ann:wx
    assert not wrong.authenticated and wrong.sent_credentials


def test_registry_routes_are_linear_on_long_names():
    name = "a" * 300 + "/" + "b-" * 100 + "c"
    route, match = RegistryProxy._route(f"/v2/{name}/blobs/uploads/1234-5678-abcd")
    assert route == "upload" and match["name"] == name
    assert RegistryProxy._route("/v2/" + "a" * 5000 + "!/x")[0] is None
