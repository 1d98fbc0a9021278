"""Measure synth and test time of this app against an empty CDK Python app, in one run.

Every figure is a ratio between runs made in the same invocation on the same machine, so a
shared or noisy machine slows both sides alike. Run from the project root:

    .venv/bin/python -m benchmarks.synth_benchmark [--runs 5]

Each synth runs app.py in a new Python process, as the CDK CLI does, with the context in
CDK_CONTEXT_JSON and the output folder in CDK_OUTDIR.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.workloads import with_workloads
from finbrain_stack import preview

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EMPTY_APP = """
import aws_cdk as cdk

app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""
# The smallest app built on what this app needs: an imported EKS cluster with the kubectl layer,
# and one manifest. Any app that applies Kubernetes objects through aws_eks imports and creates
# at least this much, so its ratio to the empty app is a floor for the default app's ratio.
MINIMAL_EKS_APP = """
import aws_cdk as cdk
from aws_cdk import aws_eks as eks
from aws_cdk.lambda_layer_kubectl_v29 import KubectlV29Layer

app = cdk.App()
stack = cdk.Stack(app, "MinimalEks",
                  env=cdk.Environment(account="123456789012", region="eu-central-1"))
cluster = eks.Cluster.from_cluster_attributes(
    stack, "Cluster", cluster_name="finbrain",
    kubectl_role_arn="arn:aws:iam::123456789012:role/finbrain-kubectl",
    kubectl_layer=KubectlV29Layer(stack, "KubectlLayer"))
cluster.add_manifest("Namespace", {"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": "finbrain"}})
app.synth()
"""
KUBECTL_TYPES = ("Custom::AWSCDK-EKS-KubernetesResource", "Custom::AWSCDK-EKS-HelmChart",
                 "Custom::AWSCDK-EKS-KubernetesObjectValue", "Custom::AWSCDK-EKS-KubernetesPatch")


def cdk_context() -> dict[str, Any]:
    return json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]


def timed_run(command: list[str], env: dict[str, str]) -> float:
    """Run a command to completion and return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(command, cwd=PROJECT_ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def synth_env(context: dict[str, Any] | None, outdir: Path) -> dict[str, str]:
    env = dict(os.environ, CDK_OUTDIR=str(outdir),
               JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return env


def scaled_context(count: int) -> dict[str, Any]:
    context = cdk_context()
    environments = context["finbrain:environments"]
    environments["dev"] = with_workloads(environments["dev"], count)
    return context


def stack_template(outdir: Path) -> Path:
    (template,) = [path for path in outdir.glob("*.template.json")
                   if not path.name.endswith(".nested.template.json")]
    return template


def kubectl_chain(template: dict[str, Any]) -> tuple[int, int]:
    """Return the number of kubectl custom resources and the longest chain of them.

    A chain follows DependsOn, Ref, Fn::GetAtt and Fn::Sub edges. Resources of other types on
    the way are passed through without counting.
    """
    resources = template["Resources"]
    graph = preview.dependencies(template)
    memo: dict[str, int] = {}

    def longest(logical_id: str) -> int:
        if logical_id not in memo:
            own = 1 if resources[logical_id]["Type"] in KUBECTL_TYPES else 0
            memo[logical_id] = own + max((longest(edge) for edge in graph[logical_id]), default=0)
        return memo[logical_id]

    count = sum(1 for resource in resources.values() if resource["Type"] in KUBECTL_TYPES)
    return count, max((longest(logical_id) for logical_id in resources), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth_benchmark",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each synth (default 5)")
    parser.add_argument("--test-runs", type=int, default=3,
                        help="runs of the test suite (default 3)")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    arguments = parser.parse_args()
    counts = [("--runs", arguments.runs)]
    if not arguments.skip_tests:
        counts.append(("--test-runs", arguments.test_runs))
    for option, value in counts:
        if value < 1:
            parser.error(f"{option} must be at least 1, got {value}. Pass {option} 1 or more.")
    python = sys.executable

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        empty_app = work / "empty_app.py"
        empty_app.write_text(EMPTY_APP)
        minimal_app = work / "minimal_eks_app.py"
        minimal_app.write_text(MINIMAL_EKS_APP)

        empty_times: list[float] = []
        minimal_times: list[float] = []
        app_times: list[float] = []
        for run in range(arguments.runs):
            # Alternate, so that a slow period of the machine hits every app.
            empty_times.append(timed_run([python, str(empty_app)],
                                         synth_env(None, work / f"empty-{run}")))
            minimal_times.append(timed_run([python, str(minimal_app)],
                                           synth_env(None, work / f"minimal-{run}")))
            app_times.append(timed_run([python, "app.py"],
                                       synth_env(cdk_context(), work / f"app-{run}")))
        empty = statistics.median(empty_times)
        minimal = statistics.median(minimal_times)
        default = statistics.median(app_times)
        print(f"runs per measurement: {arguments.runs}")
        print(f"empty app synth        median {empty:6.2f} s")
        print(f"minimal EKS app synth  median {minimal:6.2f} s   ratio to empty {minimal / empty:.2f}"
              "   (one imported cluster and one manifest: the floor)")
        print(f"default app synth      median {default:6.2f} s   ratio to empty {default / empty:.2f}"
              f"   (target <= 1.3)   ratio to minimal EKS app {default / minimal:.2f}")

        scaled: dict[int, float] = {}
        for count in (1, 10, 50):
            context = scaled_context(count)
            times = []
            for run in range(arguments.runs):
                times.append(timed_run([python, "app.py"],
                                       synth_env(context, work / f"scaled-{count}-{run}")))
            scaled[count] = statistics.median(times)
            template_path = stack_template(work / f"scaled-{count}-0")
            template = json.loads(template_path.read_text())
            kubectl_count, chain = kubectl_chain(template)
            print(f"{count:3d} workload(s) synth  median {scaled[count]:6.2f} s   "
                  f"ratio to 1 workload {scaled[count] / scaled.get(1, scaled[count]):.2f}   "
                  f"resources {len(template['Resources']):3d}   "
                  f"template {template_path.stat().st_size:7d} bytes   "
                  f"kubectl resources {kubectl_count:3d}   longest kubectl chain {chain}")
        print("50 workloads target: ratio to 1 workload <= 2.0")

        default_template = json.loads(stack_template(work / "app-0").read_text())
        kubectl_count, chain = kubectl_chain(default_template)
        print(f"default app: kubectl custom resources {kubectl_count}, longest chain {chain}")

        if not arguments.skip_tests:
            suite_times: list[float] = []
            suite_empty_times: list[float] = []
            for run in range(arguments.test_runs):
                # An empty-app synth right before each suite run, so that both sides of the
                # ratio come from the same period of the machine.
                suite_empty_times.append(timed_run([python, str(empty_app)],
                                                   synth_env(None, work / f"suite-empty-{run}")))
                suite_times.append(timed_run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                                             synth_env(None, work / f"tests-{run}")))
            suite = statistics.median(suite_times)
            suite_empty = statistics.median(suite_empty_times)
            print(f"test suite             median {suite:6.2f} s   ratio to empty synth "
                  f"{suite / suite_empty:.2f}   (target <= 4.0; runs: {arguments.test_runs}, "
                  f"empty synth median {suite_empty:.2f} s beside them)")


if __name__ == "__main__":
    main()
