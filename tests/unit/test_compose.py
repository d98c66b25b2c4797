"""Compose interpolation (Compose's rules, form by form), loading the DockerCoins file, commands."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regkit.compose import (
    ComposeProject,
    InterpolationWarning,
    build_and_push,
    compose_command,
    interpolate,
    load,
)
from regkit.errors import InvalidReference, SettingsError

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "notebooks" / "stacks" / "dockercoins.yml"
BUILT = ["rng", "hasher", "webui", "worker"]

# --- strategies ---------------------------------------------------------------------------

names = st.from_regex(r"[_A-Za-z][_A-Za-z0-9]{0,8}", fullmatch=True)
values = st.text(max_size=12)
# A literal that cannot start or end a substitution: no "$", no "}".
plain = st.text(alphabet=st.characters(exclude_characters="$}"), max_size=12)
environs = st.dictionaries(names, values, max_size=6)


@st.composite
def env_and_name(draw):
    """An environment and a name that is set (maybe empty) or unset, all three cases drawn."""
    env = draw(environs)
    name = draw(names)
    state = draw(st.sampled_from(["unset", "empty", "value"]))
    env = dict(env)
    env.pop(name, None)
    if state == "empty":
        env[name] = ""
    elif state == "value":
        env[name] = draw(values.filter(bool))
    return env, name


def run(template, env):
    caught: list[str] = []
    return interpolate(template, env, warnings=caught), caught


# --- properties ---------------------------------------------------------------------------


@given(text=st.text(alphabet=st.characters(exclude_characters="$")), env=environs)
def test_text_without_dollar_is_unchanged(text, env):
    assert run(text, env) == (text, [])


@given(text=st.text(), env=environs)
def test_escaped_dollars_round_trip(text, env):
    assert run(text.replace("$", "$$"), env) == (text, [])


@given(case=env_and_name(), default=plain)
def test_dash_default_only_when_unset(case, default):
    env, name = case
    expected = env[name] if name in env else default
    assert run(f"${{{name}-{default}}}", env) == (expected, [])


@given(case=env_and_name(), default=plain)
def test_colon_dash_default_when_unset_or_empty(case, default):
    env, name = case
    expected = env[name] if env.get(name) else default
    assert run(f"${{{name}:-{default}}}", env) == (expected, [])


@given(case=env_and_name(), alt=plain)
def test_plus_alternative_when_set(case, alt):
    env, name = case
    assert run(f"${{{name}+{alt}}}", env) == (alt if name in env else "", [])


@given(case=env_and_name(), alt=plain)
def test_colon_plus_alternative_when_set_and_not_empty(case, alt):
    env, name = case
    assert run(f"${{{name}:+{alt}}}", env) == (alt if env.get(name) else "", [])


@given(case=env_and_name(), message=plain)
def test_question_mark_errors_only_when_unset(case, message):
    env, name = case
    if name in env:
        assert run(f"${{{name}?{message}}}", env) == (env[name], [])
    else:
        with pytest.raises(SettingsError) as caught:
            run(f"${{{name}?{message}}}", env)
        assert f"required variable {name} is missing a value" in caught.value.message
        assert message.strip(" ") in caught.value.message


@given(case=env_and_name(), message=plain)
def test_colon_question_mark_errors_when_unset_or_empty(case, message):
    env, name = case
    if env.get(name):
        assert run(f"${{{name}:?{message}}}", env) == (env[name], [])
    else:
        with pytest.raises(SettingsError, match=f"required variable {name} is missing"):
            run(f"${{{name}:?{message}}}", env)


@given(case=env_and_name(), braced=st.booleans(), after=st.sampled_from(["", "-x", "/y", " z"]))
def test_plain_variable_is_its_value_or_empty_with_a_warning(case, braced, after):
    env, name = case
    template = (f"${{{name}}}" if braced else f"${name}") + after
    result, caught = run(template, env)
    if name in env:
        assert (result, caught) == (env[name] + after, [])
    else:
        assert result == after
        assert caught == [f'The "{name}" variable is not set. Defaulting to a blank string.']


@given(env=environs, a=names, b=names, c=plain)
def test_nested_defaults(env, a, b, c):
    result, _ = run(f"${{{a}-${{{b}-{c}}}}}", env)
    if a in env:
        assert result == env[a]
    elif b in env:
        assert result == env[b]
    else:
        assert result == c


piece = st.one_of(plain, st.just("$$"), names.map(lambda n: f"${{{n}}}"),
                  st.tuples(names, plain).map(lambda p: f"${{{p[0]}:-{p[1]}}}"))


@given(left=st.lists(piece, max_size=4).map("".join),
       right=st.lists(piece, max_size=4).map("".join), env=environs)
def test_interpolation_distributes_over_well_formed_pieces(left, right, env):
    assert run(left + right, env)[0] == run(left, env)[0] + run(right, env)[0]


@given(key=st.text(min_size=1, max_size=6).map(lambda k: "$" + k),
       number=st.integers(), flag=st.booleans())
def test_keys_and_non_strings_are_left_alone(key, number, flag):
    doc = {key: {"n": number, "b": flag, "none": None, "list": ["${A}", number]}}
    result, _ = run(doc, {"A": "a"})
    assert result == {key: {"n": number, "b": flag, "none": None, "list": ["a", number]}}


# --- Compose's edge cases, one row each ---------------------------------------------------

CASES = [
    # (template, environ, expected)
    ("$A", {"A": "x"}, "x"),
    ("$A-B", {"A": "x"}, "x-B"),            # "-" ends a bare name: not a default
    ("$A_B", {"A": "x", "A_B": "y"}, "y"),  # "_" belongs to the name
    ("${A}B", {"A": "x"}, "xB"),
    ("$$A", {"A": "x"}, "$A"),
    ("$$$A", {"A": "x"}, "$x"),
    ("$${A}", {"A": "x"}, "${A}"),
    ("$1", {}, "$1"),                       # a "$" that starts nothing stays
    ("a $ b", {}, "a $ b"),
    ("end$", {}, "end$"),
    ("$-x", {}, "$-x"),
    ("${A-}", {}, ""),
    ("${A:-}", {"A": ""}, ""),
    ("${A-x}", {"A": ""}, ""),              # "-" keeps an empty value
    ("${A:-x}", {"A": ""}, "x"),
    ("${A-x}y}", {}, "xy}"),                # the first "}" at depth 0 closes
    ("${A-{x}", {}, "{x"),                  # a lone "{" is text
    ("${A-a:b}", {}, "a:b"),
    ("${A--x}", {}, "-x"),                  # the default is "-x"
    ("${A:--x}", {}, "-x"),
    ("${A-${B}}", {"B": "b"}, "b"),
    ("${A-${B:-${C-c}}}", {"B": ""}, "c"),
    ("${A-$${B}}", {}, "${B}"),
    ("${A+${B}}", {"A": "", "B": "b"}, "b"),
    ("${A:+set}", {"A": ""}, ""),
    ("${A?}", {"A": ""}, ""),
    ("${a}", {"a": "lower", "A": "upper"}, "lower"),  # names are case-sensitive
    ("${REGISTRY-127.0.0.1:5000}/rng:${TAG-latest}", {}, "127.0.0.1:5000/rng:latest"),
    ("${REGISTRY-127.0.0.1:5000}/rng:${TAG-latest}", {"REGISTRY": "h:8080/library",
                                                       "TAG": "v0.1"}, "h:8080/library/rng:v0.1"),
]


@pytest.mark.parametrize("template, env, expected", CASES)
def test_compose_edge_cases(template, env, expected):
    assert run(template, env)[0] == expected


SYNTAX_ERRORS = [
    # (template, position named in the message)
    ("${", 0),
    ("${VAR", 0),
    ("${-x}", 0),
    ("${}", 0),
    ("${ A}", 0),
    ("${1A}", 0),
    ("${A:x}", 3),
    ("${A!}", 3),
    ("abc${A-x", 3),
    ("${A-${B}", 0),
    ("ok ${A-${}}", 7),       # the error inside the default names its own position
]


@pytest.mark.parametrize("template, position", SYNTAX_ERRORS)
def test_bad_syntax_is_an_error_naming_the_position(template, position):
    with pytest.raises(SettingsError) as caught:
        interpolate(template, {"A": "a"}, warnings=[], where="services.x.image")
    message = caught.value.message
    assert message.startswith("invalid interpolation in services.x.image")
    assert repr(template) in message
    assert f"at position {position}:" in message
    assert caught.value.hint and "$$" in caught.value.hint


def test_required_message_is_composes_and_the_hint_says_what_to_export():
    with pytest.raises(SettingsError) as caught:
        interpolate("${TAG:?set TAG to a version}", {"TAG": ""}, where="services.rng.image")
    assert caught.value.message == ("services.rng.image: required variable TAG is missing a "
                                    "value: set TAG to a version")
    assert "TAG is empty" in caught.value.hint and "non-empty" in caught.value.hint


def test_an_error_inside_an_unused_default_still_counts_as_in_compose():
    with pytest.raises(SettingsError, match="required variable B"):
        interpolate("${A-${B?needed}}", {"A": "set"}, warnings=[])


def test_warnings_go_to_the_warnings_module_when_no_list_is_given():
    with pytest.warns(InterpolationWarning, match='"NOPE" variable is not set'):
        assert interpolate("x${NOPE}", {}) == "x"


def test_warnings_name_where_the_variable_was_used():
    caught: list[str] = []
    interpolate({"services": {"web": {"environment": ["A=$UNSET"]}}}, {}, warnings=caught)
    assert caught == ['services.web.environment[0]: The "UNSET" variable is not set. '
                      "Defaulting to a blank string."]


def test_os_environ_is_the_default(monkeypatch):
    monkeypatch.setenv("REGKIT_TEST_VARIABLE", "from-os")
    assert interpolate("${REGKIT_TEST_VARIABLE}") == "from-os"


# --- load() on the course's file ----------------------------------------------------------


def test_load_the_stack_without_registry_or_tag_uses_the_files_defaults():
    project = load(STACK, {})
    assert isinstance(project, ComposeProject)
    assert project.name == "stacks"
    assert [s.name for s in project.services] == ["rng", "hasher", "webui", "redis", "worker"]
    images = {s.name: s.image for s in project.services}
    assert images == {name: f"127.0.0.1:5000/{name}:latest" for name in BUILT} | {
        "redis": "redis"}
    assert project.warnings == ()  # "-" defaults apply silently when a variable is unset
    for name in BUILT:
        service = project.service(name)
        assert service.build.context == STACK.parent / "dockercoins" / name
        assert service.build.context_text == f"dockercoins/{name}"
        assert (service.build.context / "Dockerfile").is_file()
        assert service.image_template == "${REGISTRY-127.0.0.1:5000}/" + name + ":${TAG-latest}"
        assert service.reference.registry == "127.0.0.1:5000"
    assert project.service("redis").build is None
    assert project.service("redis").reference.normalized == "docker.io/library/redis:latest"
    assert project.service("worker").config["deploy"] == {"replicas": 10}
    assert project.service("rng").config["deploy"] == {"mode": "global"}
    assert project.service("webui").config["ports"] == ["8000:80"]


def test_the_stack_file_has_no_version_key_and_says_why():
    text = STACK.read_text()
    assert not re.search(r"^version:", text, re.M)
    assert "version:" in text and "obsolete" in text  # the comment explaining it


def test_load_the_stack_with_registry_and_tag():
    project = load(STACK, {"REGISTRY": "127.0.0.1:8080/library", "TAG": "v0.1"})
    for name in BUILT:
        reference = project.service(name).reference
        assert str(reference) == f"127.0.0.1:8080/library/{name}:v0.1"
        assert (reference.registry, reference.path, reference.tag) == (
            "127.0.0.1:8080", f"library/{name}", "v0.1")


def test_an_empty_tag_is_an_error_naming_the_service_and_the_variables():
    with pytest.raises(InvalidReference) as caught:
        load(STACK, {"TAG": ""})
    message = caught.value.message
    assert message.startswith("service 'rng': image '127.0.0.1:5000/rng:'")
    assert "${TAG-latest}" in message
    assert "the name comes from REGISTRY, TAG" in caught.value.hint
    assert "only replaces an unset variable" in caught.value.hint


@pytest.mark.parametrize("registry", ["Bad Host:5000/x", "127.0.0.1:5000/UPPER", "h:5000//x"])
def test_a_bad_registry_value_is_an_error_naming_the_service(registry):
    with pytest.raises(InvalidReference, match=r"^service 'rng': image "):
        load(STACK, {"REGISTRY": registry, "TAG": "v1"})


# --- load() edge cases on small files -----------------------------------------------------


def write(tmp_path: Path, text: str, contexts=("app",)) -> Path:
    for context in contexts:
        (tmp_path / context).mkdir(parents=True, exist_ok=True)
        (tmp_path / context / "Dockerfile").write_text("FROM busybox\n")
    file = tmp_path / "compose.yml"
    file.write_text(text)
    return file


def test_version_key_gives_composes_obsolete_warning(tmp_path):
    project = load(write(tmp_path, 'version: "3"\nservices:\n  app:\n    build: app\n'), {})
    assert any("`version` is obsolete" in w for w in project.warnings)


def test_unset_variable_warns_with_its_location(tmp_path):
    file = write(tmp_path, "services:\n  app:\n    build: app\n    image: h:5000/app:$TAG\n")
    with pytest.raises(InvalidReference):  # "h:5000/app:" has an empty tag
        load(file, {})
    project = load(write(tmp_path, "services:\n  app:\n    build: app\n"
                                   "    environment: [X=$NOPE]\n"), {})
    assert project.warnings == ('services.app.environment[0]: The "NOPE" variable is not set. '
                                "Defaulting to a blank string.",)


def test_keys_are_not_interpolated_in_a_file(tmp_path):
    file = write(tmp_path, "services:\n  app:\n    build: app\n    labels:\n"
                           "      $KEY: $VALUE\n")
    assert load(file, {"KEY": "k", "VALUE": "v"}).service("app").config["labels"] == {
        "$KEY": "v"}


def test_build_mapping_with_dockerfile_and_args(tmp_path):
    file = write(tmp_path, "services:\n  app:\n    build:\n      context: ./app\n"
                           "      dockerfile: Other.Dockerfile\n      args:\n"
                           "        A: ${A_VALUE}\n        FROM_ENV:\n        GONE:\n"
                           "    image: h:5000/app:v1\n")
    (tmp_path / "app" / "Other.Dockerfile").write_text("FROM busybox\n")
    build = load(file, {"A_VALUE": "1", "FROM_ENV": "e"}).service("app").build
    assert build.context == tmp_path / "app"
    assert build.dockerfile == "Other.Dockerfile"
    assert dict(build.args) == {"A": "1", "FROM_ENV": "e"}


def test_build_args_as_a_list(tmp_path):
    file = write(tmp_path, "services:\n  app:\n    build:\n      context: app\n"
                           "      args: [A=1, FROM_ENV]\n")
    assert dict(load(file, {"FROM_ENV": "e"}).service("app").build.args) == {
        "A": "1", "FROM_ENV": "e"}


def test_service_without_image_gets_composes_default_name(tmp_path):
    project = load(write(tmp_path, "name: Demo_1\nservices:\n  app:\n    build: app\n"), {})
    assert project.name == "demo_1"
    assert project.service("app").image is None
    assert project.service("app").image_name == "demo_1-app"


@pytest.mark.parametrize("text, fragment", [
    ("services:\n  app:\n    build: missing\n", "service 'app': build context 'missing' is "
                                                  "not a directory"),
    ("services:\n  app:\n    build:\n      context: app\n      dockerfile: Nope\n",
     "service 'app': no Nope in 'app'"),
    ("services:\n  app:\n    build: https://github.com/x/y.git\n", "service 'app': build "
                                                                     "context"),
    ("services:\n  app:\n    ports: ['80']\n", "service 'app' has neither an image nor a build"),
    ("services:\n  app:\n    build: app\n  app:\n    build: app\n", "duplicate key 'app'"),
    ("services:\n  app: [\n", "is not valid YAML"),
    ("image: x\n", "has no services: mapping"),
    ("services:\n  app: just-a-string\n", "services.app must be a mapping"),
    ("services:\n  app:\n    image: ${A:?give A}\n", "services.app.image: required variable A"),
    ("services:\n  app:\n    image: ${A\n", "invalid interpolation in services.app.image"),
])
def test_bad_files_are_clear_errors(tmp_path, text, fragment):
    with pytest.raises(SettingsError) as caught:
        load(write(tmp_path, text), {})
    assert fragment in caught.value.message
    assert caught.value.hint


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(SettingsError, match="cannot read compose file"):
        load(tmp_path / "nope.yml", {})


def test_image_that_is_not_a_string_names_the_service(tmp_path):
    with pytest.raises(InvalidReference, match="service 'app': image must be a string"):
        load(write(tmp_path, "services:\n  app:\n    image: 5\n"), {})


def test_a_dot_env_file_is_not_read_and_a_warning_says_so(tmp_path):
    file = write(tmp_path, "services:\n  app:\n    build: app\n    image: h:5000/app:${T-v1}\n")
    (tmp_path / ".env").write_text("T=from-dot-env\n")
    project = load(file, {})
    assert project.service("app").image == "h:5000/app:v1"
    assert any(".env exists" in w for w in project.warnings)


def test_unknown_service_lists_the_ones_there_are():
    with pytest.raises(SettingsError) as caught:
        load(STACK, {}).service("miner")
    assert "rng, hasher, webui, redis, worker" in caught.value.hint


# --- commands and the parts of build_and_push that need no Engine -------------------------


def test_compose_command_matches_the_slide():
    assert compose_command("dockercoins.yml", registry="127.0.0.1:8080/library",
                           tag="v0.1") == [
        "export REGISTRY=127.0.0.1:8080/library",
        "export TAG=v0.1",
        "docker compose -f dockercoins.yml build",
        "docker compose -f dockercoins.yml push",
    ]


def test_compose_command_quotes_and_limits_services(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    lines = compose_command(load(STACK, {}), tag="a b", services=["rng"], push=False)
    assert lines == ["export TAG='a b'", "docker compose -f stacks/dockercoins.yml build rng"]


def test_build_and_push_skips_services_without_build_without_touching_the_engine():
    events = []
    results = build_and_push(load(STACK, {}), engine=None, services=["redis"],
                             progress=lambda service, event: events.append((service, event)))
    assert [(r.name, r.status, r.image, r.image_id) for r in results] == [
        ("redis", "skipped", "redis", None)]
    assert "no build:" in results[0].reason
    assert events == [("redis", {"regkit": "skip", "reason": results[0].reason})]


def test_build_and_push_refuses_an_unknown_service_before_building():
    with pytest.raises(SettingsError, match="no service 'miner'"):
        build_and_push(load(STACK, {}), engine=None, services=["rng", "miner"])


@settings(max_examples=50)
@given(name=st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=6))
def test_unset_names_in_the_stack_file_never_warn(name):
    # The file only uses "-" defaults: whatever else is (un)set, loading it is silent.
    assert load(STACK, {name: "x"} if name not in ("REGISTRY", "TAG") else {}).warnings == ()
