"""Marble tests on virtual time, for observables and whole services.

A marble diagram draws what a stream does, one character per frame, and one
frame is one millisecond of virtual time. ``marbles()`` opens a test in the
spirit of RxJS's ``TestScheduler.run``: build sources with ``m.cold`` and
``m.hot``, subscribe with ``m.expect(observable)`` and say what it must do
with ``.to_be(diagram)``. Leaving the ``with`` block runs virtual time to the
end of the longest diagram (its trailing ``-`` and time included, and on to
the end of any cold observable subscribed by then) and checks every
expectation.

The grammar
-----------

=========  ============================================================
``-``      one frame passes
``a``      a value: a letter or digit, looked up in ``values=`` (else the
           character itself); it takes one frame
``|``      completion
``#``      error: the ``error=`` exception (default ``Exception("error")``)
``^``      a hot diagram's subscription point, frame 0 (frames before it
           are the past); also allowed in expected and subscription diagrams
``!``      unsubscription, in expected and subscription diagrams; it acts at
           the start of its frame, so nothing due then is seen
``(ab)``   events in one frame, the frame of ``(``; as in RxJS the group
           still takes one frame per character: ``(ab)`` spans four
`` ``      spaces align diagrams and take no time
``10ms``   a time progression, between spaces or at an end of the diagram:
           ``f`` (frames), ``ms``, ``s``, ``m`` (minutes); ``1.5s`` is fine,
           ``1.5ms`` is not a whole frame. ``a 9ms b`` puts ``b`` at frame 10
=========  ============================================================

A diagram that breaks these rules raises ``MarbleSyntaxError`` with the
column marked. Values compare with ``==``; an error marble matches an
exception of the same type with the same ``args`` (pass an exception class
as ``error=`` to accept any message). For a stream of streams, give a cold
diagram as the expected value (``values={"x": m.cold("-a|")}``): each
emitted observable is then recorded from the frame it arrived and compared
with it. Suspense states have shorthand: ``suspense_values(value=...,
error=...)`` maps ``p``, ``f`` and ``r`` to ``Pending()``, ``Fulfilled(value)``
and ``Rejected(error)``.

Time
----

Library code schedules in seconds, as reactivex does: give a service
``m.scheduler`` (or build it with ``m.provider(...)``) and its
``timer(2.0)`` fires 2,000 frames later, written ``2s`` in a diagram. As in
RxJS's ``run``, timed work given no scheduler at all (``timer(2.0)``,
``ops.delay(0.5)``) also runs on ``m.scheduler`` inside the ``with`` block:
it stands in for reactivex's default ``TimeoutScheduler`` until the block
ends. The scheduler counts whole frames, so no float error piles up. A flush runs all
work due up to the last frame of every diagram in play; work scheduled later
(an ``interval``, a token refresh an hour away) stays queued, so a flush
always ends. ``m.advance("10s")`` moves time on without checking, running
everything due up to and including its last frame. Work due at one frame
runs in the order it was scheduled. Coroutines and threads keep real time:
hand a service observables (``m.cold(...)``) for its slow work instead, as
a fake API would.

A worked example
----------------

A service that saves two seconds after the last edit, on the injected
scheduler:

>>> from reactivex import operators as ops
>>> from impact_rx.testing import marbles
>>> class Autosave:
...     def __init__(self, edits, scheduler):
...         self.saves = edits.pipe(ops.debounce(2.0, scheduler=scheduler))
>>> with marbles() as m:
...     edits = m.hot("a-b 2500ms c|")
...     autosave = Autosave(edits, m.scheduler)
...     m.expect(autosave.saves).to_be("-- 2000ms b 501ms (c|)")

``a`` is dropped because ``b`` comes two frames later; ``b`` is saved at
frame 2,002; ``c`` is still waiting when the edits complete at frame 2,504,
so it is saved then, together with the completion. When an expectation
fails, the message names the ``m.expect`` call (file and line) and its
observable, draws both diagrams so that one frame is one column, marks the
frames that differ and lists what differs there:

>>> with marbles() as m:  # doctest: +ELLIPSIS
...     m.expect(m.cold("--a--c--|")).to_be("--a--b---|")
Traceback (most recent call last):
    ...
impact_rx.testing.MarbleAssertionError: m.expect(<ColdObservable '--a--c--|'>) at ...:2:
The marbles differ from the expected diagram.
Frame 0 is its subscription at virtual frame 0; one frame is 1 ms.
  expected  --a--b---|
  actual    --a--c--|
                 ^  ^^
  frame 5: expected b = 'b'; actual c = 'c'
  frame 8: expected nothing; actual | (complete)
  frame 9: expected | (complete); actual nothing

Subscriptions
-------------

Cold and hot observables log who subscribed when (frames from the frame they
were made at); ``m.expect_subscriptions`` checks the logs at flush, one
diagram per subscriber. As with RxJS's ``expectObservable(obs, "^--!")``,
``m.expect(observable, "---^--!")`` subscribes at the ``^`` (none: now) and
unsubscribes at the ``!``, while the expected diagram's frame 0 stays now.
``m.time("---|")`` gives a diagram's span in frames for code that takes a
duration:

>>> with marbles() as m:
...     source = m.cold("--a--b--|")
...     m.expect(source.pipe(ops.take(1))).to_be("--(a|)")
...     m.expect_subscriptions(source.subscriptions).to_be("^-!")
...     m.time("---|")
3

Whole services
--------------

``m.provider(services, values)`` is a ``ServiceProvider`` whose services
receive ``m.scheduler`` as their ``SchedulerBase``, so every timer, retry
and timeout in them runs in frames. It is disposed when the block ends,
after the checks:

>>> import reactivex
>>> from reactivex.abc import SchedulerBase
>>> from impact_rx import Disposable, service
>>> @service
... class Clock(Disposable):
...     def __init__(self, scheduler: SchedulerBase) -> None:
...         super().__init__()
...         self.minutes = reactivex.interval(60.0, scheduler=scheduler)
>>> with marbles() as m:
...     clock = m.provider([Clock]).get(Clock)
...     m.expect(clock.minutes).to_be("1m a 59999ms b", values={"a": 0, "b": 1})

The interval keeps running after frame 120,000, but the flush stops at the
end of the expected diagram, so the test ends.

A session's sign-in race in three diagrams: the server answers a sign-in
after 50 ms (``50ms (u|)``), the user signs in at once and out at frame 20
(``s 19ms o``), and the session's state must go from anonymous
(``Authenticated`` with no user) to signing in, then to signed out at frame
20, with nothing when the stale answer arrives at frame 50:

>>> from impact_rx import signal_of
>>> from impact_rx.session import USER, AuthApi, Credentials, SessionService, User
>>> from impact_rx.session import Authenticated, SignedOut, SigningIn
>>> class SlowServer:
...     def __init__(self, m):
...         self.m = m
...     def authenticate(self):
...         return None
...     def sign_in(self, credentials):
...         return self.m.cold("50ms (u|)", {"u": User("1", "Ada")})
...     def sign_out(self):
...         return None
>>> def act(session, event):
...     if event == "s":
...         session.sign_in(Credentials("ada", "pw"))
...     else:
...         session.sign_out()
>>> with marbles() as m:
...     app = m.provider([SessionService], {USER: None, AuthApi: SlowServer(m)})
...     session = app.get(SessionService)
...     _ = m.hot("s 19ms o").subscribe(lambda event: act(session, event))
...     m.expect(signal_of(session, "state")).to_be(
...         "(ab) 16ms c",
...         {"a": Authenticated(), "b": SigningIn(), "c": SignedOut()},
...     )
>>> session.user is None
True

Exploring
---------

``record(observable)`` runs an observable on its own virtual clock and
returns its :class:`Record` list; ``to_marbles(records)`` writes them as a
diagram, and ``Diagram.from_records(records)`` draws them as SVG in Jupyter
(``_repr_svg_``) or to a file (``save``). A failed expectation's
``MarbleAssertionError.diagram`` holds its expected and actual lanes.
"""

from .._exports import publish
from ._diagram import Diagram, Labeler, Lane, to_marbles
from ._marbles import (
    ColdObservable,
    Expectation,
    HotObservable,
    InnerRecording,
    MarbleAssertionError,
    Marbles,
    SubscriptionsExpectation,
    marbles,
)
from ._record import record
from ._records import Record, SubscriptionLog
from ._scheduler import MarbleScheduler
from ._suspense_values import fulfilled, pending, rejected, suspense_values

__all__ = [
    "ColdObservable",
    "Diagram",
    "Expectation",
    "HotObservable",
    "InnerRecording",
    "Labeler",
    "Lane",
    "MarbleAssertionError",
    "MarbleScheduler",
    "Marbles",
    "Record",
    "SubscriptionLog",
    "SubscriptionsExpectation",
    "fulfilled",
    "marbles",
    "pending",
    "record",
    "rejected",
    "suspense_values",
    "to_marbles",
]

publish(globals(), __all__)
del publish  # a helper: not for tab completion (and Rx has a publish)
