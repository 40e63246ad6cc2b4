"""Finding every contract name in a submission, and choosing between competing definitions."""
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .. import spec
from ..errors import LayoutError
from . import notebook as nb
from .modules import import_name, resolve_relative
from .pyfile import scan
from .sources import source_files

# The rule that picks one definition when several compete. Every step is a fact read
# from the source, so the same submission always gets the same layout.
RULE = ("the autograd class is the class that does arithmetic and backpropagates, first the one the submission's "
        "own network code builds, whatever its name; the network classes come from the file that defines or "
        "imports it; "
        "when several definitions compete, the grader takes: the one the rest of the submission imports; "
        "then the one with more of the contract's methods written (stubs do not count); then the contract's "
        "own name and kind over an alias; then a .py file over a notebook; then micrograd/<module>.py; then "
        "the shallowest path; then the first in alphabetical order")
MAX_LISTED_FILES = 200
NOT_FOUND = "not found in the submission"
# Each attribute role of the autograd class and the spellings the contract accepts for it.
ARITHMETIC = {"__add__", "__mul__"}


@dataclass(frozen=True)
class Member:
    """A name the contract requires: `key` is "module.name" as in specs/contract.json."""
    key: str
    module: str
    name: str
    kind: str
    aliases: tuple
    methods: frozenset


# The contract's autograd class (the one with attributes), found by role when spelled otherwise,
# and the module of the classes that build it.
AUTOGRAD = next(f"{m['name']}.{x['name']}" for m in spec.load_contract()["modules"] for x in m["members"]
                if x.get("attributes"))
NETWORK_MODULE = "nn"
ROLE_SPELLINGS = {attr: (attr, *aliases) for module, cls, attr, aliases in spec.contract_attributes()
                  if f"{module}.{cls}" == AUTOGRAD}


def contract_members() -> list[Member]:
    return [Member(f"{m['name']}.{member['name']}", m["name"], member["name"], member["kind"],
                   tuple(member.get("aliases", ())), frozenset(x["name"] for x in member.get("methods", [])))
            for m in spec.load_contract()["modules"] for member in m["members"]]


# The definitions whose dependencies a notebook's module keeps (every class is kept too).
CONTRACT_NAMES = frozenset(n for m in contract_members() for n in (m.name, *m.aliases))


@dataclass
class Source:
    """One file as the worker will import it."""
    path: str            # relative to the submission (the notebook itself for a notebook)
    root: str            # folder that goes on sys.path
    module: str          # dotted name under root
    definitions: dict
    imports: set         # absolute names this file imports (relative ones resolved)
    extract: nb.Extract | None = None  # a notebook's or a script's definitions, made into a module


    def is_notebook(self) -> bool:
        return self.path.endswith(".ipynb")


@dataclass(frozen=True)
class Unparsable:
    """A file (or a notebook cell) the grading Python cannot parse: nothing in it can run."""
    where: str     # "engine.py, line 12" or "lab.ipynb cell 4, line 2"
    error: str     # "SyntaxError: invalid syntax"
    text: str
    file: str = ""

    def defines(self, names) -> bool:
        """The text spells out a definition of one of `names` (what a parse would have found)."""
        return any(re.search(rf"^[ \t]*(class|def)[ \t]+{re.escape(n)}\b", self.text, re.M) for n in names)

    def kind(self) -> str:
        return self.error.partition(":")[0]

    def message(self, what: str) -> str:
        """Feedback for a check that needs `what`: the file (cell), line and error, and which Python grades."""
        python = ".".join(map(str, sys.version_info[:3]))
        said = self.error.partition(": ")[2] or self.error
        return (f"{self.where}: {said}. {what} is in code that Python {python} (the grading Python) cannot "
                f"parse, so nothing in it runs: fix the syntax there (or write it for Python {python})")


@dataclass
class Candidate:
    member: Member
    source: Source
    attr: str
    line: int
    kind: str
    methods: frozenset
    importers: int = 0
    definition: object = None
    context: tuple = ()  # criteria that come before the rule's own: the role, see discover()

    def where(self) -> str:
        if self.source.extract is not None:
            cell, line = self.source.extract.lines.get(self.line, (0, 0))
            return f"{self.source.path} (cell {cell}, line {line})" if self.source.is_notebook() else \
                f"{self.source.path}:{line}"
        return f"{self.source.path}:{self.line}"

    def rank(self) -> tuple:
        canonical = self.source.module == f"{spec.load_contract()['package']}.{self.member.module}"
        return (*self.context, -self.importers, -len(self.methods & self.member.methods), self.kind != self.member.kind,
                self.attr != self.member.name, self.source.is_notebook(), not canonical,
                self.source.path.count("/"), self.source.path)


@dataclass
class Layout:
    """Where each contract name is: the report's `layout` section and the worker's import map."""
    names: dict = field(default_factory=dict)       # key -> report entry
    imports: dict = field(default_factory=dict)     # key -> {"module", "attr"} (or {"missing": why}) for the worker
    paths: list = field(default_factory=list)       # folders (relative) to put on the worker's sys.path
    generated: dict = field(default_factory=dict)   # relative path -> module source written into the copy
    origins: dict = field(default_factory=dict)     # relative path of a generated module -> (source file, Extract)
    definitions_only: list = field(default_factory=list)  # notebooks and scripts: what was not run
    searched: list = field(default_factory=list)
    skipped_folders: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)
    unparsable: list = field(default_factory=list)  # Unparsable: files and cells Python cannot parse
    attributes: dict = field(default_factory=dict)  # contract attribute -> the autograd class's own, by role
    modules: dict = field(default_factory=dict)     # module name -> [relative paths] the worker may import it from
    file_imports: dict = field(default_factory=dict)  # relative path -> the modules that file imports
    override: str = ""

    def found(self, key: str) -> bool:
        return "module" in self.imports.get(key, {})

    def report(self) -> dict:
        section = {"rule": RULE, "names": self.names, "searched": self.searched[:MAX_LISTED_FILES],
                   "searched_count": len(self.searched),
                   "skipped_folders": [f"{path} ({why})" for path, why in sorted(self.skipped_folders.items())]}
        if self.definitions_only:
            section["definitions_only"] = self.definitions_only
        if self.unreadable:
            section["unreadable"] = [f"{path}: {why}" for path, why in sorted(self.unreadable.items())]
        if self.unparsable:
            section["unparsable"] = [f"{u.where}: {u.error}" for u in self.unparsable[:MAX_LISTED_FILES]]
        if self.override:
            section["override"] = self.override
        return section

    def running_files(self) -> set:
        """The files the worker runs: each module a contract name is imported from, the packages
        above it, and everything they import from the submission, transitively."""
        queue = [where["module"] for where in self.imports.values() if "module" in where]
        seen, done = set(), set()
        while queue:
            module = queue.pop()
            parts = module.split(".")
            for name in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
                if name in done:
                    continue
                done.add(name)
                for path in self.modules.get(name, ()):
                    seen.add(path)
                    queue.extend(self.file_imports.get(path, ()))
        return seen

    def label(self, module: str) -> str:
        """A module as the student knows it: a generated module is the notebook or script it was made from."""
        for rel, (file, _) in self.origins.items():
            if PurePosixPath(rel).stem == module:
                return file
        return module

    def worker_config(self) -> dict:
        # Each generated module's lines in the student's coordinates, for tracebacks and messages.
        origins = {rel: {"file": file, "notebook": file.endswith(".ipynb"),
                         "lines": {str(at): list(place) for at, place in extract.lines.items()}}
                   for rel, (file, extract) in self.origins.items()}
        return {"names": self.imports, "paths": self.paths, "attributes": self.attributes, "origins": origins}


def _read_sources(root: Path, files: list[str], layout: Layout) -> list[Source]:
    texts, scans = {}, {}
    for rel in files:
        try:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError as e:
            layout.unreadable[rel] = type(e).__name__
            continue
        if rel.endswith(".ipynb"):
            extract = nb.extract(text, CONTRACT_NAMES)
            if extract.error:
                layout.unreadable[rel] = extract.error
                continue
            texts[rel] = extract
            scans[rel] = scan(extract.source, rel, ROLE_SPELLINGS)
            layout.unparsable += [Unparsable(f"{rel} cell {c['cell']}, line {c['line']}", c["error"], c["text"], rel)
                                  for c in extract.unparsable]
        else:
            texts[rel] = None
            scans[rel] = scan(text, rel, ROLE_SPELLINGS)
        if scans[rel].error:
            layout.unparsable.append(Unparsable(f"{rel}, line {scans[rel].error_line}",
                                                scans[rel].error.rsplit(" (line", 1)[0], text, rel))
    packages = {str(PurePosixPath(rel).parent) for rel in files if PurePosixPath(rel).name == "__init__.py"}
    imports = set().union(*(s.imports for s in scans.values())) if scans else set()
    # Folders whose files import each other by bare name (`from engine import Value`).
    present = set(files)
    flat = {str(PurePosixPath(rel).parent) for rel, result in scans.items() for name in result.imports
            if name.split(".")[0] not in sys.stdlib_module_names
            and str(PurePosixPath(rel).parent / f"{name.split('.')[0]}.py") in present}
    sources = []
    for rel, result in scans.items():
        extract = texts[rel]
        if extract is not None:
            folder = str(PurePosixPath(rel).parent)
            source = Source(rel, folder, _free_module(root, folder, nb.module_name(rel)), result.definitions,
                            set(result.imports), extract)
        else:
            level = max((lvl for lvl, _, _ in result.relative), default=0)
            here = PurePosixPath(rel)
            folder, module = import_name(rel, packages, imports, level, str(here.parent) in flat)
            source = Source(rel, folder, module, result.definitions, set(result.imports))
            is_package = PurePosixPath(rel).name == "__init__.py"
            for lvl, target, names in result.relative:
                base = resolve_relative(module, is_package, lvl, target)
                source.imports.add(base)
                source.imports.update(f"{base}.{n}" for n in names if n != "*")
        sources.append(source)
    converted = [_definitions_only(root, s, sources, scans[s.path]) for s in sources]
    repaired = {s.path for s in converted if s.extract is not None and not s.is_notebook()}
    layout.unparsable = [u for u in layout.unparsable if u.file not in repaired]
    return converted


def _definitions_only(root: Path, source: Source, sources: list, result) -> Source:
    """A script nobody imports (`backprop.py` that trains and plots when run), outside any
    package, is read like a notebook, its definitions only: importing it must not run (or
    hang on) its demo.
    So is a file whose name cannot be imported (`micrograd-engine.py`)."""
    imported = any(i == source.module or i.startswith(source.module + ".")
                   for other in sources if other is not source for i in other.imports)
    importable = all(part.isidentifier() for part in source.module.split("."))  # not my-engine.py
    in_package = "." in source.module  # a package's module is library code: imported as it is
    # A script with IPython lines (`%matplotlib inline`, pasted from a notebook) is read as the
    # notebook it came from, when that is what makes it Python.
    magic = bool(result.error) and not in_package and not imported
    if source.extract is not None or (importable and not magic and (not result.script or result.relative
                                                                     or imported or in_package)):
        return source
    extract = nb.definitions([(root / source.path).read_text(encoding="utf-8", errors="replace")], CONTRACT_NAMES)
    if magic and extract.unparsable:
        return source  # not Python even so: a parse error, as Python would say
    again = scan(extract.source, source.path, ROLE_SPELLINGS)
    folder = str(PurePosixPath(source.path).parent)
    return Source(source.path, folder, _free_module(root, folder, nb.module_name(source.path)),
                  again.definitions, again.imports, extract)


def _free_module(root: Path, folder: str, module: str) -> str:
    """A name for a generated module that nothing in the submission already uses: the worker
    must import the kit's definitions-only text (the one the integrity scan reads), never a
    file the submission ships under that name."""
    while (root / folder / f"{module}.py").exists() or (root / folder / module).exists():
        module += "_"
    return module


def _importers(module: str, attr: str, sources: list[Source], own: Source) -> int:
    """How many other files import this module (or this name from it)."""
    targets = (module, f"{module}.{attr}")
    return sum(1 for s in sources if s is not own and any(t in s.imports for t in targets))


def _candidates(member: Member, sources: list[Source], names=None, by_role=False) -> list[Candidate]:
    """The definitions spelled as the contract (or `names`) spells it; with `by_role`, also every
    class that does the autograd class's work, whatever it is called (`class value`, `Node`)."""
    wanted = names or (member.name, *member.aliases)
    found = []
    for source in sources:
        if not source.module:
            continue
        attrs = list(wanted)
        if by_role:
            attrs += sorted(a for a, d in source.definitions.items() if a not in attrs and is_autograd(d))
        for attr in attrs:
            d = source.definitions.get(attr)
            if d is not None:
                found.append(Candidate(member, source, attr, d.line, d.kind, d.methods,
                                       _importers(source.module, attr, sources, source), d))
    return found


def is_autograd(d) -> bool:
    """A class whose instances do arithmetic and backpropagate (written out, not stubs)."""
    return d.kind == "class" and bool(d.methods & ARITHMETIC) \
        and ("backward" in d.methods or "_backward" in dict(d.fields))


def _uses(user: Source, source: Source, attr: str) -> bool:
    """`user` is `source`, or imports `attr` from it (directly, or from a package above it)."""
    if user is source:
        return True
    module = source.module
    return any(i in (module, f"{module}.{attr}") or module.startswith(i + ".") for i in user.imports)


def _built_by_network(c: Candidate, sources: list[Source], network: set) -> bool:
    """The submission's own network code (Neuron, Layer, MLP...) calls this class."""
    return any(d.name in network and c.attr in d.calls and _uses(s, c.source, c.attr)
               for s in sources for d in s.definitions.values())


def attribute_map(d) -> dict:
    """{contract attribute: the submission's attribute} for what the class's __init__ shows."""
    return dict(d.fields) if d is not None else {}


def load_override(path) -> dict:
    """{member key: (relative file, name or None)} from an instructor's JSON layout file."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise LayoutError(f"cannot read the layout file {path}: {e}") from None
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise LayoutError(f"the layout file {path} must be a JSON object like "
                          '{"Value": "src/autograd.py:Scalar", "nn.MLP": "model.py"}')
    members = contract_members()
    by_name = {m.name: m for m in members} | {m.key: m for m in members}
    result = {}
    for name, where in raw.items():
        if name not in by_name:
            raise LayoutError(f"the layout file {path} names {name!r}, which is not in the contract: "
                              f"use one of {', '.join(sorted(m.name for m in members))}")
        file, _, attr = where.partition(":")
        result[by_name[name].key] = (PurePosixPath(file.strip()).as_posix(), attr.strip() or None)
    return result


def discover(root, override=None) -> Layout:
    """The layout of the submission in folder `root`; `override` is an instructor's layout file."""
    root = Path(root)
    layout = Layout(override=str(override) if override else "")
    overrides = load_override(override) if override else {}
    files, layout.skipped_folders = source_files(root)
    layout.searched = files
    sources = _read_sources(root, files, layout)
    for source in sources:
        layout.modules.setdefault(source.module, []).append(source.path)
        layout.file_imports[source.path] = sorted(source.imports)
    members = contract_members()
    network = {n for m in members if m.module == NETWORK_MODULE for n in (m.name, *m.aliases)}
    autograd = None  # the chosen autograd class: the network classes must use this one
    for member in members:
        spelled = (member.name, *member.aliases)
        is_value = member.key == AUTOGRAD
        if member.key in overrides:
            file, attr = overrides[member.key]
            chosen = [c for c in _candidates(member, sources, (attr,) if attr else None) if c.source.path == file]
            looked = f"{file} (the instructor's layout file)"
        else:
            chosen = _candidates(member, sources, by_role=is_value)
            looked = f"{len(files)} files"
        for c in chosen:
            if is_value:
                c.context = (not is_autograd(c.definition), not _built_by_network(c, sources, network))
            elif member.module == NETWORK_MODULE and autograd is not None:
                c.context = (not _uses(c.source, autograd.source, autograd.attr),)
        if not chosen:
            named = overrides.get(member.key, (None, None))[1]
            looked_for = [named] if named else list(spelled)
            layout.names[member.key] = {"found": False, "looked_for": looked_for, "looked_in": looked}
            holding = [u for u in layout.unparsable if u.defines(looked_for)]
            if holding:
                # Not "not found": the file that holds it does not parse, and that is the one fix.
                layout.names[member.key]["unparsable"] = holding[0].where
                layout.imports[member.key] = {"unparsable": holding[0].message(member.name),
                                              "error": holding[0].kind()}
            else:
                layout.imports[member.key] = {"missing": f"{NOT_FOUND} (the grader looked for {member.kind} "
                                                         f"{' or '.join(looked_for)} in {looked}; see the layout)"}
            continue
        chosen.sort(key=Candidate.rank)
        best = chosen[0]
        entry = {"found": True, "file": best.source.path, "line": best.line, "module": best.source.module,
                 "name": best.attr}
        if is_value:
            autograd = best
            layout.attributes = attribute_map(best.definition)
            renamed = {role: own for role, own in layout.attributes.items() if own not in ROLE_SPELLINGS[role]}
            if renamed:
                entry["attributes"] = renamed
        if best.source.extract is not None:
            cell, entry["line"] = best.source.extract.lines.get(best.line, (0, 0))
            if best.source.is_notebook():
                entry["cell"] = cell
        if len(chosen) > 1:
            entry["also_found"] = [c.where() for c in chosen[1:]]
        if member.key in overrides:
            entry["override"] = True
        layout.names[member.key] = entry
        layout.imports[member.key] = {"module": best.source.module, "attr": best.attr}
        if best.source.root not in layout.paths:
            layout.paths.append(best.source.root)
    chosen = {entry["file"] for entry in layout.names.values() if entry["found"]}
    for source in sources:
        if source.extract is not None and source.path in chosen:  # the others are never imported
            generated = str(PurePosixPath(source.root) / f"{source.module}.py")
            layout.generated[generated] = source.extract.source
            layout.origins[generated] = (source.path, source.extract)
            layout.definitions_only.append({"file": source.path, "module": source.module,
                                            "skipped": source.extract.skipped[:200],
                                            "skipped_count": len(source.extract.skipped)})
    return layout
