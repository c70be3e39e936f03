"""Validates prometheus-operator objects against the CRD schemas they claim to be.

Usage: validate_crd.py CRD_DIR OBJECT.yaml...

Every object's `spec` is checked against the `openAPIV3Schema` of its kind's served `v1`
version, made strict: the API server prunes unknown fields silently, so a misspelt field
would be accepted and lost; here an object schema with `properties` allows no other key
(unless it says `x-kubernetes-preserve-unknown-fields`). `metadata` is checked as the API
server does (name and namespace DNS-1123, labels strings). Prints one line per problem and
exits 1 if there is any.
"""
import glob
import os
import re
import sys

import jsonschema
import yaml

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")


def strict(schema):
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema["additionalProperties"] = False
        for v in schema.values():
            strict(v)
    elif isinstance(schema, list):
        for v in schema:
            strict(v)
    return schema


def load_crds(crd_dir):
    crds = {}
    for path in glob.glob(os.path.join(crd_dir, "*.yaml")):
        with open(path) as f:
            crd = yaml.safe_load(f)
        group = crd["spec"]["group"]
        kind = crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                api = f"{group}/{version['name']}"
                crds[(api, kind)] = strict(version["schema"]["openAPIV3Schema"])
    return crds


def check_metadata(meta, where, problems):
    if not isinstance(meta, dict):
        problems.append(f"{where}: metadata is not a mapping")
        return
    name = meta.get("name", "")
    if not (isinstance(name, str) and len(name) <= 253 and DNS_SUBDOMAIN.match(name)):
        problems.append(f"{where}: metadata.name {name!r} is not a DNS-1123 subdomain")
    ns = meta.get("namespace")
    if ns is not None and not (isinstance(ns, str) and len(ns) <= 63 and DNS_LABEL.match(ns)):
        problems.append(f"{where}: metadata.namespace {ns!r} is not a DNS-1123 label")
    for k, v in (meta.get("labels") or {}).items():
        key = k.rsplit("/", 1)
        if len(key[-1]) > 63 or not LABEL_NAME.match(key[-1]) or (
            len(key) == 2 and not DNS_SUBDOMAIN.match(key[0])
        ):
            problems.append(f"{where}: label key {k!r} is invalid")
        if not isinstance(v, str) or len(v) > 63 or (v and not LABEL_NAME.match(v)):
            problems.append(f"{where}: label {k}={v!r} has an invalid value")
    unknown = set(meta) - {"name", "namespace", "labels", "annotations"}
    if unknown:
        problems.append(f"{where}: unexpected metadata keys {sorted(unknown)}")


def main():
    crds = load_crds(sys.argv[1])
    problems = []
    checked = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            objects = [o for o in yaml.safe_load_all(f) if o is not None]
            if not objects:
                problems.append(f"{path}: no object in it")
            for i, obj in enumerate(objects):
                where = f"{path}[{i}]"
                key = (obj.get("apiVersion"), obj.get("kind"))
                schema = crds.get(key)
                if schema is None:
                    problems.append(f"{where}: no CRD serves {key}")
                    continue
                check_metadata(obj.get("metadata"), where, problems)
                validator = jsonschema.Draft7Validator(schema)
                for error in sorted(validator.iter_errors(obj), key=lambda e: list(e.path)):
                    loc = "/".join(str(p) for p in error.path)
                    problems.append(f"{where}: {loc}: {error.message}")
                checked += 1
    for p in problems:
        print(p)
    print(f"checked {checked} objects, {len(problems)} problems")
    sys.exit(1 if problems or checked == 0 else 0)


if __name__ == "__main__":
    main()
