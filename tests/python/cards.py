"""Repo-card helpers for tests/tests/cards.rs (imported via PYTHONPATH=tests/python).

Card data is printed "tagged" so that types and key order survive JSON: a str is {"str": s},
an int {"int": "12"}, a float {"float": repr(f)}, a bool {"bool": b}, a date {"ts": str(d)},
a list {"list": [...]}, a dict {"map": [[key, value], ...]} in order, None stays null.
"""

import datetime
import json
import os

import yaml
from huggingface_hub import DatasetCard, ModelCard, RepoCard, SpaceCard
from huggingface_hub.repocard import REGEX_YAML_BLOCK, metadata_load, metadata_save

CLASSES = {"model": ModelCard, "dataset": DatasetCard, "space": SpaceCard, "repo": RepoCard}


def tag(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, (datetime.date, datetime.datetime)):
        return {"ts": str(v)}
    if isinstance(v, list):
        return {"list": [tag(x) for x in v]}
    if isinstance(v, dict):
        return {"map": [[tag(k), tag(x)] for k, x in v.items()]}
    return {"other": repr(v)}


def error_name(e):
    return type(e).__name__


def read_card(path, kind=None):
    """Everything Python makes of one card file."""
    kind = kind or os.path.basename(path).split("_")[0]
    with open(path, newline="", encoding="utf-8") as f:
        content = f.read()
    out = {}
    match = REGEX_YAML_BLOCK.search(content)
    try:
        out["raw"] = tag(yaml.safe_load(match.group(2)) if match else None)
    except Exception as e:  # noqa: BLE001 - the error kind is what is compared
        out["raw_error"] = error_name(e)
    try:
        card = CLASSES[kind](content)
        out["content"] = str(card)
        # After str(card): the data in the order the card writes it.
        out["data"] = tag(card.data.to_dict())
        try:
            out["rewritten"] = str(CLASSES[kind](str(card)))
        except Exception:  # noqa: BLE001
            out["rewritten"] = ""
    except Exception as e:  # noqa: BLE001
        out["error"] = error_name(e) + ": " + str(e)
    try:
        loaded = metadata_load(path)
        out["metadata_load"] = tag(loaded)
        # metadata_save of what was loaded, into a copy of the file.
        copy = os.path.join(os.environ["CARDS_TMP"], os.path.basename(path))
        with open(copy, "w", newline="", encoding="utf-8") as f:
            f.write(content)
        metadata_save(copy, loaded or {})
        with open(copy, newline="", encoding="utf-8") as f:
            out["saved"] = f.read()
    except Exception as e:  # noqa: BLE001
        out["metadata_load_error"] = error_name(e)
    return out


def corpus(directory):
    """Reads every card of a directory; prints {file name: read_card(...)}."""
    names = sorted(n for n in os.listdir(directory) if n.endswith(".md"))
    print(json.dumps({n: read_card(os.path.join(directory, n)) for n in names}))


def untag(v):
    """The inverse of tag(), for data generated on the Rust side."""
    if v is None:
        return None
    (kind, x), = v.items()
    if kind == "str":
        return x
    if kind == "int":
        return int(x)
    if kind == "float":
        return float(x)
    if kind == "bool":
        return x
    if kind == "list":
        return [untag(i) for i in x]
    if kind == "map":
        return {untag(k): untag(val) for k, val in x}
    raise ValueError(kind)


def dump_many(path):
    """yaml.dump of every tagged value in a JSON file, as huggingface_hub dumps card data."""
    from huggingface_hub.utils import yaml_dump

    with open(path, encoding="utf-8") as f:
        values = json.load(f)
    out = []
    for v in values:
        text = yaml_dump(untag(v), sort_keys=False)
        out.append({"text": text, "back": tag(yaml.safe_load(text))})
    print(json.dumps(out))


def load_many(path):
    """yaml.safe_load of every text in a JSON list: the tagged value, or the error class."""
    with open(path, encoding="utf-8") as f:
        texts = json.load(f)
    out = []
    for text in texts:
        try:
            out.append({"value": tag(yaml.safe_load(text))})
        except Exception as e:  # noqa: BLE001
            out.append({"error": error_name(e)})
    print(json.dumps(out))
