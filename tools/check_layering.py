#!/usr/bin/env python3
"""Checks that the includes of src/ and cli/ follow docs/architecture.md: dependencies run one way.

    tools/check_layering.py [ROOT]        exit 0 when every include is allowed, else 1 (each
                                          offending include printed as file:line: reason)

The rules (docs/architecture.md, "Architecture: where things are"):
  - a folder of src/ includes only itself, the folders below it and the public headers:
        cli -> job -> open_backend -> notifiers, local, backends -> aws, sqlite -> core
  - a backend never includes another backend, a notifier, local/, job/ or cli/; a notifier never
    includes a backend or another notifier; core/ includes nothing of the project but core/ and the
    public headers;
  - cli/ reaches backends and notifiers only through open_backend (the one composition root): it
    includes no header of src/backends/ or src/notifiers/;
  - a private header (src/**/*.hpp) never includes a public facade (include/watchbot_progress/
    *_backend.hpp, *_notifier.hpp, local_queue.hpp) to get its options: options have headers of their
    own. Only the `*_access.hpp` headers, which exist to reach a facade's private constructor, may;
  - a backend's public header (include/watchbot_progress/*_backend.hpp) includes no notifier's;
  - names (docs/architecture.md, "Names"): only src/aws/ opens namespace watchbot_progress::aws, and
    private namespaces are `detail` or `detail::<area>`, never `<x>_detail`.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
NAMESPACE = re.compile(r'^\s*namespace\s+([\w:]+)\s*\{')
FACADE = re.compile(r'^watchbot_progress/(\w+_backend|\w+_notifier|local_queue)\.hpp$')

# What each area of src/ may include, besides itself and the public headers.
BELOW = {
    'core': set(),
    'aws': {'core'},
    'sqlite': {'core'},
    'local': {'core', 'sqlite'},
    'backends': {'core', 'aws', 'sqlite'},
    'notifiers': {'core', 'aws', 'sqlite', 'local'},
    'open_backend': {'core', 'aws', 'sqlite', 'local', 'backends', 'notifiers'},
    'job': {'core', 'aws', 'sqlite', 'local', 'backends', 'notifiers', 'open_backend'},
    'cli': {'core', 'aws', 'sqlite', 'local', 'job', 'open_backend'},
}


def area_of_source(rel):
    """('backends', 'redis') for src/backends/redis/x.cpp; ('cli', '') for cli/**."""
    parts = rel.parts
    if parts[0] == 'cli':
        return 'cli', ''
    if len(parts) == 2:  # src/open_backend.cpp
        return 'open_backend', ''
    if parts[1] in ('backends', 'notifiers'):
        return parts[1], parts[2]
    return parts[1], ''


def area_of_include(path):
    parts = path.split('/')
    if len(parts) == 1:
        return None, ''  # a header beside the including file
    if parts[0] in ('backends', 'notifiers'):
        return parts[0], parts[1] if len(parts) > 2 else ''
    if parts[0] in BELOW or parts[0] == 'open_backend.hpp':
        return parts[0], ''
    return None, ''  # public headers, cli/dashboard's own, generated


def namespace_problems(rel, number, line):
    """The naming rules for one line of src/ or cli/: the namespace it opens, if any."""
    match = NAMESPACE.match(line)
    if not match:
        return []
    names = match.group(1).split('::')
    where = f'{rel}:{number}: namespace {match.group(1)}'
    if any(n.endswith('_detail') for n in names):
        return [f'{where}: private code goes in namespace detail or detail::<area>, not <x>_detail']
    in_aws = names[:2] == ['watchbot_progress', 'aws'] or (names[0] == 'aws' and rel.parts[0] == 'src')
    if in_aws and rel.parts[:2] != ('src', 'aws'):
        return [f'{where}: only the AWS layer (src/aws/) is in namespace aws; a backend\'s or notifier\'s '
                'code is in detail::<area>']
    return []


def check(root):
    problems = []
    files = sorted(p for p in (root / 'src').rglob('*') if p.suffix in ('.cpp', '.hpp'))
    files += sorted(p for p in (root / 'cli').rglob('*') if p.suffix in ('.cpp', '.hpp'))
    for path in files:
        rel = path.relative_to(root)
        area, name = area_of_source(rel)
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            problems += namespace_problems(rel, number, line)
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            where = f'{rel}:{number}: #include "{target}"'
            if (rel.parts[0] == 'src' and path.suffix == '.hpp' and FACADE.match(target)
                    and not path.name.endswith('_access.hpp')):
                problems.append(f'{where}: a private header includes a public facade; include the '
                                'options header it needs instead')
            if area == 'cli' and target.startswith('dashboard/'):
                continue
            t_area, t_name = area_of_include(target)
            if t_area is None:
                continue
            if t_area == area and (t_name == name or not name):
                continue
            if t_area in BELOW[area]:
                continue
            if t_area == area:
                problems.append(f'{where}: {area}/{name} includes another {t_area[:-1]} ({t_name})')
            else:
                problems.append(f'{where}: {area} may not include {t_area} (dependencies run '
                                'one way: docs/architecture.md)')
    for path in sorted((root / 'include' / 'watchbot_progress').glob('*_backend.hpp')):
        for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
            match = INCLUDE.match(line)
            if match and re.match(r'^watchbot_progress/(\w+_notifier|local_queue)\.hpp$', match.group(1)):
                problems.append(f'{path.relative_to(root)}:{number}: #include "{match.group(1)}": a '
                                "backend's header includes no notifier's; users include both")
    return problems


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    problems = check(root.resolve())
    for problem in problems:
        print(problem)
    if problems:
        print(f'{len(problems)} problem(s) against docs/architecture.md', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
