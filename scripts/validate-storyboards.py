#!/usr/bin/env python3
"""Validates storyboards against billreel's JSON Schema with an independent validator.

    scripts/validate-storyboards.py docs/storyboard.schema.json scenes/*.yaml

Uses Python's `jsonschema` (Debian: python3-jsonschema) and PyYAML (python3-yaml), which are not
billreel's code: `tests/schema.rs` runs this to check that what the parser accepts the schema
accepts, and that a set of wrong files is refused. Prints one JSON line per file,
{"file": ..., "errors": [{"path": "scenes/0/layers/1", "message": ...}, ...]}, and exits 1 when
any file has an error.

YAML is read as YAML 1.2 reads it, as billreel's parser does: `yes`, `no`, `on` and `off` are
strings, not booleans, and a date stays a string; merge keys (`<<: *anchor`) are applied.
"""

import json
import re
import sys

import jsonschema
import yaml


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's booleans and without timestamps."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def leaves(e):
    return [leaf for c in e.context for leaf in leaves(c)] if e.context else [e]


def error(e):
    return {"path": "/".join(str(p) for p in e.absolute_path), "message": e.message}


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failed = False
    for name in argv[1:]:
        with open(name, encoding="utf-8") as f:
            document = yaml.load(f, Loader=Yaml12Loader)
        errors = []
        for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
            errors.append(error(e))
            # "is not valid under any of the given schemas" says where; the deepest of the reasons
            # its alternatives failed (`enter.duration`, rather than `enter` not being null) says why.
            if e.context:
                errors.append(error(max(leaves(e), key=lambda leaf: len(leaf.absolute_path))))
        failed = failed or bool(errors)
        print(json.dumps({"file": name, "errors": errors}, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
