"""Write k8s-job-schema.json: the batch/v1 Job type and every type it refers to, as the Kubernetes
API's own generated Python client (Debian's python3-kubernetes, API release-1.22) declares them:
each field's JSON name and type, and which fields must be set. k8s.test.ts checks the manifests
that `pnpm exp <name> --k8s` writes against it (k8s-schema.ts).

    apt-get download python3-kubernetes && dpkg -x python3-kubernetes_*.deb /tmp/k8s
    PYTHONPATH=/tmp/k8s/usr/lib/python3/dist-packages python3 gen-k8s-job-schema.py > k8s-job-schema.json

Types: "string", "integer", "number", "boolean", "any" (int-or-string, quantities, raw
objects), {"array": T}, {"map": T} (string keys), {"ref": "V1Foo"}.
"""
import importlib.util
import inspect
import json
import pathlib
import re
import sys
import types

# Only the client's models: the package's own __init__ also loads kube-config support, which
# needs google-auth and more that the models do not.
_spec = importlib.util.find_spec("kubernetes")
_pkg = types.ModuleType("kubernetes")
_pkg.__path__ = list(_spec.submodule_search_locations)
sys.modules["kubernetes"] = _pkg
_init = (pathlib.Path(_pkg.__path__[0]) / "__init__.py").read_text()
VERSION = re.search(r'__version__ = "([^"]+)"', _init).group(1)

import kubernetes.client.models as models  # noqa: E402

PRIMITIVE = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "object": "any", "datetime": "string", "date": "string"}


def convert(t, todo):
    if t in PRIMITIVE:
        return PRIMITIVE[t]
    m = re.fullmatch(r"list\[(.+)\]", t)
    if m:
        return {"array": convert(m.group(1), todo)}
    m = re.fullmatch(r"dict\(str, (.+)\)", t)
    if m:
        return {"map": convert(m.group(1), todo)}
    todo.append(t)
    return {"ref": t}


def required(cls):
    src = inspect.getsource(cls)
    return sorted(set(re.findall(r"Invalid value for `(\w+)`, must not be `None`", src)))


def main():
    out = {}
    todo = ["V1Job"]
    while todo:
        name = todo.pop()
        if name in out:
            continue
        cls = getattr(models, name)
        props = {cls.attribute_map[a]: convert(t, todo) for a, t in sorted(cls.openapi_types.items())}
        req = [cls.attribute_map[a] for a in required(cls)]
        out[name] = {"properties": props, "required": req}
    doc = {
        "source": "kubernetes python client %s (API release-1.22), kubernetes.client.models" % VERSION,
        "root": "V1Job",
        "types": dict(sorted(out.items())),
    }
    json.dump(doc, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")


main()
