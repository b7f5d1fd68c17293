"""Rich displays for Jupyter: cards for library objects, and live views."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import reactivex
from reactivex.subject import Subject

from impact_rx import (
    Disposable,
    Emitter,
    ServiceProvider,
    Signal,
    Suspense,
    computed,
    effect,
    mutation,
    notebook,
    query,
    service,
    signal,
)
from impact_rx.notebook import html_repr, live
from impact_rx.session import Credentials, Secret


class _FakeHandle:
    def __init__(self, shown: list[str]) -> None:
        self._shown = shown

    def update(self, obj: Any) -> None:
        self._shown.append(obj.data)


class _FakeDisplay:
    """Stands in for ``IPython.display``: records what would be shown."""

    def __init__(self) -> None:
        self.shown: list[Any] = []

    def HTML(self, html: str) -> Any:
        return type("HTML", (), {"data": html})()

    def display(self, obj: Any, display_id: bool = False) -> Any:
        self.shown.append(getattr(obj, "data", obj))
        return _FakeHandle(self.shown) if display_id else None


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    fake = _FakeDisplay()
    monkeypatch.setattr(notebook, "_ipython_display", lambda: fake)
    monkeypatch.setattr(notebook, "_in_kernel", lambda: True)
    return fake.shown


def test_any_object_is_shown_as_its_escaped_repr() -> None:
    html = html_repr("<script>alert(1)</script>")

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_long_repr_is_cut_short() -> None:
    html = html_repr("x" * 10_000)

    assert len(html) < 400


def test_secrets_inside_a_value_show_masked() -> None:
    html = html_repr(Credentials("ada", "correct horse"))

    assert "correct horse" not in html
    assert "ada" in html
    assert "********" in html


def test_a_secret_shows_masked_wherever_it_sits() -> None:
    html = html_repr({"held": Secret("hunter2")})  # a key that hides nothing

    assert "hunter2" not in html
    assert "Secret(&#x27;********&#x27;)" in html


def test_a_live_view_updates_one_display_in_place(shown: list[Any]) -> None:
    source: Subject[int] = Subject()

    view = live(source, widget=False)
    source.on_next(1)
    source.on_next(2)

    assert len(shown) == 3
    assert "<code>2</code>" in shown[-1]
    assert "2 values" in shown[-1]
    assert (view.value, view.updates) == (2, 2)


def test_a_disposed_live_view_unsubscribes_and_stops_updating(
    shown: list[Any],
) -> None:
    source: Subject[int] = Subject()
    view = live(source, widget=False)

    view.dispose()
    source.on_next(1)

    assert source.observers == []
    assert len(shown) == 1
    assert view.updates == 0


def test_a_live_view_shows_completion_and_errors_as_badges(
    shown: list[Any],
) -> None:
    done: Subject[int] = Subject()
    failed: Subject[int] = Subject()
    live(done, widget=False)
    live(failed, widget=False)

    done.on_completed()
    failed.on_error(KeyError("<k>"))

    assert "completed</span>" in shown[-2]
    assert "error</span> <code>KeyError(&#x27;&lt;k&gt;&#x27;)</code>" in shown[-1]


def test_a_live_view_uses_an_ipywidgets_view_when_available(
    shown: list[Any],
) -> None:
    ipywidgets = pytest.importorskip("ipywidgets")
    source: Subject[str] = Subject()

    with live(source) as view:
        source.on_next("<hi>")

    (widget,) = shown
    assert isinstance(widget, ipywidgets.HTML)
    assert "&#x27;&lt;hi&gt;&#x27;" in widget.value
    assert view.is_disposed


def test_live_refuses_what_is_not_an_observable() -> None:
    with pytest.raises(TypeError, match=r"live\(\) needs a signal.*got int"):
        live(3)  # type: ignore[arg-type]


def test_a_suspense_shows_a_status_badge_and_its_value_or_reason() -> None:
    pending = html_repr(Suspense.from_(Subject()))
    fulfilled = Suspense.resolve("<ok>")._repr_html_()
    rejected = Suspense.reject(ValueError("no <user>"))._repr_html_()

    assert ">pending</span>" in pending
    assert ">fulfilled</span> <code>&#x27;&lt;ok&gt;&#x27;</code>" in fulfilled
    assert ">rejected</span> <code>ValueError(&#x27;no &lt;user&gt;&#x27;)" in rejected


def test_a_fulfilled_secret_shows_masked() -> None:
    html = html_repr(Suspense.resolve(Secret("hunter2")))

    assert "hunter2" not in html
    assert "********" in html


def test_a_signal_shows_its_name_value_and_subscribers() -> None:
    greeting = Signal("<hello>", name="greeting")
    subscription = greeting.subscribe(lambda _: None)

    html = greeting._repr_html_()

    assert "<b>greeting</b>" in html
    assert "<code>&#x27;&lt;hello&gt;&#x27;</code>" in html
    assert "1 subscriber<" in html
    subscription.dispose()


def test_showing_a_signal_inside_an_effect_does_not_track_it() -> None:
    shown = Signal(1, name="shown")
    runs: list[int] = []

    def show() -> None:
        runs.append(1)
        html_repr(shown)

    stop = effect(show)
    shown.value = 2

    assert runs == [1]
    stop.dispose()


def test_a_computed_that_raises_shows_the_error_type() -> None:
    broken = computed(lambda: 1 // 0, name="broken")
    with pytest.raises(ZeroDivisionError):
        _ = broken.value

    html = html_repr(broken)

    assert "<b>broken</b>" in html
    assert "error</span> <code>ZeroDivisionError</code>" in html


def test_showing_a_computed_runs_nothing_and_says_when_it_never_ran() -> None:
    a = Signal(1)
    runs: list[int] = []
    doubled = computed(lambda: runs.append(a.value) or a.value * 2, name="doubled")

    fresh = html_repr(doubled)
    assert doubled.value == 2
    current = html_repr(doubled)
    a.value = 5
    stale = html_repr(doubled)

    assert runs == [1]  # only the read ran it, no display did
    assert "<b>doubled</b> = " in fresh and "not computed yet</span>" in fresh
    assert "<code>2</code>" in current
    assert "stale</span>" in stale and "<code>" not in stale


def test_a_signal_named_like_a_secret_hides_its_value() -> None:
    html = html_repr(Signal("hunter2", name="password"))

    assert "hunter2" not in html
    assert "&lt;redacted&gt;" in html


@service
class _Account(Disposable):
    balance = signal(10)
    api_key = signal("k-123")


def test_a_provider_shows_its_tree_of_providers_and_live_services() -> None:
    with ServiceProvider([_Account], name="app") as app:
        account = app.get(_Account)
        _ = account.balance, account.api_key
        with ServiceProvider(name="<child>") as child:
            html = html_repr(app)
            child_html = child._repr_html_()

    assert "<b>app</b>" in html
    assert "1 service, 1 child provider" in html
    assert "<b>_Account</b>" in html
    assert "balance = <code>10</code>" in html
    assert "api_key = <code>&lt;redacted&gt;</code>" in html
    assert "k-123" not in html
    assert "<b>&lt;child&gt;</b>" in html
    assert "0 services, 0 child providers" in child_html


@service
class _Till(Disposable):
    price = signal(2)
    runs: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.total = computed(self._total, name="total")

    def _total(self) -> int:
        self.runs.append("total")
        return self.price * 10

    @computed
    def doubled(self) -> int:
        self.runs.append("doubled")
        return self.price * 2


def test_a_provider_card_runs_no_computed_of_its_services() -> None:
    runs = _Till.runs = []
    with ServiceProvider([_Till], name="shop") as shop:
        till = shop.get(_Till)
        never_read = html_repr(shop)
        assert (till.doubled, runs) == (4, ["doubled"])
        till.price = 3
        stale = html_repr(shop)

    assert runs == ["doubled"]  # only the read ran one, no display did
    assert "total = <span" in never_read and "not computed yet</span>" in never_read
    assert "<code>30</code>" not in stale and "<code>6</code>" not in stale
    assert "stale</span>" in stale


def test_a_disposed_provider_says_so() -> None:
    app = ServiceProvider(name="app")
    app.dispose()

    assert "disposed</span>" in html_repr(app)


def test_a_live_view_of_a_signal_shows_its_card(shown: list[Any]) -> None:
    count = Signal(0, name="count")

    with live(count, widget=False):
        count.value = 5

    assert "<b>count</b> = <code>5</code>" in shown[-1]
    assert "2 values" in shown[-1]
    assert count.statistics().subscribers == 0


def test_a_live_view_has_a_short_plain_repr(shown: list[Any]) -> None:
    source: Subject[int] = Subject()
    view = live(source, widget=False)
    source.on_next(3)

    assert repr(view) == "<LiveView of Subject: 3, 1 value, live>"
    view.dispose()
    assert repr(view) == "<LiveView of Subject: 3, 1 value, disposed>"


def test_a_live_view_shows_a_callable_value_without_calling_it(
    shown: list[Any],
) -> None:
    calls: list[int] = []

    def handler() -> None:
        calls.append(1)

    box: Signal[object] = Signal(None, name="handler")
    with live(box, widget=False):
        box.value = handler

    assert calls == []
    assert "function" in shown[-1]


def test_a_query_or_mutation_named_like_a_secret_hides_its_values() -> None:
    answers: Subject[str] = Subject()

    def change_password(new: str) -> Subject[str]:
        return answers

    def load_token() -> Subject[str]:
        return answers

    changing = mutation(change_password)
    changing.mutate("hunter2")
    pending = html_repr(changing)
    token = query(load_token)
    answers.on_next("tok-123")
    fetched = html_repr(token)
    shown = html_repr(token.suspense)

    assert "hunter2" not in pending and "data</span> <code>&lt;redacted&gt;" in pending
    assert "tok-123" not in fetched and "<code>&lt;redacted&gt;</code>" in fetched
    assert "tok-123" not in shown
    assert repr(token) == "Query<idle: Suspense<fulfilled: <redacted>>>"
    token.invalidate()
    follow_up = token.invalidate()  # one is in flight: the follow-up's suspense
    answers.on_next("tok-456")
    answers.on_next("tok-789")
    assert repr(follow_up) == "Suspense<fulfilled: <redacted>>"


def test_a_query_shows_its_state_and_current_suspense() -> None:
    answers: Subject[str] = Subject()
    settings = query(lambda: answers)

    fetching = html_repr(settings)
    answers.on_next("<v1>")
    idle = html_repr(settings)

    assert ">fetching</span>" in fetching
    assert ">pending</span>" in fetching
    assert ">idle</span>" in idle
    assert ">fulfilled</span> <code>&#x27;&lt;v1&gt;&#x27;</code>" in idle
    settings.dispose()


def test_a_mutation_shows_its_status_data_and_reason() -> None:
    runs: Subject[str] = Subject()
    rename = mutation(lambda name: runs)

    rename.mutate("<ada>")
    pending = html_repr(rename)
    runs.on_error(ValueError("taken"))
    rejected = html_repr(rename)

    assert ">pending</span>" in pending
    assert "<code>&#x27;&lt;ada&gt;&#x27;</code>" in pending
    assert ">rejected</span>" in rejected
    assert "<code>ValueError(&#x27;taken&#x27;)</code>" in rejected
    rename.dispose()


def test_showing_a_query_inside_an_effect_does_not_track_it() -> None:
    answers: Subject[int] = Subject()
    numbers = query(lambda: answers)
    runs: list[int] = []

    def show() -> None:
        runs.append(1)
        html_repr(numbers)

    stop = effect(show)
    answers.on_next(1)

    assert runs == [1]
    stop.dispose()
    numbers.dispose()


def test_a_live_view_of_a_signal_named_like_a_secret_hides_its_value_in_its_repr(
    shown: list[Any],
) -> None:
    token: Signal[str] = Signal("tok-123", name="access_token")
    with live(token, widget=False) as view:
        token.value = "tok-456"

        assert "tok-" not in repr(view)
        assert "<redacted>" in repr(view)
        assert not [html for html in shown if "tok-" in str(html)]


@service
class _Client(Disposable):
    def __init__(self) -> None:
        super().__init__()
        self.api_token: Signal[str] = Signal("tok-789", name="client")


def test_a_service_signal_held_under_a_secret_looking_attribute_is_hidden() -> None:
    with ServiceProvider([_Client]) as app:
        app.get(_Client)
        html = html_repr(app)

    assert "tok-789" not in html
    assert "api_token = <code>&lt;redacted&gt;</code>" in html


def test_outside_a_kernel_a_live_view_prints_one_plain_line_per_change(
    capsys: pytest.CaptureFixture[str],
) -> None:
    count = Signal(1, name="count")

    with live(count):
        count.value = 2

    assert capsys.readouterr().out.splitlines() == [
        "<LiveView of Signal count: 1, 1 value, live>",
        "<LiveView of Signal count: 2, 2 values, live>",
    ]


def test_live_of_a_value_read_through_a_descriptor_points_to_signal_of() -> None:
    from impact_rx import Disposable, signal

    class Counter(Disposable):
        n = signal(1)

    with pytest.raises(
        TypeError,
        match=(
            r"live\(\) needs a signal, computed or Observable, got int\."
            r" To follow a signal declared on a class \(counter\.n\), pass its"
            r' stream: live\(signal_of\(counter, "n"\)\)\. For a fixed value,'
            r" pass reactivex\.of\(value\) or wrap it in a Signal\.$"
        ),
    ):
        live(Counter().n)  # type: ignore[arg-type]


def test_a_live_view_repr_names_its_signal(capsys: pytest.CaptureFixture[str]) -> None:
    from impact_rx import Disposable, signal, signal_of

    class Counter(Disposable):
        n = signal(1)

    counter = Counter()
    with live(signal_of(counter, "n"), widget=False) as view:
        assert repr(view) == "<LiveView of Signal Counter.n: 1, 1 value, live>"
    with live(Subject(), widget=False) as other:
        assert repr(other) == "<LiveView of Subject: no value, 0 values, live>"
    capsys.readouterr()


def test_a_live_widget_holds_the_current_card_before_it_is_displayed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A renderer without widgets (a saved notebook on GitHub) shows the
    # widget's plain text as it was displayed: with no value, HTML(value='').
    pytest.importorskip("ipywidgets")
    values_when_displayed: list[str] = []

    class Display:
        def display(self, obj: Any, display_id: bool = False) -> None:
            values_when_displayed.append(obj.value)

    monkeypatch.setattr(notebook, "_ipython_display", Display)
    monkeypatch.setattr(notebook, "_in_kernel", lambda: True)
    with live(Signal(7, name="count")):
        pass

    [value] = values_when_displayed
    assert "<b>count</b> = <code>7</code>" in value


def test_a_live_view_of_a_named_emitter_shows_its_name(shown: list[Any]) -> None:
    clicks: Emitter[int] = Emitter(name="clicks")

    with live(clicks, widget=False) as view:
        clicks.emit(3)

    assert "Emitter</span> <b>clicks</b> = <code>3</code>" in shown[-1]
    assert repr(view).startswith("<LiveView of Emitter clicks: 3,")


def test_a_live_view_of_a_failed_observable_shows_no_value_and_the_message(
    shown: list[Any],
) -> None:
    view = live(reactivex.throw(ValueError("boom")), widget=False)

    assert "no value" in shown[-1]
    assert "None" not in shown[-1]
    assert "error</span> <code>ValueError(&#x27;boom&#x27;)</code>" in shown[-1]
    assert repr(view) == (
        "<LiveView of Observable: no value, 0 values, error ValueError('boom')>"
    )


def test_a_live_view_hides_the_error_of_a_source_named_like_a_secret(
    shown: list[Any],
) -> None:
    class Named(Subject[str]):
        name = "access_token"

    token = Named()
    with live(token, widget=False) as view:
        token.on_next("tok-123")
        token.on_error(ValueError("tok-123 expired"))

    assert "tok-123" not in shown[-1]
    assert "tok-123" not in repr(view)
    assert "error</span> <code>&lt;redacted&gt;</code>" in shown[-1]


def test_a_live_view_counts_the_values_it_received_and_says_values(
    shown: list[Any],
) -> None:
    # "2 updates" after one write read as two writes: the first value counts.
    count = Signal(21, name="n")
    doubled = computed(lambda: count.value * 2, name="doubled")

    with live(doubled, widget=False) as view:
        count.value = 42

    assert "<b>doubled</b> = <code>84</code>" in shown[-1]
    assert "· 2 values" in shown[-1]
    assert "update" not in shown[-1]
    assert repr(view) == "<LiveView of Computed doubled: 84, 2 values, disposed>"
