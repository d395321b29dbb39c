"""Versioned prompt files under `prompts/<name>/<version>.toml`.

A released file is never edited: a change is a new version. Every result
records `name@version` and the hash of the file's content, so a cached or
recorded answer can never be attributed to a prompt that has changed since.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template
from typing import get_args

from pydantic import BaseModel, TypeAdapter

from summarize.llm.condense import InputBudget
from summarize.models import (
    ExtractAnswer,
    JudgeAnswer,
    KeyFactsAnswer,
    KindAnswer,
    LabelAnswer,
    SelectAnswer,
    StoryAnswer,
    StoryPickAnswer,
    TldrAnswer,
)


class PromptError(Exception):
    """A prompt that does not exist or cannot be read; the message is one line."""


# The schema a prompt names in its file.
SCHEMAS: dict[str, type[BaseModel]] = {
    "tldr": TldrAnswer,
    "tldr_keyfacts": KeyFactsAnswer,
    "tldr_select": SelectAnswer,
    "tldr_extract": ExtractAnswer,
    "tldr_label": LabelAnswer,
    "tldr_kind": KindAnswer,
    "story": StoryAnswer,
    "story_pick": StoryPickAnswer,
    "judge": JudgeAnswer,
}

LANGUAGE_NAMES = {
    "de": "German", "en": "English", "fr": "French", "it": "Italian", "es": "Spanish",
    "nl": "Dutch", "pl": "Polish", "pt": "Portuguese", "uk": "Ukrainian", "ru": "Russian",
    "cs": "Czech", "da": "Danish", "sv": "Swedish", "no": "Norwegian", "fi": "Finnish",
}


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    description: str
    schema_name: str
    system: str
    user: str
    examples: tuple[tuple[str, str], ...]
    sampling: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    max_words: int = 60
    reduce: str | None = None  # the prompt that merges the answers for a long article's parts
    input_budget: InputBudget | None = None  # send a condensed article (summarize.llm.condense)
    content_hash: str = ""
    path: str = ""

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def schema(self) -> type[BaseModel]:
        return SCHEMAS[self.schema_name]

    def json_schema(self, choices: dict[str, list] | None = None) -> dict:
        """The strict schema with this version's output bounds; servers that
        decode under a grammar (llama.cpp, vLLM) enforce them while generating,
        which stops a small model from pasting the article into a field.

        `choices` makes a field (or a list field's items) an enum of one
        request's values: the names found in the article, the numbers of
        its sentences; "entities.name" is the field of a list's objects. A
        list with no value to choose stays empty. For a mapping field the
        values become its keys, each required, in the order given."""
        schema = copy.deepcopy(_strict_schema_of(self.schema))
        fields = schema["properties"]
        for name, bounds in self.limits.items():
            if name not in fields:
                raise PromptError(f"{self.ref}: [limits] names {name!r}, which the {self.schema_name} schema lacks")
            target = fields[name]
            for key, value in bounds.items():
                if key == "item_max_chars":
                    target["items"]["maxLength"] = int(value)
                elif key in ("max_items", "max_chars"):
                    target["maxItems" if key == "max_items" else "maxLength"] = int(value)
                elif key == "min_items":
                    target["minItems"] = int(value)
                else:
                    raise PromptError(f"{self.ref}: unknown limit {name}.{key}")
        for name, values in (choices or {}).items():
            target = _field(fields, name)
            if target is None:
                raise PromptError(f"{self.ref}: a choice for {name!r}, which the {self.schema_name} schema lacks")
            if target.get("type") == "object":
                value = _mapping_value_schema(self.schema, name)
                target["properties"] = {key: dict(value) for key in values}
                target["required"] = list(values)
            elif target.get("type") == "array":
                if values:
                    target["items"]["enum"] = list(values)
                else:
                    target["maxItems"] = 0
            elif values:
                target["enum"] = list(values)
            else:
                fields[name.split(".")[0]]["maxItems"] = 0  # a list of objects with nothing to choose
        return schema

    def uses(self, variable: str) -> bool:
        """Whether the instructions, the user message or an example name `$variable`."""
        pattern = re.compile(rf"\$(?:{re.escape(variable)}\b|\{{{re.escape(variable)}\}})")
        texts = [self.system, self.user, *(text for pair in self.examples for text in pair)]
        return any(pattern.search(text) for text in texts)

    def messages(self, **variables: str) -> list[dict]:
        """Fixed instructions and examples first, the article last, so that a
        server's prefix cache can reuse everything before the article.

        Values are data: an `<article>` or `</article>` tag inside one is
        written as `&lt;article&gt;`, so a page cannot close the block that
        marks it as data and put its own text among the instructions."""
        values = {"max_words": str(self.max_words),
                  **{name: neutralise_delimiters(str(value)) for name, value in variables.items()}}
        out = [{"role": "system", "content": Template(self.system).safe_substitute(values)}]
        for user, assistant in self.examples:
            out.append({"role": "user", "content": Template(user).safe_substitute(values)})
            out.append({"role": "assistant", "content": assistant})
        out.append({"role": "user", "content": Template(self.user).safe_substitute(values)})
        return out


def _field(fields: dict, path: str) -> dict | None:
    """The schema of a field, or of a field of a list's objects ("entities.name")."""
    head, _, rest = path.partition(".")
    node = fields.get(head)
    if node is None or not rest:
        return node
    return node.get("items", {}).get("properties", {}).get(rest)


# The tag that marks the data block in every prompt, with any spacing or attributes.
_DELIMITER = re.compile(r"<(\s*/?\s*)(article)\b([^>]*)>", re.IGNORECASE)


@lru_cache(maxsize=None)
def _mapping_value_schema(model: type[BaseModel], name: str) -> dict:
    """The schema of a `dict[str, X]` field's values (built once: pydantic
    takes 0.16 ms to build it, most of a request's schema)."""
    annotation = model.model_fields[name].annotation
    return TypeAdapter(get_args(annotation)[1]).json_schema()


def neutralise_delimiters(text: str) -> str:
    return _DELIMITER.sub(lambda m: f"&lt;{m[1].strip()}{m[2]}{m[3]}&gt;", text)


@lru_cache(maxsize=None)
def _strict_schema_of(model: type[BaseModel]) -> dict:
    # The same schema for every call of a prompt; pydantic would rebuild it each time.
    return strict_schema(model)


def strict_schema(model: type[BaseModel]) -> dict:
    """Pydantic's JSON schema in the shape OpenAI's strict mode accepts: every
    property required, no additional properties, references inlined."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def fix(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return fix(defs[node["$ref"].split("/")[-1]])
            # Titles and docstrings would only cost prompt tokens on servers that show the schema.
            node = {k: fix(v) for k, v in node.items() if k not in ("title", "description")}
            if node.get("type") == "object":
                node["additionalProperties"] = False
                node["required"] = list(node.get("properties", {}))
            return node
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    return fix(schema)


def prompts_dir() -> Path:
    configured = os.environ.get("SUMMARIZE_PROMPTS_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "prompts"


_REF = re.compile(r"^(?P<name>[a-z0-9_-]+)@(?P<version>v[0-9]+[a-z0-9.-]*)$")


def parse_ref(ref: str) -> tuple[str, str]:
    match = _REF.match(ref.strip())
    if not match:
        raise PromptError(f"{ref!r} is not a prompt reference (expected NAME@VERSION, e.g. tldr@v2)")
    return match["name"], match["version"]


def load_prompt(ref: str, directory: Path | None = None) -> Prompt:
    name, version = parse_ref(ref)
    path = (directory or prompts_dir()) / name / f"{version}.toml"
    if not path.is_file():
        raise PromptError(f"prompt {ref} not found ({path})")
    return parse_prompt(path.read_bytes(), path=str(path))


def parse_prompt(raw: bytes, path: str = "") -> Prompt:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        schema_name = data.get("schema", "tldr")
        if schema_name not in SCHEMAS:
            raise PromptError(f"{path}: unknown schema {schema_name!r}")
        return Prompt(
            name=data["name"],
            version=data["version"],
            description=data.get("description", "").strip(),
            schema_name=schema_name,
            system=data["system"].strip(),
            user=data["user"].strip(),
            examples=tuple((e["user"].strip(), e["assistant"].strip()) for e in data.get("examples", [])),
            sampling=dict(data.get("sampling", {})),
            limits={name: dict(bounds) for name, bounds in data.get("limits", {}).items()},
            max_words=int(data.get("max_words", 60)),
            reduce=data.get("reduce"),
            input_budget=_input_budget(data.get("input"), path),
            content_hash=hashlib.sha256(raw.replace(b"\r\n", b"\n")).hexdigest()[:16],
            path=path,
        )
    except (tomllib.TOMLDecodeError, KeyError, UnicodeDecodeError, ValueError) as exc:
        raise PromptError(f"{path}: invalid prompt file ({exc})") from None


def _input_budget(table: dict | None, path: str) -> InputBudget | None:
    if table is None:
        return None
    cap = table.get("max_tokens")
    budget = InputBudget(keep_share=float(table["keep_share"]), min_tokens=int(table.get("min_tokens", 0)),
                         max_tokens=None if cap is None else int(cap))
    if not 0.0 < budget.keep_share <= 1.0 or not 0 <= budget.min_tokens <= (budget.max_tokens or budget.min_tokens):
        raise PromptError(f"{path}: [input] needs 0 < keep_share <= 1 and 0 <= min_tokens <= max_tokens")
    return budget


def list_prompts(directory: Path | None = None) -> list[Prompt]:
    root = directory or prompts_dir()
    found = []
    for path in sorted(root.glob("*/*.toml"), key=lambda p: (p.parent.name, _version_key(p.stem))):
        found.append(parse_prompt(path.read_bytes(), path=str(path)))
    return found


def _version_key(version: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.findall(r"\d+|[a-z]+", version))


def diff_prompts(a: Prompt, b: Prompt) -> str:
    left = Path(a.path).read_text(encoding="utf-8").splitlines(keepends=True)
    right = Path(b.path).read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(difflib.unified_diff(left, right, fromfile=a.ref, tofile=b.ref))


@lru_cache(maxsize=4)
def _defaults(directory: Path) -> dict:
    path = directory / "defaults.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def default_prompt(kind: str, model: str | None = None, directory: Path | None = None) -> str | None:
    """The version of prompt `kind` ("tldr", "story") that `model` uses by
    default according to prompts/defaults.toml; None when the file names none."""
    table = _defaults(directory or prompts_dir())
    chosen = table.get("models", {}).get(model or "", {}).get(kind)
    return chosen or table.get("fallback", {}).get(kind)


def compared_versions(directory: Path | None = None) -> list[str]:
    """The versions `summarize eval` compares unless told otherwise."""
    return list(_defaults(directory or prompts_dir()).get("compare", []))
