"""Tracing of signal writes: where they come from, who sees them, and no secrets."""

from __future__ import annotations

import inspect
import logging
import sys
import threading
import types
from collections.abc import Iterator

import pytest
import reactivex

from impact_rx import (
    Disposable,
    ServiceProvider,
    Signal,
    batch,
    computed,
    effect,
    observe,
    service,
    signal,
    signal_of,
)
from impact_rx import _signal as core
from impact_rx.debug import TracedWrite, observers, statistics, trace
from impact_rx.session import (
    USER,
    AuthApi,
    AuthSession,
    Credentials,
    Secret,
    SessionService,
    Tokens,
    User,
)


@service
class Counter(Disposable):
    count = signal(0)
    access_token = signal("")

    def increment(self) -> None:
        self.count += 1

    def store(self, token: str) -> None:
        self.access_token = token


def _line_of(function: object, text: str) -> int:
    """The line number of the first line of ``function`` containing ``text``."""
    lines, first = inspect.getsourcelines(function)  # type: ignore[arg-type]
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.fixture(autouse=True)
def _switched_off_afterwards() -> Iterator[None]:
    """A failing test must not leave tracing on for the ones after it."""
    yield
    trace.disable()


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="impact_rx.debug")
    return caplog


def _traced(caplog: pytest.LogCaptureFixture) -> list[TracedWrite]:
    return [r.traced_write for r in caplog.records if hasattr(r, "traced_write")]


def test_a_write_through_a_service_method_names_the_writing_line(
    log: pytest.LogCaptureFixture,
) -> None:
    with ServiceProvider([Counter], name="app") as app, trace():
        app.get(Counter).increment()

    (write,) = _traced(log)
    assert write.site is not None
    assert write.site.filename == __file__
    assert write.site.lineno == _line_of(Counter.increment, "self.count += 1")
    assert write.site.function == "Counter.increment"
    assert (write.signal, write.owner, write.old, write.new) == (
        "Counter.count",
        "Counter",
        "0",
        "1",
    )
    line = write.site.lineno
    assert log.messages == [
        f"Counter.count: 0 -> 1 at test_debug.py:{line} in Counter.increment;"
        " observed by nobody"
    ]


def test_a_direct_write_names_the_callers_line(log: pytest.LogCaptureFixture) -> None:
    name = Signal("draft", name="title")

    with trace():
        frame = inspect.currentframe()
        assert frame is not None
        expected = frame.f_lineno + 1
        name.value = "final"

    (write,) = _traced(log)
    assert write.site is not None
    assert (write.site.filename, write.site.lineno) == (__file__, expected)


def test_observers_are_listed_where_they_were_created(
    log: pytest.LogCaptureFixture,
) -> None:
    counter = Counter()
    count = signal_of(counter, "count")
    seen: list[int] = []

    with trace():
        doubled = computed(lambda: counter.count * 2, name="doubled")
        watcher = effect(lambda: seen.append(doubled.value))
        subscription = count.subscribe(seen.append)
        with observe(lambda: None) as scope:
            _ = counter.count
        counter.increment()
    test = test_observers_are_listed_where_they_were_created

    (write,) = _traced(log)
    assert [(o.kind, o.site and o.site.lineno, o.via) for o in write.observers] == [
        ("subscription", _line_of(test, "count.subscribe(seen"), None),
        ("observe", _line_of(test, "with observe("), None),
        ("effect", _line_of(test, "effect(lambda"), "doubled"),
    ]
    assert write.untraced == 0
    for disposable in (watcher, subscription, scope, counter):
        disposable.dispose()


def test_observers_made_before_tracing_are_counted_not_placed(
    log: pytest.LogCaptureFixture,
) -> None:
    count = Signal(0, name="count")
    early = count.subscribe(lambda _: None)
    stop = effect(lambda: count.value)

    with trace():
        late = count.subscribe(lambda _: None)
        count.value = 1
        assert [o.kind for o in observers(count)] == ["subscription"]

    (write,) = _traced(log)
    assert write.untraced == 2
    assert log.messages[0].endswith(
        f"observed by subscription at test_debug.py:{write.site.lineno - 1},"  # type: ignore[union-attr]
        " 2 created before tracing"
    )
    for disposable in (early, stop, late):
        disposable.dispose()


def test_a_disposed_subscription_is_no_longer_listed(
    log: pytest.LogCaptureFixture,
) -> None:
    count = Signal(0)

    with trace():
        count.subscribe(lambda _: None).dispose()
        count.value = 1

    (write,) = _traced(log)
    assert (write.observers, write.untraced) == ((), 0)
    assert write.signal.startswith("Signal@")


def test_secret_values_show_masked(log: pytest.LogCaptureFixture) -> None:
    password = Signal(Secret("hunter2"), name="current")

    with trace():
        password.value = Secret("correct horse")

    assert "hunter2" not in log.text
    assert "correct horse" not in log.text
    assert _traced(log)[0].new == "Secret('********')"


def test_values_of_signals_named_like_secrets_are_redacted(
    log: pytest.LogCaptureFixture,
) -> None:
    counter = Counter()

    with trace():
        counter.store("plain-text-token")
        counter.store("another-token")

    assert "plain-text" not in log.text
    assert "another" not in log.text
    assert [(w.signal, w.old, w.new) for w in _traced(log)] == [
        ("Counter.access_token", "<redacted>", "<redacted>"),
        ("Counter.access_token", "<redacted>", "<redacted>"),
    ]
    counter.dispose()


def test_long_values_are_cut_short(log: pytest.LogCaptureFixture) -> None:
    text = Signal("", name="text")

    with trace():
        text.value = "x" * 10_000

    assert len(_traced(log)[0].new) <= 60


def test_a_value_whose_repr_raises_does_not_break_the_write(
    log: pytest.LogCaptureFixture,
) -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    box: Signal[object] = Signal(None, name="box")

    with trace():
        box.value = Broken()

    assert _traced(log)[0].new.startswith("<Broken instance at 0x")
    assert isinstance(box.value, Broken)


def test_writes_from_other_threads_name_the_thread(
    log: pytest.LogCaptureFixture,
) -> None:
    count = Signal(0, name="count")

    with trace():
        worker = threading.Thread(target=count.set, args=(1,), name="worker")
        worker.start()
        worker.join()

    (write,) = _traced(log)
    assert write.thread == "worker"
    assert "[thread worker]" in log.messages[0]


def test_leaving_the_block_restores_the_hooks() -> None:
    with trace():
        assert core.write_hook is not None
        assert core.subscribe_hook is not None
        assert trace.is_enabled

    assert core.write_hook is None
    assert core.subscribe_hook is None
    assert not trace.is_enabled


def test_blocks_nest_and_the_global_switch_is_independent() -> None:
    with trace():
        with trace():
            pass
        assert trace.is_enabled
        trace.enable()
    assert trace.is_enabled

    with trace():
        trace.disable()
        assert trace.is_enabled
    assert not trace.is_enabled
    assert (core.write_hook, core.subscribe_hook) == (None, None)


def test_enabling_twice_then_disabling_once_switches_off() -> None:
    trace.enable()
    trace.enable()
    trace.disable()

    assert not trace.is_enabled
    assert core.write_hook is None


def test_hooks_set_by_someone_else_are_restored_not_cleared() -> None:
    def other(*args: object) -> None:
        pass

    core.write_hook = other
    try:
        with trace():
            assert core.write_hook is not other
        assert core.write_hook is other
    finally:
        core.write_hook = None


def test_nothing_is_logged_when_the_logger_is_not_enabled_for_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="impact_rx.debug")
    count = Signal(0)

    with trace():
        count.value = 1

    assert caplog.records == []


def test_statistics_snapshots_signals_and_providers() -> None:
    count = Signal(0, name="count")
    count.value = 1
    count.value = 2

    with ServiceProvider([Counter], name="app") as app:
        app.get(Counter)
        provider = statistics(app)

    assert (statistics(count).name, statistics(count).writes) == ("count", 2)
    assert (provider.name, provider.instances) == ("app", 1)


def test_statistics_of_something_without_them_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^int keeps no statistics\. Pass a Signal"):
        statistics(3)  # type: ignore[arg-type]


def test_a_write_from_a_notebook_cell_names_the_cell(
    log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Compiler:
        def format_code_name(self, name: str) -> tuple[str, str] | None:
            return ("Cell", "In[7]") if name == __file__ else None

    shell = types.SimpleNamespace(compile=Compiler())
    fake = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", fake)
    count = Signal(0, name="count")

    with trace():
        count.value = 1

    (write,) = _traced(log)
    assert write.site is not None
    assert str(write.site) == f"In[7]:{write.site.lineno}"


class _Api:
    def authenticate(self) -> object:
        return reactivex.of(None)

    def sign_in(self, credentials: Credentials) -> object:
        tokens = Tokens(Secret("access-123"), Secret("refresh-456"), 900.0)
        return reactivex.of(AuthSession(User("1", "Ada"), tokens))

    def sign_out(self) -> object:
        return reactivex.empty()


def test_writes_inside_the_library_name_the_line_that_called_into_it(
    log: pytest.LogCaptureFixture,
) -> None:
    values = {USER: None, AuthApi: _Api()}

    with trace(), ServiceProvider([SessionService], values) as app:
        session = app.get(SessionService)
        frame = inspect.currentframe()
        assert frame is not None
        line = frame.f_lineno + 1
        session.sign_in(Credentials("ada", "correct horse"))

    state_writes = [w for w in _traced(log) if w.signal == "SessionService.state"]
    assert [(w.old, w.new) for w in state_writes] == [
        ("Authenticated()", "SigningIn()"),
        ("SigningIn()", "Authenticated()"),
    ]
    assert {(w.site and w.site.lineno) for w in state_writes} == {line}
    for secret in ("correct horse", "access-123", "refresh-456"):
        assert secret not in log.text


def test_writes_inside_a_batch_are_each_placed_at_their_own_line(
    log: pytest.LogCaptureFixture,
) -> None:
    first = Signal("Ada", name="first")
    last = Signal("Lovelace", name="last")
    test = test_writes_inside_a_batch_are_each_placed_at_their_own_line

    with trace(), batch():
        first.value = "Grace"
        last.value = "Hopper"

    assert [(w.signal, w.site and w.site.lineno) for w in _traced(log)] == [
        ("first", _line_of(test, 'first.value = "Grace"')),
        ("last", _line_of(test, 'last.value = "Hopper"')),
    ]
