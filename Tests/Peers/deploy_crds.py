#!/usr/bin/env python3
"""Split kustomize output into core Kubernetes objects and custom resources, and check ours.

  deploy_crds.py split BUILD.yaml CORE.yaml CUSTOM.yaml
      CORE.yaml gets the objects kubernetes-validate has schemas for (core API groups),
      CUSTOM.yaml the custom resources (monitoring.coreos.com, keda.sh), which it has not.
  deploy_crds.py check CUSTOM.yaml RULES_DIR
      Validates each custom resource against a structural JSON schema written here from the
      CRDs' documented fields (Prometheus Operator v1 ServiceMonitor / PodMonitor /
      PrometheusRule, KEDA v1alpha1 ScaledObject): required fields, field names (unknown ones
      are errors, as with kubectl's strict field validation), types and duration formats. These
      schemas are a subset of the upstream CRDs, enough to catch typos and misplaced fields.
      Writes each PrometheusRule's spec to RULES_DIR/NAME.rules.yaml for `promtool check rules`.
"""

from __future__ import annotations

import os
import sys

import jsonschema
import yaml

CUSTOM_GROUPS = ("monitoring.coreos.com/", "keda.sh/")

DURATION = {"type": "string", "pattern": r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
LABEL_SELECTOR = {
    "type": "object", "additionalProperties": False,
    "properties": {"matchLabels": STRINGS, "matchExpressions": {"type": "array", "items": {
        "type": "object", "required": ["key", "operator"], "additionalProperties": False,
        "properties": {"key": {"type": "string"}, "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                       "values": {"type": "array", "items": {"type": "string"}}}}}},
}
RELABEL = {
    "type": "object", "additionalProperties": False,
    "properties": {"sourceLabels": {"type": "array", "items": {"type": "string"}}, "separator": {"type": "string"},
                   "targetLabel": {"type": "string"}, "regex": {"type": "string"}, "modulus": {"type": "integer"},
                   "replacement": {"type": "string"},
                   "action": {"enum": ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
                                       "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
                                       "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal", "KeepEqual",
                                       "dropequal", "DropEqual"]}},
}
ENDPOINT_COMMON = {
    "port": {"type": "string"}, "path": {"type": "string"}, "scheme": {"enum": ["http", "https"]},
    "interval": DURATION, "scrapeTimeout": DURATION, "honorLabels": {"type": "boolean"},
    "honorTimestamps": {"type": "boolean"}, "params": {"type": "object"},
    "relabelings": {"type": "array", "items": RELABEL}, "metricRelabelings": {"type": "array", "items": RELABEL},
    "tlsConfig": {"type": "object"}, "followRedirects": {"type": "boolean"}, "enableHttp2": {"type": "boolean"},
    "filterRunning": {"type": "boolean"},
}
NAMESPACE_SELECTOR = {"type": "object", "additionalProperties": False,
                      "properties": {"any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}}
METADATA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "namespace": {"type": "string"},
                                                                   "labels": STRINGS, "annotations": STRINGS}}


def resource(spec_schema: dict) -> dict:
    return {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"], "additionalProperties": False,
            "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": METADATA,
                           "spec": spec_schema}}


SCHEMAS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): resource({
        "type": "object", "required": ["selector", "endpoints"], "additionalProperties": False,
        "properties": {
            "selector": LABEL_SELECTOR, "namespaceSelector": NAMESPACE_SELECTOR, "jobLabel": {"type": "string"},
            "targetLabels": {"type": "array", "items": {"type": "string"}},
            "podTargetLabels": {"type": "array", "items": {"type": "string"}}, "sampleLimit": {"type": "integer"},
            "endpoints": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "properties": {**ENDPOINT_COMMON, "targetPort": {"type": ["string", "integer"]},
                               "bearerTokenSecret": {"type": "object"}}}},
        }}),
    ("monitoring.coreos.com/v1", "PodMonitor"): resource({
        "type": "object", "required": ["selector", "podMetricsEndpoints"], "additionalProperties": False,
        "properties": {
            "selector": LABEL_SELECTOR, "namespaceSelector": NAMESPACE_SELECTOR, "jobLabel": {"type": "string"},
            "podTargetLabels": {"type": "array", "items": {"type": "string"}}, "sampleLimit": {"type": "integer"},
            "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False,
                "properties": {**ENDPOINT_COMMON, "portNumber": {"type": "integer"}}}},
        }}),
    ("monitoring.coreos.com/v1", "PrometheusRule"): resource({
        "type": "object", "required": ["groups"], "additionalProperties": False,
        "properties": {"groups": {"type": "array", "items": {
            "type": "object", "required": ["name", "rules"], "additionalProperties": False,
            "properties": {"name": {"type": "string"}, "interval": DURATION, "limit": {"type": "integer"},
                           "partial_response_strategy": {"type": "string"},
                           "rules": {"type": "array", "items": {
                               "type": "object", "required": ["expr"], "additionalProperties": False,
                               "oneOf": [{"required": ["record"]}, {"required": ["alert"]}],
                               "properties": {"record": {"type": "string"}, "alert": {"type": "string"},
                                              "expr": {"type": ["string", "integer"]}, "for": DURATION,
                                              "keep_firing_for": DURATION, "labels": STRINGS,
                                              "annotations": STRINGS}}}}}}}}),
    ("keda.sh/v1alpha1", "ScaledObject"): resource({
        "type": "object", "required": ["scaleTargetRef", "triggers"], "additionalProperties": False,
        "properties": {
            "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                               "properties": {"name": {"type": "string"}, "apiVersion": {"type": "string"},
                                              "kind": {"type": "string"}, "envSourceContainerName": {"type": "string"}}},
            "pollingInterval": {"type": "integer", "minimum": 1}, "cooldownPeriod": {"type": "integer", "minimum": 0},
            "initialCooldownPeriod": {"type": "integer"}, "idleReplicaCount": {"type": "integer"},
            "minReplicaCount": {"type": "integer", "minimum": 0}, "maxReplicaCount": {"type": "integer", "minimum": 1},
            "fallback": {"type": "object", "required": ["failureThreshold", "replicas"]},
            "advanced": {"type": "object", "additionalProperties": False, "properties": {
                "restoreToOriginalReplicaCount": {"type": "boolean"}, "scalingModifiers": {"type": "object"},
                "horizontalPodAutoscalerConfig": {"type": "object", "additionalProperties": False, "properties": {
                    "name": {"type": "string"}, "behavior": {"type": "object", "additionalProperties": False,
                                                             "properties": {"scaleUp": {"type": "object"},
                                                                            "scaleDown": {"type": "object"}}}}}}},
            "triggers": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
                "properties": {"type": {"type": "string"}, "name": {"type": "string"}, "metadata": STRINGS,
                               "metricType": {"enum": ["AverageValue", "Value", "Utilization"]},
                               "useCachedMetrics": {"type": "boolean"},
                               "authenticationRef": {"type": "object", "required": ["name"]}}}},
        }}),
}

# Trigger metadata keys KEDA's prometheus scaler reads (a misspelt key is silently ignored).
PROMETHEUS_TRIGGER_KEYS = {"serverAddress", "query", "threshold", "activationThreshold", "namespace",
                           "customHeaders", "ignoreNullValues", "queryParameters", "unsafeSsl", "timeout",
                           "authModes", "cortexOrgID"}


def split(build: str, core: str, custom: str) -> int:
    docs = [d for d in yaml.safe_load_all(open(build, encoding="utf-8")) if d]
    ours = [d for d in docs if d.get("apiVersion", "").startswith(CUSTOM_GROUPS)]
    rest = [d for d in docs if d not in ours]
    with open(core, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(rest, f, sort_keys=False)
    with open(custom, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(ours, f, sort_keys=False)
    kinds = sorted({f"{d['kind']}" for d in ours})
    print(f"{build}: {len(rest)} core objects, {len(ours)} custom resources ({', '.join(kinds) or 'none'})")
    return 0


def check(custom: str, rules_dir: str) -> int:
    failures = 0
    count = 0
    for doc in (d for d in yaml.safe_load_all(open(custom, encoding="utf-8")) if d):
        count += 1
        key = (doc.get("apiVersion"), doc.get("kind"))
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        schema = SCHEMAS.get(key)
        if schema is None:
            print(f"FAIL {custom}: {name}: no schema for {key[0]} {key[1]} in deploy_crds.py")
            failures += 1
            continue
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
        for error in errors:
            path = ".".join(str(p) for p in error.path)
            print(f"FAIL {custom}: {name}: {path}: {error.message}")
        failures += len(errors)
        if key[1] == "ScaledObject":
            for trigger in doc["spec"].get("triggers", []):
                if trigger.get("type") == "prometheus":
                    unknown = set(trigger.get("metadata", {})) - PROMETHEUS_TRIGGER_KEYS
                    for k in sorted(unknown):
                        print(f"FAIL {custom}: {name}: prometheus trigger metadata key {k} is not one KEDA reads")
                    failures += len(unknown)
                    for k in ("serverAddress", "query", "threshold"):
                        if k not in trigger.get("metadata", {}):
                            print(f"FAIL {custom}: {name}: prometheus trigger needs metadata.{k}")
                            failures += 1
        if key[1] == "PrometheusRule" and not errors:
            os.makedirs(rules_dir, exist_ok=True)
            with open(os.path.join(rules_dir, f"{doc['metadata']['name']}.rules.yaml"), "w", encoding="utf-8") as f:
                yaml.safe_dump(doc["spec"], f, sort_keys=False)
    print(f"{custom}: {count} custom resources checked, {failures} problem(s)")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[1] == "split":
        return split(*argv[2:])
    if len(argv) == 4 and argv[1] == "check":
        return check(*argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
