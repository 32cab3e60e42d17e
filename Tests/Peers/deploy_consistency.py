#!/usr/bin/env python3
"""Check the built Kubernetes manifests against the executables and against themselves.

Usage: deploy_consistency.py --bin-dir DIR [--repo DIR] MANIFESTS.yaml...

Each MANIFESTS.yaml is the output of `kubectl kustomize` for one overlay. For every container
running one of our executables (found by image name: gateway, model-worker,
feature-preprocessor) it checks:

  flags      every `--flag` in args and every key of the mounted --config file is a flag that
             `BINARY --help` lists
  ports      containerPorts `grpc` / `metrics` equal the ports of --listen / --metrics-listen
             (args, else the --config file, else the executable's default), probes use them:
             gRPC probes on the gRPC port, HTTP probes on the metrics port with /healthz,
             /readyz or /metrics
  drain      terminationGracePeriodSeconds >= preStop sleep + --shutdown-grace
  paths      --config / --routes / --pipelines / --model-repository are mounted (the ConfigMap
             holds the file), --canary-state is on a writable volume, --etcd-ca / --etcd-cert /
             --etcd-key / --etcd-password-file are files of a mounted Secret
  etcd       --coordination is etcd://HOST:PORT[,HOST:PORT...]/PREFIX; endpoints inside the cluster
             name a Service of this build with that port, or a member (POD.SERVICE) of the
             StatefulSet behind that headless Service; NetworkPolicies let the gateway reach them
  threads    --inference-threads <= the CPU limit
  run        when the binary has --print-config: runs it with the manifest's args (mounted files
             written to a temporary directory, the model repository filled from examples/models
             the way the init container does) and expects exit status 0

and across objects: routes endpoints (dns:///NAME.NAMESPACE.svc.cluster.local:PORT) name a
Service of this build with that port; routed pipelines exist in the pipelines ConfigMap; each
Service selects a Deployment or StatefulSet whose pods have its target ports; PDBs select one,
autoscalers target existing Deployments; worker autoscalers (HPA external metric / KEDA query) name a routed model
version, their maxReplicas equal the route's autoscaling max_replicas and min_replicas <= their
minimum; NetworkPolicies open each backend gRPC port to the gateway; all workers of a model run
the same image; the pipelines ConfigMap equals examples/pipelines when that exists.

A missing binary (or a placeholder whose --help lists no flags) fails the check unless
DEPLOY_ALLOW_MISSING=1, which skips that binary's checks with a message.

PENDING_FLAGS lists flags the manifests already use before the executables have them: while a
built executable's --help does not list one, it is reported as a note (not a failure) and left out
of the --print-config run. Empty the list once the executables ship those flags.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EXECUTABLES = ("gateway", "model-worker", "feature-preprocessor")
DEFAULT_LISTEN = {"gateway": 8001, "model-worker": 8001, "feature-preprocessor": 7001}
DEFAULT_METRICS = 9090
HTTP_PATHS = {"/healthz", "/readyz", "/metrics"}
DNS_ENDPOINT = re.compile(r"^dns:///([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$")

# Gateway flags for shared rollout state on etcd (k8s/components/etcd*), used by the manifests
# ahead of the gateway executable. TODO(etcd coordination): the session that adds these flags to
# the gateway removes them from this list (or empties it), so they are checked like any other.
PENDING_FLAGS: dict[str, frozenset[str]] = {}
COORDINATION = re.compile(r"^etcd://([^/]+)/(.+)$")
CLUSTER_HOST = re.compile(r"^([a-z0-9.-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$")
# Flags naming a file that comes from a mounted Secret.
SECRET_FILE_FLAGS = ("--etcd-ca", "--etcd-cert", "--etcd-key", "--etcd-password-file")


class Checker:
    def __init__(self, bin_dir: str, repo: str):
        self.bin_dir = bin_dir
        self.repo = repo
        self.allow_missing = os.environ.get("DEPLOY_ALLOW_MISSING") == "1"
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.checked = 0
        self._help: dict[str, str | None] = {}

    # -- reporting -------------------------------------------------------------------------
    def fail(self, where: str, message: str) -> None:
        self.failures.append(f"{where}: {message}")

    def expect(self, condition: bool, where: str, message: str) -> bool:
        self.checked += 1
        if not condition:
            self.fail(where, message)
        return condition

    # -- executables -----------------------------------------------------------------------
    def help_text(self, executable: str) -> str | None:
        """`--help` of the executable, or None when it is missing and that is allowed."""
        if executable in self._help:
            return self._help[executable]
        path = os.path.join(self.bin_dir, executable)
        text: str | None
        reason = None
        if not os.access(path, os.X_OK):
            reason = f"{path} does not exist"
            text = None
        else:
            run = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30)
            text = run.stdout + run.stderr
            if not re.search(r"--[a-z]", text):
                reason = f"{path} --help lists no flags (placeholder executable?)"
                text = None
        if reason:
            if self.allow_missing:
                self.notes.append(f"SKIPPED {executable}: {reason} (DEPLOY_ALLOW_MISSING=1)")
            else:
                self.fail(executable, f"{reason}; build it or set DEPLOY_ALLOW_MISSING=1 to skip")
        self._help[executable] = text
        return text

    @staticmethod
    def flags_in_help(text: str) -> set[str]:
        return set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", text))


def parse_args(args: list[str]) -> dict[str, str | None]:
    """`--flag value` / `--flag=value` / bare `--flag` into a dict (last one wins)."""
    flags: dict[str, str | None] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--"):
            if "=" in arg:
                name, value = arg.split("=", 1)
                flags[name] = value
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                flags[arg] = args[i + 1]
                i += 1
            else:
                flags[arg] = None
        i += 1
    return flags


def port_of(address: str | None) -> int | None:
    if address is None:
        return None
    match = re.search(r":(\d+)$", str(address))
    return int(match.group(1)) if match else None


def cpu_cores(quantity: str | int | float | None) -> float | None:
    if quantity is None:
        return None
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def executable_of(image: str) -> str | None:
    name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image.split("@")[0]
    base = name.split("/")[-1]
    return base if base in EXECUTABLES else None


class Build:
    """One overlay's objects."""

    def __init__(self, path: str):
        self.path = os.path.basename(os.path.dirname(path)) or path
        self.label = path
        with open(path, encoding="utf-8") as f:
            self.objects = [o for o in yaml.safe_load_all(f) if o]

    def of_kind(self, kind: str) -> list[dict]:
        return [o for o in self.objects if o.get("kind") == kind]

    def get(self, kind: str, name: str) -> dict | None:
        for o in self.of_kind(kind):
            if o["metadata"]["name"] == name:
                return o
        return None


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def check_build(checker: Checker, build: Build) -> None:
    where0 = build.label
    deployments = build.of_kind("Deployment")
    services = build.of_kind("Service")
    routes_doc = None
    pipelines_cm = None
    worker_images: dict[str, set[str]] = {}

    for dep in deployments:
        name = dep["metadata"]["name"]
        spec = dep["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec.get("containers", []):
            executable = executable_of(container["image"])
            where = f"{where0}: Deployment/{name} container {container['name']}"
            if executable is None:
                continue
            if executable == "model-worker":
                model = dep["spec"]["template"]["metadata"]["labels"].get("inference-mesh/model", "?")
                worker_images.setdefault(model, set()).add(container["image"])
            args = [str(a) for a in container.get("args", [])]
            checker.expect(not container.get("command"), where, "sets `command`: use the image's ENTRYPOINT and `args`")
            flags = parse_args(args)
            mounts = container.get("volumeMounts", [])

            def mount_for(path: str):
                best = None
                for m in mounts:
                    mp = m["mountPath"].rstrip("/")
                    if path == mp or path.startswith(mp + "/"):
                        if best is None or len(mp) > len(best["mountPath"].rstrip("/")):
                            best = m
                return best

            def configmap_file(path: str):
                """(ConfigMap object, key) holding the file at `path`, or None."""
                m = mount_for(path)
                if not m:
                    return None
                volume = volumes.get(m["name"], {})
                cm_name = (volume.get("configMap") or {}).get("name")
                if not cm_name:
                    return None
                cm = build.get("ConfigMap", cm_name)
                rel = os.path.relpath(path, m["mountPath"]) if not m.get("subPath") else m["subPath"]
                return (cm, rel) if cm else None

            # The --config file (keys are flag names) and the effective settings.
            config: dict = {}
            if "--config" in flags:
                found = configmap_file(flags["--config"])
                if checker.expect(found is not None and found[1] in (found[0].get("data") or {}),
                                  where, f"--config {flags['--config']} is not a file of a mounted ConfigMap"):
                    config = yaml.safe_load(found[0]["data"][found[1]]) or {}
                    checker.expect(isinstance(config, dict), where, "--config file is not a YAML mapping")
            settings = {f"--{k}": (str(v) if v is not None else None) for k, v in config.items()}
            settings.update(flags)

            help_text = checker.help_text(executable)
            pending: set[str] = set()
            if help_text is not None:
                known = checker.flags_in_help(help_text)
                pending = {f for f in PENDING_FLAGS.get(executable, ()) if f not in known}
                for flag in flags:
                    if flag in pending:
                        checker.notes.append(f"{executable}: {flag} is in PENDING_FLAGS and not in its --help yet: "
                                             "not checked, left out of the --print-config run")
                        continue
                    checker.expect(flag in known, where, f"{flag} is not a flag of {executable} (see {executable} --help)")
                for key in config:
                    if f"--{key}" in pending:
                        checker.notes.append(f"{executable}: config key `{key}` is in PENDING_FLAGS and not in its --help yet")
                        continue
                    checker.expect(f"--{key}" in known, where,
                                   f"config key `{key}` in {flags.get('--config')} is not a flag of {executable}")

            # Ports and probes.
            listen = port_of(settings.get("--listen")) or DEFAULT_LISTEN[executable]
            metrics = port_of(settings.get("--metrics-listen")) or DEFAULT_METRICS
            ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
            checker.expect(ports.get("grpc") == listen, where,
                           f"containerPort `grpc` is {ports.get('grpc')} but the process listens on {listen}")
            checker.expect(ports.get("metrics") == metrics, where,
                           f"containerPort `metrics` is {ports.get('metrics')} but /metrics is on {metrics}")
            for probe_name in ("startupProbe", "readinessProbe", "livenessProbe"):
                probe = container.get(probe_name)
                pwhere = f"{where} {probe_name}"
                if not checker.expect(probe is not None, pwhere, "missing"):
                    continue
                if "grpc" in probe:
                    checker.expect(probe["grpc"]["port"] == listen, pwhere,
                                   f"gRPC probe on {probe['grpc']['port']}, the gRPC port is {listen}")
                    checker.expect(probe["grpc"].get("service", "") == "", pwhere,
                                   "gRPC probe service must be \"\" (overall readiness)")
                elif "httpGet" in probe:
                    port = probe["httpGet"]["port"]
                    port = ports.get(port) if isinstance(port, str) else port
                    checker.expect(port == metrics, pwhere, f"HTTP probe on port {port}, /healthz is on {metrics}")
                    checker.expect(probe["httpGet"].get("path") in HTTP_PATHS, pwhere,
                                   f"HTTP probe path {probe['httpGet'].get('path')} is not one of {sorted(HTTP_PATHS)}")
                else:
                    checker.expect(False, pwhere, "neither gRPC nor HTTP probe")
            checker.expect("grpc" in (container.get("readinessProbe") or {}), where,
                           "readinessProbe should be the gRPC health check (grpc.health.v1, service \"\")")

            # Drain: preStop + grace fit in terminationGracePeriodSeconds.
            grace = int(settings.get("--shutdown-grace") or 10)
            pre_stop = ((container.get("lifecycle") or {}).get("preStop") or {})
            sleep = int((pre_stop.get("sleep") or {}).get("seconds", 0))
            tgps = int(spec.get("terminationGracePeriodSeconds", 30))
            checker.expect(sleep > 0, where, "no preStop sleep: endpoints would still route to a draining pod")
            checker.expect(tgps >= sleep + grace, where,
                           f"terminationGracePeriodSeconds {tgps} < preStop {sleep} s + --shutdown-grace {grace} s")

            # Files and directories the flags name.
            for flag in ("--routes",):
                if flag in settings:
                    found = configmap_file(settings[flag])
                    if checker.expect(found is not None and found[1] in (found[0].get("data") or {}), where,
                                      f"{flag} {settings[flag]} is not a file of a mounted ConfigMap"):
                        routes_doc = yaml.safe_load(found[0]["data"][found[1]])
                        checker.expect(not mount_for(settings[flag]).get("subPath"), where,
                                       f"{flag} is mounted with subPath: ConfigMap updates would never reach it")
            if "--pipelines" in settings:
                m = mount_for(settings["--pipelines"])
                cm_name = ((volumes.get(m["name"]) if m else {}) or {}).get("configMap", {}).get("name") if m else None
                if checker.expect(cm_name is not None and build.get("ConfigMap", cm_name) is not None, where,
                                  f"--pipelines {settings['--pipelines']} is not a mounted ConfigMap"):
                    pipelines_cm = build.get("ConfigMap", cm_name)
            if "--model-repository" in settings:
                repo = settings["--model-repository"].rstrip("/")
                checker.expect(any(m["mountPath"] == repo or m["mountPath"].startswith(repo + "/") for m in mounts),
                               where, f"--model-repository {repo} has no volume mounted")
            if "--canary-state" in settings:
                m = mount_for(os.path.dirname(settings["--canary-state"]))
                volume = volumes.get(m["name"], {}) if m else {}
                checker.expect(m is not None and not m.get("readOnly") and ("emptyDir" in volume or
                               "persistentVolumeClaim" in volume), where,
                               f"--canary-state {settings['--canary-state']} is not on a writable volume")
            for flag in SECRET_FILE_FLAGS:
                if flag in settings:
                    path = settings[flag] or ""
                    m = mount_for(path)
                    secret = (volumes.get(m["name"], {}) if m else {}).get("secret")
                    if checker.expect(secret is not None, where, f"{flag} {path} is not on a mounted Secret volume"):
                        items = [i["path"] for i in secret.get("items", [])]
                        rel = os.path.relpath(path, m["mountPath"])
                        checker.expect(not items or rel in items, where,
                                       f"{flag} {path}: Secret/{secret.get('secretName')} items {items} have no {rel}")
            if "--coordination" in settings:
                check_coordination(checker, build, dep, settings["--coordination"] or "", where)
            security = container.get("securityContext") or {}
            checker.expect(security.get("readOnlyRootFilesystem") is True, where, "readOnlyRootFilesystem is not true")
            if "--inference-threads" in settings:
                limit = cpu_cores(((container.get("resources") or {}).get("limits") or {}).get("cpu"))
                threads = int(settings["--inference-threads"])
                checker.expect(limit is None or threads <= math.ceil(limit), where,
                               f"--inference-threads {threads} exceeds the CPU limit {limit}")

            # Run the executable with these args (less the pending flags) and --print-config.
            if help_text is not None:
                if "--print-config" in checker.flags_in_help(help_text):
                    run_print_config(checker, build, dep, container, executable, without_flags(args, pending), where)
                else:
                    checker.notes.append(f"{executable}: no --print-config in --help yet; flags checked against --help only")

    # Services select pods that have the target ports.
    workloads = deployments + build.of_kind("StatefulSet")
    for svc in services:
        name = svc["metadata"]["name"]
        where = f"{where0}: Service/{name}"
        matched = [d for d in workloads if selects(svc["spec"].get("selector"), d["spec"]["template"]["metadata"]["labels"])]
        if not checker.expect(len(matched) > 0, where, "selects no Deployment or StatefulSet"):
            continue
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for d in matched:
                cports = [p for c in d["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
                checker.expect(any(p.get("name") == target or p["containerPort"] == target for p in cports), where,
                               f"targetPort {target} is not a port of {d['kind']}/{d['metadata']['name']}")

    for pdb in build.of_kind("PodDisruptionBudget"):
        checker.expect(any(selects(pdb["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"])
                           for d in workloads), f"{where0}: PodDisruptionBudget/{pdb['metadata']['name']}",
                       "selects no Deployment or StatefulSet")

    namespaces = {o["metadata"].get("namespace") for o in build.objects if o.get("kind") != "Namespace"}
    checker.expect(len(namespaces) == 1 and None not in namespaces, where0,
                   f"objects should all be in one namespace, found {sorted(map(str, namespaces))}")

    # Routes against Services, pipelines and autoscalers.
    routed: dict[tuple[str, str], dict] = {}
    if checker.expect(routes_doc is not None, where0, "no gateway routes found"):
        for model, route in (routes_doc.get("models") or {}).items():
            rwhere = f"{where0}: routes models.{model}"
            endpoints = [(f"versions.{v}", e, spec) for v, spec in route.get("versions", {}).items()
                         for e in spec.get("endpoints", [])]
            if route.get("pipeline"):
                endpoints += [("pipeline", e, None) for e in route["pipeline"].get("endpoints", [])]
                if pipelines_cm is not None:
                    checker.expect(f"{route['pipeline']['model']}.yaml" in (pipelines_cm.get("data") or {}), rwhere,
                                   f"pipeline {route['pipeline']['model']} is not in ConfigMap/{pipelines_cm['metadata']['name']}")
            for key, endpoint, _ in endpoints:
                match = DNS_ENDPOINT.match(endpoint)
                if not checker.expect(match is not None, f"{rwhere}.{key}",
                                      f"endpoint {endpoint} is not dns:///SERVICE.NAMESPACE.svc.cluster.local:PORT"):
                    continue
                svc_name, ns, port = match.group(1), match.group(2), int(match.group(3))
                svc = build.get("Service", svc_name)
                if checker.expect(svc is not None and svc["metadata"].get("namespace") == ns, f"{rwhere}.{key}",
                                  f"{endpoint}: no Service {svc_name} in namespace {ns} in this build"):
                    checker.expect(any(p["port"] == port for p in svc["spec"]["ports"]), f"{rwhere}.{key}",
                                   f"{endpoint}: Service {svc_name} has no port {port}")
                    checker.expect(svc["spec"].get("clusterIP") == "None", f"{rwhere}.{key}",
                                   f"Service {svc_name} is not headless: the gateway could not balance over its pods")
            for version in route.get("versions", {}):
                routed[(model, str(version))] = route.get("autoscaling") or {}

    def check_scaler(kind: str, name: str, target: str, model: str | None, version: str | None,
                     lo: int | None, hi: int | None) -> None:
        where = f"{where0}: {kind}/{name}"
        checker.expect(build.get("Deployment", target) is not None, where, f"targets missing Deployment/{target}")
        if model is None:
            return
        if not checker.expect((model, version) in routed, where,
                              f"scales on the hint of {model} version {version}, which no route serves"):
            return
        auto = routed[(model, version)]
        if auto:
            checker.expect(auto.get("max_replicas") == hi, where,
                           f"maxReplicas {hi} differs from the route's autoscaling.max_replicas {auto.get('max_replicas')}")
            checker.expect(auto.get("min_replicas", 1) <= (lo or 1), where,
                           f"minReplicas {lo} is below the route's autoscaling.min_replicas {auto.get('min_replicas')}")

    for hpa in build.of_kind("HorizontalPodAutoscaler"):
        spec = hpa["spec"]
        external = [m["external"] for m in spec.get("metrics", []) if m["type"] == "External"]
        labels = external[0]["metric"].get("selector", {}).get("matchLabels", {}) if external else {}
        if external:
            checker.expect(external[0]["metric"]["name"] == "gateway_desired_replicas",
                           f"{where0}: HorizontalPodAutoscaler/{hpa['metadata']['name']}", "external metric is not gateway_desired_replicas")
        check_scaler("HorizontalPodAutoscaler", hpa["metadata"]["name"], spec["scaleTargetRef"]["name"],
                     labels.get("model") if external else None, str(labels.get("version")) if external else None,
                     spec.get("minReplicas"), spec.get("maxReplicas"))
    for so in build.of_kind("ScaledObject"):
        spec = so["spec"]
        query = " ".join(t["metadata"].get("query", "") for t in spec.get("triggers", []))
        model = re.search(r'model="([^"]+)"', query)
        version = re.search(r'version="([^"]+)"', query)
        ns = re.search(r'namespace="([^"]+)"', query)
        checker.expect(ns is not None and ns.group(1) == so["metadata"].get("namespace"),
                       f"{where0}: ScaledObject/{so['metadata']['name']}", "query is not limited to its own namespace")
        check_scaler("ScaledObject", so["metadata"]["name"], spec["scaleTargetRef"]["name"],
                     model.group(1) if model else None, version.group(1) if version else None,
                     spec.get("minReplicaCount"), spec.get("maxReplicaCount"))
        checker.expect(build.get("HorizontalPodAutoscaler", spec["scaleTargetRef"]["name"]) is None,
                       f"{where0}: ScaledObject/{so['metadata']['name']}", "the Deployment also has an HPA of ours")

    # NetworkPolicies: backend gRPC ports open to the gateway.
    policies = build.of_kind("NetworkPolicy")
    for dep in deployments:
        labels = dep["spec"]["template"]["metadata"]["labels"]
        if labels.get("inference-mesh/role") != "backend":
            continue
        grpc = [p["containerPort"] for c in dep["spec"]["template"]["spec"]["containers"]
                for p in c.get("ports", []) if p.get("name") == "grpc"]
        open_ports = {p.get("port") for pol in policies if selects(pol["spec"]["podSelector"].get("matchLabels"), labels)
                      for rule in pol["spec"].get("ingress", [])
                      if any(selects(f.get("podSelector", {}).get("matchLabels"), {"inference-mesh/role": "gateway"})
                             and "namespaceSelector" not in f for f in rule.get("from", []))
                      for p in rule.get("ports", [])}
        for port in grpc:
            checker.expect(port in open_ports, f"{where0}: Deployment/{dep['metadata']['name']}",
                           f"no NetworkPolicy lets the gateway reach gRPC port {port}")

    for model, images in worker_images.items():
        checker.expect(len(images) == 1, f"{where0}: model {model}", f"its workers run different images: {sorted(images)}")

    # The pipelines ConfigMap is a copy of examples/pipelines.
    if pipelines_cm is not None:
        for key, text in (pipelines_cm.get("data") or {}).items():
            example = os.path.join(checker.repo, "examples", "pipelines", key)
            if os.path.exists(example):
                ours = yaml.safe_load(text)
                theirs = yaml.safe_load(open(example, encoding="utf-8"))
                checker.expect(ours == theirs, f"{where0}: ConfigMap/{pipelines_cm['metadata']['name']} {key}",
                               f"differs from {example}: copy it to k8s/base/config/pipelines/")
            else:
                checker.notes.append(f"{example} does not exist yet: ConfigMap copy of {key} not compared")


def without_flags(args: list[str], drop: set[str]) -> list[str]:
    """`args` less the flags in `drop` and their values."""
    out: list[str] = []
    i = 0
    while i < len(args):
        name = args[i].split("=", 1)[0]
        if name in drop:
            i += 1 if "=" in args[i] or i + 1 >= len(args) or args[i + 1].startswith("--") else 2
            continue
        out.append(args[i])
        i += 1
    return out


def policy_allows(policies: list[dict], direction: str, pod_labels: dict, peer_labels: dict, port: int) -> bool:
    """Whether some NetworkPolicy selecting `pod_labels` allows `direction` (ingress / egress) traffic
    on TCP `port` to or from pods with `peer_labels` in the same namespace."""
    key = "from" if direction == "ingress" else "to"
    for pol in policies:
        if not selects(pol["spec"]["podSelector"].get("matchLabels"), pod_labels):
            continue
        for rule in pol["spec"].get(direction, []) or []:
            peers = rule.get(key)
            peer_ok = not peers or any("namespaceSelector" not in f and "ipBlock" not in f
                                       and selects(f.get("podSelector", {}).get("matchLabels"), peer_labels)
                                       for f in peers)
            ports = rule.get("ports")
            port_ok = not ports or any(p.get("port") in (port, None) for p in ports)
            if peer_ok and port_ok:
                return True
    return False


def check_coordination(checker: Checker, build: Build, dep: dict, value: str, where: str) -> None:
    """--coordination etcd://HOST:PORT[,HOST:PORT...]/PREFIX against the objects of this build."""
    match = COORDINATION.match(value)
    if not checker.expect(match is not None, where, f"--coordination {value!r} is not etcd://HOST:PORT[,HOST:PORT...]/PREFIX"):
        return
    gateway_labels = dep["spec"]["template"]["metadata"]["labels"]
    policies = build.of_kind("NetworkPolicy")
    for endpoint in match.group(1).split(","):
        host, _, port_text = endpoint.rpartition(":")
        if not checker.expect(bool(host) and port_text.isdigit(), where, f"--coordination endpoint {endpoint!r} is not HOST:PORT"):
            continue
        port = int(port_text)
        inside = CLUSTER_HOST.match(host)
        if not inside:
            # An etcd outside the cluster (components/etcd-external): the gateway needs egress to it.
            checker.expect(any(selects(pol["spec"]["podSelector"].get("matchLabels"), gateway_labels)
                               and any(not r.get("to") or any("ipBlock" in t for t in r["to"])
                                       for r in pol["spec"].get("egress", []) or []
                                       if any(p.get("port") == port for p in r.get("ports", [])))
                               for pol in policies), where,
                           f"no NetworkPolicy lets the gateway reach {endpoint} outside the cluster (port {port})")
            continue
        name, namespace = inside.group(1), inside.group(2)
        ewhere = f"{where} --coordination {endpoint}"
        pod, _, service_name = name.rpartition(".") if "." in name else ("", "", name)
        svc = build.get("Service", service_name)
        if not checker.expect(svc is not None and svc["metadata"].get("namespace") == namespace, ewhere,
                              f"no Service {service_name} in namespace {namespace} in this build"):
            continue
        svc_port = next((p for p in svc["spec"]["ports"] if p["port"] == port), None)
        if not checker.expect(svc_port is not None, ewhere, f"Service {service_name} has no port {port}"):
            continue
        backends = [s for s in build.of_kind("StatefulSet") + build.of_kind("Deployment")
                    if selects(svc["spec"].get("selector"), s["spec"]["template"]["metadata"]["labels"])]
        if pod:
            sts = [s for s in backends if s["kind"] == "StatefulSet" and s["spec"].get("serviceName") == service_name]
            ordinal = pod.rpartition("-")[2]
            checker.expect(svc["spec"].get("clusterIP") == "None", ewhere, f"{pod}.{service_name}: Service is not headless")
            checker.expect(any(pod == f"{s['metadata']['name']}-{ordinal}" and ordinal.isdigit()
                               and int(ordinal) < int(s["spec"].get("replicas", 1)) for s in sts), ewhere,
                           f"no StatefulSet with serviceName {service_name} has a pod {pod}")
        for backend in backends:
            labels = backend["spec"]["template"]["metadata"]["labels"]
            target = svc_port.get("targetPort", port)
            cport = next((p["containerPort"] for c in backend["spec"]["template"]["spec"]["containers"]
                          for p in c.get("ports", []) if p.get("name") == target or p["containerPort"] == target), port)
            checker.expect(policy_allows(policies, "egress", gateway_labels, labels, cport), ewhere,
                           f"no NetworkPolicy lets the gateway's pods send to {backend['kind']}/{backend['metadata']['name']} port {cport}")
            checker.expect(policy_allows(policies, "ingress", labels, gateway_labels, cport), ewhere,
                           f"no NetworkPolicy lets {backend['kind']}/{backend['metadata']['name']} accept the gateway on port {cport}")


def run_print_config(checker: Checker, build: Build, dep: dict, container: dict, executable: str,
                     args: list[str], where: str) -> None:
    """Run `BINARY ARGS --print-config` with the pod's files laid out in a temporary directory."""
    spec = dep["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    with tempfile.TemporaryDirectory(prefix="deploy-consistency-") as root:
        mapping: list[tuple[str, str]] = []
        # Mounts are laid out under one local tree mirroring the pod's paths, so nested mounts
        # (an image volume's subPaths under the model repository) nest here too.
        tree = os.path.join(root, "fs")
        for m in sorted(container.get("volumeMounts", []), key=lambda m: m["mountPath"]):
            local = os.path.join(tree, m["mountPath"].strip("/"))
            volume = volumes.get(m["name"], {})
            sub_path = m.get("subPath", "")
            if "configMap" in volume:
                os.makedirs(local, exist_ok=True)
                cm = build.get("ConfigMap", volume["configMap"]["name"]) or {}
                for key, text in (cm.get("data") or {}).items():
                    with open(os.path.join(local, key), "w", encoding="utf-8") as f:
                        f.write(text)
            elif sub_path.startswith("models/"):
                # An image volume holding the model repository: its files are examples/models.
                source = os.path.join(checker.repo, "examples", sub_path)
                os.makedirs(os.path.dirname(local), exist_ok=True)
                if os.path.isdir(source):
                    shutil.copytree(source, local, dirs_exist_ok=True)
                elif os.path.isfile(source):
                    shutil.copy(source, local)
                else:
                    os.makedirs(local, exist_ok=True)
            else:
                os.makedirs(local, exist_ok=True)
            mapping.append((m["mountPath"].rstrip("/"), local))
        # The model repository: what the fetch-model init container copies (MODEL / VERSION env).
        for init in spec.get("initContainers", []):
            env = {e["name"]: e.get("value") for e in init.get("env", [])}
            if "MODEL" in env and "VERSION" in env:
                source = os.path.join(checker.repo, "examples", "models", env["MODEL"])
                repo_path = parse_args(args).get("--model-repository", "/models").rstrip("/")
                local = dict(mapping).get(repo_path)
                if local and os.path.isdir(source):
                    os.makedirs(os.path.join(local, env["MODEL"]), exist_ok=True)
                    if os.path.exists(os.path.join(source, "config.yaml")):
                        shutil.copy(os.path.join(source, "config.yaml"), os.path.join(local, env["MODEL"]))
                    shutil.copytree(os.path.join(source, env["VERSION"]), os.path.join(local, env["MODEL"], env["VERSION"]))

        def remap(value: str) -> str:
            for mount, local in sorted(mapping, key=lambda x: -len(x[0])):
                if value == mount or value.startswith(mount + "/"):
                    return local + value[len(mount):]
            # A directory that only holds mounts (the model repository of an image volume).
            if value.startswith("/") and os.path.isdir(os.path.join(tree, value.strip("/"))):
                return os.path.join(tree, value.strip("/"))
            return value

        local_args = [remap(a) for a in args]
        # Config files name mounted paths too: rewrite their values the same way.
        for i, a in enumerate(local_args[:-1]):
            if args[i] == "--config" and os.path.exists(local_args[i + 1]):
                data = yaml.safe_load(open(local_args[i + 1], encoding="utf-8")) or {}
                data = {k: remap(v) if isinstance(v, str) else v for k, v in data.items()}
                with open(local_args[i + 1], "w", encoding="utf-8") as f:
                    yaml.safe_dump(data, f)
        command = [os.path.join(checker.bin_dir, executable), *local_args, "--print-config"]
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=root)
            ok = run.returncode == 0
            detail = (run.stderr or run.stdout).strip()[:400]
        except subprocess.TimeoutExpired:
            ok, detail = False, "timed out after 30 s (does --print-config exit?)"
        checker.expect(ok, where, f"`{executable} <manifest args> --print-config` failed: {detail}")


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True, help="directory with gateway, model-worker, feature-preprocessor")
    parser.add_argument("--repo", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("manifests", nargs="+")
    options = parser.parse_args(argv[1:])
    checker = Checker(os.path.abspath(options.bin_dir), os.path.abspath(options.repo))
    for path in options.manifests:
        before = (checker.checked, len(checker.failures))
        check_build(checker, Build(path))
        print(f"{path}: {checker.checked - before[0]} checks, {len(checker.failures) - before[1]} failed")
    for note in dict.fromkeys(checker.notes):
        print(f"note: {note}")
    for failure in dict.fromkeys(checker.failures):
        print(f"FAIL {failure}")
    print(f"deploy consistency: {checker.checked} checks, {len(set(checker.failures))} failures")
    return 1 if checker.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
