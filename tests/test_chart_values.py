"""Helm values set by the app, against the values.yaml of each pinned chart version."""

from __future__ import annotations

import pytest

from finbrain_stack import versions
from finbrain_stack.config import CsiDriverConfig
from finbrain_stack.csi_driver import driver_values, provider_values
from tests.chart_values import chart_defaults, undeclared_values
from tests.synthesis import environment_names
from tests.helpers import helm_values, resources_of_type

TOLERATION = {"key": "workload", "operator": "Equal", "value": "finbrain", "effect": "NoSchedule"}


# The keys of the driver chart's values.yaml that the checker's own tests use, with the same
# shapes, so that those tests also run where the chart files are absent.
DRIVER_DEFAULTS_EXCERPT = {
    "linux": {"enabled": True, "nodeSelector": {}},
    "syncSecret": {"enabled": False},
    "enableSecretRotation": False,
    "rotationPollInterval": None,
    "tokenRequests": [],
}


@pytest.fixture(params=["excerpt", "values.yaml"])
def driver_defaults(request):
    """Return the driver chart's defaults: the excerpt above, then the pinned values.yaml."""
    if request.param == "excerpt":
        return DRIVER_DEFAULTS_EXCERPT
    reference_dir = request.getfixturevalue("reference_dir")
    return chart_defaults(reference_dir, versions.DRIVER_CHART, "1.5.6")


@pytest.mark.parametrize("environment", environment_names())
def test_chart_values_declared_in_pinned_chart(synthesized, reference_dir, environment):
    charts = resources_of_type(synthesized(environment).template_json,
                               "Custom::AWSCDK-EKS-HelmChart")
    assert {chart["Properties"]["Chart"] for chart in charts.values()} == {
        versions.DRIVER_CHART, versions.PROVIDER_CHART}
    for logical_id, chart in charts.items():
        properties = chart["Properties"]
        defaults = chart_defaults(reference_dir, properties["Chart"], properties["Version"])
        assert undeclared_values(helm_values(chart), defaults) == [], logical_id


@pytest.mark.parametrize("driver", [chart.version for chart in versions.DRIVER_CHARTS])
@pytest.mark.parametrize("sync_secret", [False, True])
def test_driver_values_declared_in_every_pinned_version(reference_dir, driver, sync_secret):
    config = CsiDriverConfig(driver_chart_version=driver,
                             provider_chart_version=versions.PROVIDER_CHARTS[0].version,
                             sync_secret=sync_secret)
    defaults = chart_defaults(reference_dir, versions.DRIVER_CHART, driver)
    assert undeclared_values(driver_values(config), defaults) == []


@pytest.mark.parametrize("provider", [chart.version for chart in versions.PROVIDER_CHARTS])
@pytest.mark.parametrize("tolerations", [[], [TOLERATION]])
def test_provider_values_declared_in_every_pinned_version(reference_dir, provider, tolerations):
    defaults = chart_defaults(reference_dir, versions.PROVIDER_CHART, provider)
    assert undeclared_values(provider_values(tolerations), defaults) == []


def test_provider_defaults_declare_bundled_driver_switch(reference_dir):
    defaults = chart_defaults(reference_dir, versions.PROVIDER_CHART, "3.1.1")
    assert undeclared_values({"secrets-store-csi-driver": {"install": False}}, defaults) == []


@pytest.mark.parametrize("values, problem", [
    ({"syncSecret.enabled": True}, "['syncSecret.enabled'] is not declared in values.yaml"),
    ({"enableSecretRotaton": True}, "['enableSecretRotaton'] is not declared in values.yaml"),
    ({"syncSecret": {"enable": True}}, "['syncSecret', 'enable'] is not declared in values.yaml"),
    ({"syncSecret": True}, "['syncSecret'] is a bool, where values.yaml declares a mapping"),
    ({"enableSecretRotation": {"enabled": True}},
     "['enableSecretRotation'] is a mapping, where values.yaml declares a bool"),
])
def test_checker_rejects_undeclared_key(driver_defaults, values, problem):
    assert undeclared_values(values, driver_defaults) == [problem]


@pytest.mark.parametrize("values", [
    # Lists are leaf values: their items are not compared with the defaults.
    {"tokenRequests": [{"audience": "sts.amazonaws.com"}]},
    # A null default declares the key but no type.
    {"rotationPollInterval": "2m"},
    # An empty mapping default accepts any keys, as node selectors need.
    {"linux": {"nodeSelector": {"kubernetes.io/os": "linux"}}},
])
def test_checker_accepts_declared_key(driver_defaults, values):
    assert undeclared_values(values, driver_defaults) == []


def test_checker_reports_every_problem(driver_defaults):
    values = {"syncSecret.enabled": True, "rotationPollInterval": "1h", "enableSecretRotaton": True}
    assert len(undeclared_values(values, driver_defaults)) == 2


def test_missing_reference_names_chart_and_version(tmp_path):
    with pytest.raises(FileNotFoundError) as raised:
        chart_defaults(tmp_path, versions.DRIVER_CHART, "9.9.9")
    assert f"chart {versions.DRIVER_CHART} 9.9.9" in str(raised.value)
