"""The public names are the contract: a test fails when they drift."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.resources
import types

import pytest

import impact_rx

ROOT = {
    "CircularDependencyError",
    "Computed",
    "ComputedProperty",
    "CycleError",
    "Disposable",
    "DisposeError",
    "DisposedError",
    "Effect",
    "Emitter",
    "Fulfilled",
    "ImpactRxError",
    "MarbleSyntaxError",
    "MissingValueError",
    "Mutation",
    "NoProviderError",
    "Observation",
    "Pending",
    "ProviderStatistics",
    "Query",
    "Rejected",
    "ServiceDefinitionError",
    "ServiceNotRegisteredError",
    "ServiceProvider",
    "Signal",
    "SignalStatistics",
    "Source",
    "SubscriberError",
    "Suspense",
    "SuspendedError",
    "SuspenseCreatedInRunError",
    "Value",
    "batch",
    "computed",
    "effect",
    "mutation",
    "observe",
    "query",
    "service",
    "signal",
    "signal_of",
    "untracked",
    "use_service",
}

SUBPACKAGES = {
    "impact_rx.session": {
        "AuthApi",
        "Authenticated",
        "AuthenticatorService",
        "SessionError",
        "SessionService",
        "SessionState",
        "SignedOut",
        "SigningIn",
        "USER",
    },
    "impact_rx.session.http": {"HttpAuthApi"},
    "impact_rx.testing": {"marbles", "to_marbles"},
    "impact_rx.notebook": {"live"},
    "impact_rx.debug": {"trace"},
}


def test_the_root_exports_exactly_the_documented_names() -> None:
    exported = set(impact_rx.__all__)
    assert ROOT - exported == set(), "a contract name is missing"
    assert exported - ROOT == set(), "a new export: add it to ROOT and the docs"


def test_root_all_is_one_sorted_list_without_duplicates() -> None:
    names = list(impact_rx.__all__)
    assert names == sorted(names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", sorted(impact_rx.__all__))
def test_every_root_export_reports_module_impact_rx(name: str) -> None:
    obj = getattr(impact_rx, name)
    if isinstance(obj, str):
        return
    assert getattr(obj, "__module__", "impact_rx") == "impact_rx"


@pytest.mark.parametrize("module", sorted(SUBPACKAGES))
def test_public_subpackages_export_their_contract_names(module: str) -> None:
    mod = importlib.import_module(module)
    missing = {n for n in SUBPACKAGES[module] if not hasattr(mod, n)}
    assert not missing, f"{module} lacks {sorted(missing)}"


def test_every_export_has_a_docstring() -> None:
    undocumented = [
        n
        for n in impact_rx.__all__
        if not isinstance(getattr(impact_rx, n), str)
        and not (getattr(impact_rx, n).__doc__ or "").strip()
    ]
    assert undocumented == []


def test_the_package_is_typed() -> None:
    assert importlib.resources.files("impact_rx").joinpath("py.typed").is_file()


@pytest.mark.parametrize(
    "package", ["impact_rx", "impact_rx.session", "impact_rx.testing"]
)
def test_a_package_namespace_holds_only_its_exports_and_submodules(
    package: str,
) -> None:
    # Tab completion lists every public name; a helper left behind (the
    # internal publish(), which also clashes with Rx's publish) misleads.
    mod = importlib.import_module(package)
    stray = {
        name
        for name, held in vars(mod).items()
        if not name.startswith("_")
        and name not in mod.__all__
        and not isinstance(held, types.ModuleType)
    }
    assert stray == set()
    assert not hasattr(mod, "publish")


def test_the_package_says_its_installed_version() -> None:
    assert impact_rx.__version__ == importlib.metadata.version("impact_rx")
    assert impact_rx.__version__ != ""


def test_an_uninstalled_package_has_a_placeholder_version() -> None:
    from impact_rx._version import installed_version

    assert installed_version("impact-rx-not-installed") == "0+unknown"
