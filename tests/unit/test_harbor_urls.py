"""Harbor paths, double-encoded repository names, references and ``Link`` headers (pure)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regkit.errors import InvalidReference
from regkit.harbor import urls

DIGEST = "sha256:" + "a1" * 32

# Repository names as Harbor accepts them (path components joined by '/'), plus arbitrary
# text: the encoding must round-trip whatever it is given.
component = st.from_regex(r"[a-z0-9]+(?:[._-][a-z0-9]+)*", fullmatch=True)
repo_names = st.lists(component, min_size=1, max_size=4).map("/".join)


@given(repo_names)
def test_repository_names_decode_twice_to_themselves(name):
    encoded = urls.encode_repository(name)
    assert "/" not in encoded
    assert unquote(unquote(encoded)) == name
    assert urls.decode_repository(encoded) == name


@given(st.text(min_size=1))
def test_any_text_round_trips_and_never_leaves_a_raw_slash(name):
    encoded = urls.encode_repository(name)
    assert "/" not in encoded and "?" not in encoded and "#" not in encoded
    assert unquote(unquote(encoded)) == name


@pytest.mark.parametrize("name, encoded", [
    ("busybox", "busybox"),
    ("a/b", "a%252Fb"),
    ("team/app/web", "team%252Fapp%252Fweb"),
    ("a b", "a%2520b"),
])
def test_double_encoding_matches_harbors_documented_example(name, encoded):
    assert urls.encode_repository(name) == encoded


def test_empty_names_are_refused_with_a_hint():
    with pytest.raises(InvalidReference) as err:
        urls.encode_repository("")
    assert err.value.hint
    with pytest.raises(InvalidReference):
        urls.encode_project("")


@pytest.mark.parametrize("project, given, expected", [
    ("library", "library/busybox", "busybox"),
    ("library", "busybox", "busybox"),
    ("demo", "demo/team/app", "team/app"),
    ("demo", "team/app", "team/app"),
    ("demo", "demonstration/app", "demonstration/app"),  # a prefix of the name is not the project
])
def test_repository_names_are_accepted_with_or_without_their_project(project, given, expected):
    assert urls.repository_in_project(project, given) == expected


def test_a_name_that_is_only_the_project_prefix_is_refused():
    with pytest.raises(InvalidReference):
        urls.repository_in_project("demo", "demo/")


def test_paths_exclude_the_project_from_the_repository_parameter():
    assert urls.artifacts_path("demo", "demo/team/app") == (
        "/api/v2.0/projects/demo/repositories/team%252Fapp/artifacts")
    assert urls.artifact_path("demo", "app", DIGEST) == (
        f"/api/v2.0/projects/demo/repositories/app/artifacts/{DIGEST}")
    assert urls.tag_path("p", "r", "v1", "v2") == (
        "/api/v2.0/projects/p/repositories/r/artifacts/v1/tags/v2")
    assert urls.repositories_path() == "/api/v2.0/repositories"
    assert urls.project_path("123") == "/api/v2.0/projects/123"


@pytest.mark.parametrize("reference", ["v1", "latest", "1.2.3-rc_1", "A" * 128, DIGEST,
                                       "sha512:" + "0" * 128])
def test_tags_and_digests_are_valid_references(reference):
    assert urls.validate_artifact_reference(reference) == reference


@pytest.mark.parametrize("reference", ["", "-v1", ".v1", "v/1", "a" * 129, "sha256:xyz",
                                       "v1:extra", "../etc"])
def test_other_references_are_refused_before_any_request(reference):
    with pytest.raises(InvalidReference) as err:
        urls.validate_artifact_reference(reference)
    assert err.value.hint


def test_a_bad_tag_name_is_refused_when_building_a_tag_path():
    with pytest.raises(InvalidReference):
        urls.tag_path("p", "r", "v1", "no/slash")


# -- Link headers ------------------------------------------------------------------------

HARBOR_BOTH = ('</api/v2.0/projects?page=1&page_size=10>; rel="prev" , '
               '</api/v2.0/projects?page=3&page_size=10>; rel="next"')


def test_harbors_space_comma_space_join_is_split_into_prev_and_next():
    links = urls.parse_link_header(HARBOR_BOTH)
    assert links["prev"].url == "/api/v2.0/projects?page=1&page_size=10"
    assert links["next"].url == "/api/v2.0/projects?page=3&page_size=10"
    assert urls.next_page(HARBOR_BOTH) == 3
    assert urls.link_page(links["prev"]) == (1, 10)


def test_only_prev_means_the_last_page():
    header = '</api/v2.0/projects?page=2&page_size=100>; rel="prev"'
    assert urls.next_page(header) is None
    assert set(urls.parse_link_header(header)) == {"prev"}


@pytest.mark.parametrize("header", [None, "", "   "])
def test_an_absent_or_blank_header_has_no_links(header):
    assert urls.parse_link_header(header) == {}
    assert urls.next_page(header) is None


def test_commas_inside_the_unescaped_query_do_not_split_links():
    # Harbor writes the query unescaped, so q=name={a,b} keeps its comma.
    header = ('</api/v2.0/projects?page=2&page_size=100&q=name={a,b}>; rel="next" , '
              '</api/v2.0/projects?page=0>; rel="prev"')
    links = urls.parse_link_header(header)
    assert links["next"].url.endswith("q=name={a,b}")
    assert urls.next_page(header) == 2


def test_rfc8288_plain_commas_and_unquoted_rel_are_read_too():
    header = '<https://h/x?page=2>; rel=next,<https://h/x?page=1>; rel="prev first"'
    links = urls.parse_link_header(header)
    assert urls.link_page(links["next"]) == (2, None)
    assert links["first"].url == "https://h/x?page=1"


def test_a_link_without_a_page_number_gives_no_next_page():
    assert urls.next_page('</api/v2.0/projects?cursor=abc>; rel="next"') is None
    assert urls.parse_link_header("garbage without brackets") == {}
