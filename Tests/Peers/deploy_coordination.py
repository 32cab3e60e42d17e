#!/usr/bin/env python3
"""Check how the gateway keeps its rollout state in each built overlay (scripts/check-deploy).

Usage: deploy_coordination.py [--file-mode B.yaml]... [--in-cluster B.yaml]... [--tls B.yaml]...
                              [--external B.yaml]... [--adapter-values FILE] [--dashboard FILE]

Each B.yaml is the output of `kubectl kustomize` for one overlay, named by the mode it must have:

  --file-mode   the gateway keeps canary progress in its own --canary-state file (no
                --coordination), so it must run as exactly one replica (no HPA)
  --in-cluster  --coordination on the etcd of components/etcd: no --canary-state, gateway HPA
                minReplicas >= 2; the etcd StatefulSet has 3 members, a headless Service that
                publishes not-ready members, a client Service, a PDB with minAvailable 2, one
                member per node (required anti-affinity), a PVC each, the restricted security
                context, resource requests and limits, /health probes on the metrics port, a
                pinned image, $(VAR) references to earlier variables only, the --coordination
                endpoints equal to its members, and NetworkPolicies that open the client port to
                the gateway only and the peer port to the members only
  --tls         --in-cluster plus TLS: https client and peer URLs, client and peer certificate
                authentication, and the gateway's --etcd-ca / --etcd-cert / --etcd-key
  --external    --coordination on an etcd outside the build (components/etcd-external): no etcd
                StatefulSet, gateway HPA minReplicas >= 2

and in every build, plus the prometheus-adapter values and the Grafana dashboard: the gateway's
gateway_desired_replicas is aggregated over gateway pods with `max`, never `sum` (with
coordination every replica exports the same cluster-wide value, so a sum would multiply it by the
number of gateway replicas).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import yaml

POD_ENDPOINT = re.compile(r"^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local:(\d+)$")
PINNED_IMAGE = re.compile(r"(:v?\d+\.\d+\.\d+[^:@/]*)?(@sha256:[0-9a-f]{64})?$")
# `AGG(x)`, `AGG by (labels) (x)`, `AGG without (labels) (x)` around the hint.
_AGG = r"\s*(?:(?:by|without)\s*\([^)]*\)\s*)?\(\s*"
SUMMED_HINT = re.compile(r"\bsum" + _AGG + r"gateway_desired_replicas\b")
MAXED_HINT = re.compile(r"^\s*max" + _AGG + r"(<<\.Series>>|gateway_desired_replicas\b)")


class Report:
    def __init__(self) -> None:
        self.checked = 0
        self.failures: list[str] = []

    def expect(self, ok: bool, where: str, message: str) -> bool:
        self.checked += 1
        if not ok:
            self.failures.append(f"{where}: {message}")
        return ok


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [o for o in yaml.safe_load_all(f) if o]


def get(objects: list[dict], kind: str, name: str) -> dict | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def selects(selector: dict | None, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def gateway_args(objects: list[dict]) -> tuple[dict, list[str]]:
    dep = get(objects, "Deployment", "gateway")
    container = next(c for c in dep["spec"]["template"]["spec"]["containers"] if c["name"] == "gateway")
    return dep, [str(a) for a in container.get("args", [])]


def flag(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def gateway_floor(objects: list[dict]) -> int:
    hpa = get(objects, "HorizontalPodAutoscaler", "gateway")
    if hpa:
        return int(hpa["spec"].get("minReplicas", 1))
    return int(get(objects, "Deployment", "gateway")["spec"].get("replicas", 1))


def check_gateway(r: Report, where: str, objects: list[dict], coordinated: bool) -> list[str]:
    dep, args = gateway_args(objects)
    if coordinated:
        r.expect(flag(args, "--coordination") is not None, where, "the gateway has no --coordination")
        r.expect(flag(args, "--canary-state") is None, where,
                 "the gateway still has --canary-state (unused with --coordination: drop it and its volume)")
        r.expect(gateway_floor(objects) >= 2, where,
                 f"gateway minReplicas is {gateway_floor(objects)}: with coordination run at least 2 (a leader and a follower)")
    else:
        r.expect(flag(args, "--coordination") is None, where, "file mode expected, but the gateway has --coordination")
        r.expect(flag(args, "--canary-state") is not None, where, "file mode: the gateway has no --canary-state")
        r.expect(get(objects, "HorizontalPodAutoscaler", "gateway") is None
                 and int(dep["spec"].get("replicas", 1)) == 1, where,
                 "file mode keeps canary state per pod: run exactly one gateway replica (no HPA)")
    return args


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def check_etcd(r: Report, where: str, objects: list[dict], args: list[str], tls: bool) -> None:
    sts = get(objects, "StatefulSet", "etcd")
    if not r.expect(sts is not None, where, "no StatefulSet/etcd"):
        return
    w = f"{where}: StatefulSet/etcd"
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"]["labels"]
    replicas = int(spec.get("replicas", 1))
    r.expect(replicas == 3, w, f"{replicas} members, expected 3")
    r.expect(spec.get("podManagementPolicy") == "Parallel", w,
             "podManagementPolicy should be Parallel (members need each other to become ready)")
    r.expect(any(t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])), w, "no volumeClaimTemplates")

    headless = get(objects, "Service", spec.get("serviceName", ""))
    if r.expect(headless is not None, w, f"serviceName {spec.get('serviceName')} is not a Service of the build"):
        r.expect(headless["spec"].get("clusterIP") == "None" and headless["spec"].get("publishNotReadyAddresses") is True,
                 w, "the peer Service must be headless and publish not-ready members")
    r.expect(any(s["spec"].get("clusterIP") != "None" and selects(s["spec"].get("selector"), labels)
                 for s in objects if s["kind"] == "Service"), w, "no client (ClusterIP) Service")

    pdbs = [p for p in objects if p["kind"] == "PodDisruptionBudget"
            and selects(p["spec"]["selector"].get("matchLabels"), labels)]
    r.expect(len(pdbs) == 1 and pdbs[0]["spec"].get("minAvailable") == 2, w,
             "needs exactly one PodDisruptionBudget with minAvailable 2 (quorum of 3)")

    anti = ((pod.get("affinity") or {}).get("podAntiAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution", [])
    r.expect(any(t.get("topologyKey") == "kubernetes.io/hostname"
                 and selects(t.get("labelSelector", {}).get("matchLabels"), labels) for t in anti), w,
             "no required pod anti-affinity on kubernetes.io/hostname (one member per node)")

    psc = pod.get("securityContext") or {}
    r.expect(psc.get("runAsNonRoot") is True and (psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", w,
             "pod securityContext must set runAsNonRoot and seccompProfile RuntimeDefault")
    r.expect(pod.get("automountServiceAccountToken") is False, w, "automountServiceAccountToken must be false")
    container = pod["containers"][0]
    csc = container.get("securityContext") or {}
    r.expect(csc.get("readOnlyRootFilesystem") is True and csc.get("allowPrivilegeEscalation") is False
             and (csc.get("capabilities") or {}).get("drop") == ["ALL"], w,
             "container securityContext must be read-only, without privilege escalation, drop ALL")
    resources = container.get("resources") or {}
    r.expect(all(k in (resources.get(t) or {}) for t in ("requests", "limits") for k in ("cpu", "memory")), w,
             "cpu and memory requests and limits required")
    r.expect(bool(PINNED_IMAGE.search(container["image"]).group(0)), w,
             f"image {container['image']} is not pinned to a release tag or digest")

    env = env_of(container)
    defined: set[str] = set()
    for e in container.get("env", []):
        for ref in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", e.get("value", "")):
            r.expect(ref in defined, w, f"{e['name']} uses $({ref}), which is not defined earlier in env (not expanded)")
        defined.add(e["name"])
    metrics_port = re.search(r":(\d+)$", env.get("ETCD_LISTEN_METRICS_URLS", ""))
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    r.expect(metrics_port is not None and ports.get("metrics") == int(metrics_port.group(1)), w,
             "containerPort `metrics` must be the port of ETCD_LISTEN_METRICS_URLS (probes and Prometheus)")
    for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
        http = (container.get(probe_name) or {}).get("httpGet") or {}
        r.expect(http.get("path", "").startswith("/health") and http.get("port") in ("metrics", ports.get("metrics")),
                 w, f"{probe_name} must be an HTTP /health probe on the metrics port")
    members = [f"etcd-{i}" for i in range(replicas)]
    cluster = env.get("ETCD_INITIAL_CLUSTER", "")
    r.expect(sorted(m.split("=")[0] for m in cluster.split(",")) == members, w,
             f"ETCD_INITIAL_CLUSTER names {cluster!r}, expected members {members}")
    scheme = "https" if tls else "http"
    for key in ("ETCD_LISTEN_CLIENT_URLS", "ETCD_ADVERTISE_CLIENT_URLS", "ETCD_LISTEN_PEER_URLS",
                "ETCD_INITIAL_ADVERTISE_PEER_URLS"):
        r.expect(env.get(key, "").startswith(f"{scheme}://"), w, f"{key} should be {scheme}://...")
    r.expect(all(u.split("=", 1)[-1].startswith(f"{scheme}://") for u in cluster.split(",")), w,
             f"ETCD_INITIAL_CLUSTER peer URLs should be {scheme}://")
    if tls:
        for key in ("ETCD_CLIENT_CERT_AUTH", "ETCD_PEER_CLIENT_CERT_AUTH"):
            r.expect(env.get(key) == "true", w, f"{key} should be true")
        for key in ("ETCD_TRUSTED_CA_FILE", "ETCD_CERT_FILE", "ETCD_KEY_FILE",
                    "ETCD_PEER_TRUSTED_CA_FILE", "ETCD_PEER_CERT_FILE", "ETCD_PEER_KEY_FILE"):
            r.expect(bool(env.get(key)), w, f"{key} is not set")
        for name in ("--etcd-ca", "--etcd-cert", "--etcd-key"):
            r.expect(flag(args, name) is not None, f"{where}: gateway", f"{name} missing (TLS etcd)")

    # The gateway's endpoints are exactly the members, on the client port.
    coordination = flag(args, "--coordination") or ""
    match = re.match(r"^etcd://([^/]+)/(.+)$", coordination)
    if r.expect(match is not None, f"{where}: gateway", f"--coordination {coordination!r} is not etcd://HOSTS/PREFIX"):
        found = set()
        for endpoint in match.group(1).split(","):
            m = POD_ENDPOINT.match(endpoint)
            if r.expect(m is not None and m.group(3) == spec.get("serviceName") and m.group(4) == sts["metadata"].get("namespace")
                        and int(m.group(5)) == ports.get("client"), f"{where}: gateway",
                        f"--coordination endpoint {endpoint} is not etcd-N.{spec.get('serviceName')}."
                        f"{sts['metadata'].get('namespace')}.svc.cluster.local:{ports.get('client')}"):
                found.add(f"{m.group(1)}-{m.group(2)}")
        r.expect(sorted(found) == members, f"{where}: gateway", f"--coordination lists {sorted(found)}, the members are {members}")

    # NetworkPolicies: client port from the gateway only, peer port from the members only.
    gateway_labels = get(objects, "Deployment", "gateway")["spec"]["template"]["metadata"]["labels"]
    policies = [p for p in objects if p["kind"] == "NetworkPolicy"
                and selects(p["spec"]["podSelector"].get("matchLabels"), labels)]
    for port, allowed, who in ((ports.get("client"), gateway_labels, "the gateway"), (ports.get("peer"), labels, "etcd members")):
        rules = [rule for p in policies for rule in p["spec"].get("ingress", []) or []
                 if not rule.get("ports") or any(x.get("port") == port for x in rule["ports"])]
        r.expect(bool(rules), w, f"no NetworkPolicy opens port {port} to {who}")
        for rule in rules:
            ok = bool(rule.get("from")) and all(
                "namespaceSelector" not in f and "ipBlock" not in f
                and f.get("podSelector") and selects(f["podSelector"].get("matchLabels"), allowed)
                for f in rule["from"])
            r.expect(ok, w, f"an ingress rule opens port {port} to more than {who}: {rule}")


def check_queries(r: Report, where: str, objects: list[dict]) -> None:
    for so in (o for o in objects if o["kind"] == "ScaledObject"):
        for trigger in so["spec"].get("triggers", []):
            query = trigger.get("metadata", {}).get("query", "")
            if "gateway_desired_replicas" in query:
                r.expect(bool(MAXED_HINT.match(query)) and not SUMMED_HINT.search(query),
                         f"{where}: ScaledObject/{so['metadata']['name']}",
                         f"query {query!r} must be max(gateway_desired_replicas{{...}}) (every gateway replica exports the same value)")
    for rule_obj in (o for o in objects if o["kind"] == "PrometheusRule"):
        for group in rule_obj["spec"]["groups"]:
            for rule in group["rules"]:
                r.expect(not SUMMED_HINT.search(rule["expr"]), f"{where}: PrometheusRule {rule.get('alert') or rule.get('record')}",
                         "sums gateway_desired_replicas over gateway pods: use max")


def check_adapter(r: Report, path: str) -> None:
    values = yaml.safe_load(open(path, encoding="utf-8"))
    rules = [x for x in (values.get("rules") or {}).get("external", []) if "gateway_desired_replicas" in x["seriesQuery"]]
    r.expect(bool(rules), path, "no external rule for gateway_desired_replicas")
    for rule in rules:
        r.expect(bool(MAXED_HINT.match(rule["metricsQuery"])), path,
                 f"metricsQuery {rule['metricsQuery']!r} must aggregate gateway_desired_replicas with max")


def check_dashboard(r: Report, path: str) -> None:
    dashboard = json.load(open(path, encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            r.expect(not SUMMED_HINT.search(target["expr"]), f"{path}: panel {panel['title']!r}",
                     "sums gateway_desired_replicas over gateway pods: use max")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for mode in ("file-mode", "in-cluster", "tls", "external"):
        parser.add_argument(f"--{mode}", action="append", default=[], metavar="BUILD.yaml")
    parser.add_argument("--adapter-values")
    parser.add_argument("--dashboard")
    options = parser.parse_args(argv[1:])
    r = Report()
    modes = [("file-mode", p) for p in options.file_mode] + [("in-cluster", p) for p in options.in_cluster] \
        + [("tls", p) for p in options.tls] + [("external", p) for p in options.external]
    for mode, path in modes:
        before = (r.checked, len(r.failures))
        objects = load(path)
        args = check_gateway(r, path, objects, coordinated=mode != "file-mode")
        if mode in ("in-cluster", "tls"):
            check_etcd(r, path, objects, args, tls=mode == "tls")
        else:
            r.expect(get(objects, "StatefulSet", "etcd") is None, path, f"{mode}: unexpected in-cluster etcd StatefulSet")
        check_queries(r, path, objects)
        print(f"{path} ({mode}): {r.checked - before[0]} checks, {len(r.failures) - before[1]} failed")
    if options.adapter_values:
        check_adapter(r, options.adapter_values)
    if options.dashboard:
        check_dashboard(r, options.dashboard)
    for failure in r.failures:
        print(f"FAIL {failure}")
    print(f"coordination: {r.checked} checks, {len(r.failures)} failures")
    return 1 if r.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
