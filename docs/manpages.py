#!/usr/bin/python3
"""Man pages of hypergrad: checks them and generates the API manual.

The public API is every function declared PETSC_EXTERN in include/hypergrad.h and
include/hypergrad/*.h, and every callback type declared there (typedef ... (*Name)(...)).
Each needs a PETSc-style man-page block in the sources (src/**/*.c or the headers):

    /*@ (or /*@C)                     for a function
      Name - one-line synopsis
      Collective | Not Collective | Logically Collective
      Input Parameters: ... Output Parameters: ... Options Database Keys: ... Notes: ...
      Level: beginner|intermediate|advanced|developer
    .seealso: ...
    @*/

    /*S ... S*/                       for a callback type (same layout; the contract in Notes)
    /*MC ... M*/                      for a built-in type (problem), listed in the manual as well

Usage:
    docs/manpages.py check [ROOT]     exit 1, naming every function or callback type without a
                                      complete block (synopsis, collectivity, Level)
    docs/manpages.py generate [ROOT]  write ROOT/docs/api/*.md (browsable Markdown manual)
"""
import os
import re
import sys
import glob
import textwrap

FUNC_DECL = re.compile(r'PETSC_EXTERN\s+PetscErrorCode\s+(HG\w+)\s*\(([^;]*)\)\s*;', re.S)
TYPEDEF_FN = re.compile(r'typedef\s+PetscErrorCode\s*\(\s*\*\s*(HG\w+)\s*\)\s*\(([^;]*)\)\s*;', re.S)
BLOCK = re.compile(r'/\*(@C?|S|MC)\s*\n(.*?)\n\s*(?:@|S|M)\*/', re.S)
COLLECTIVE = re.compile(r'^\s*(Not Collective|Logically Collective|Collective)\b', re.M)
LEVEL = re.compile(r'^\s*Level:\s*(\w+)', re.M)


def headers(root):
    hs = [os.path.join(root, 'include', 'hypergrad.h')]
    hs += sorted(glob.glob(os.path.join(root, 'include', 'hypergrad', '*.h')))
    return hs


def sources(root):
    fs = []
    for d, _, files in os.walk(os.path.join(root, 'src')):
        fs += [os.path.join(d, f) for f in files if f.endswith('.c') or f.endswith('.h')]
    return sorted(fs) + headers(root)


def lineno(text, pos):
    return text.count('\n', 0, pos) + 1


def api(root):
    """(name, kind, prototype, header, line) of every public function and callback type"""
    out = []
    for h in headers(root):
        text = open(h, encoding='utf-8').read()
        for m in FUNC_DECL.finditer(text):
            args = ' '.join(m.group(2).split())
            out.append((m.group(1), 'function', 'PetscErrorCode %s(%s);' % (m.group(1), args), h, lineno(text, m.start())))
        for m in TYPEDEF_FN.finditer(text):
            args = ' '.join(m.group(2).split())
            out.append((m.group(1), 'callback', 'typedef PetscErrorCode (*%s)(%s);' % (m.group(1), args), h, lineno(text, m.start())))
    return out


def blocks(root):
    """name -> (kind, body, file, line); a block may name several functions before ' - '"""
    out = {}
    for f in sources(root):
        text = open(f, encoding='utf-8', errors='replace').read()
        for m in BLOCK.finditer(text):
            body = m.group(2)
            lines = [l for l in body.split('\n') if l.strip()]
            if not lines or ' - ' not in lines[0]:
                continue
            names = [n.strip() for n in lines[0].split(' - ', 1)[0].split(',')]
            kind = {'@': 'function', '@C': 'function', 'S': 'callback', 'MC': 'type'}[m.group(1)]
            for n in names:
                if re.fullmatch(r'\w+', n):
                    out.setdefault(n, (kind, body, f, lineno(text, m.start())))
    return out


def check(root):
    bl = blocks(root)
    problems = []
    for name, kind, proto, h, line in api(root):
        rel = os.path.relpath(h, root)
        want = '/*@ ... @*/' if kind == 'function' else '/*S ... S*/'
        if name not in bl:
            problems.append('%s:%d: %s %s has no man-page block: add a %s block starting "%s - <synopsis>" before its definition (layout: docs/manpages.py)' % (rel, line, kind, name, want, name))
            continue
        bkind, body, f, bline = bl[name]
        where = '%s:%d' % (os.path.relpath(f, root), bline)
        if bkind != kind:
            problems.append('%s: the block of %s %s is a %s block; use %s' % (where, kind, name, bkind, want))
        if not COLLECTIVE.search(body):
            problems.append('%s: the man page of %s does not say whether it is collective (a line "Collective", "Logically Collective" or "Not Collective")' % (where, name))
        if not LEVEL.search(body):
            problems.append('%s: the man page of %s has no "Level:" line' % (where, name))
    for p in problems:
        print('manpages: ' + p)
    n = len(api(root))
    if problems:
        print('manpages: %d problem(s) in the man pages of %d public functions and callback types' % (len(problems), n))
        return 1
    print('manpages: all %d public functions and callback types have complete man-page blocks' % n)
    return 0


SECTION = re.compile(r'^(Input Parameters?|Output Parameters?|Options Database Keys?|Notes?|Level|Calling Sequence|Example|Not Collective|Logically Collective|Collective)\b(.*)$')


def link(name, where):
    """a Markdown link to the man page of name (where: name -> page), or the name itself"""
    n = name.strip().strip('`').replace('()', '')
    if n in where:
        return '[`%s`](%s#%s)' % (n, where[n], n.lower())
    return '`%s`' % n if re.fullmatch(r'\w+', n) else n


def md_body(body, where):
    """A man-page block as Markdown: sections in bold, parameter lists as lists, .vb/.ve and
    $ lines as code, .seealso as links"""
    lines = [l.rstrip() for l in body.split('\n')]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and lines[0].strip():    # the synopsis paragraph (shown apart)
        lines.pop(0)
    out, code, seealso = [], False, None
    for l in lines:
        s = l.strip()
        if seealso is not None:          # continuation lines of .seealso
            if s and not SECTION.match(s):
                seealso += ' ' + s
                continue
            out.append('**See also:** ' + ', '.join(link(r, where) for r in seealso.split(',') if r.strip()))
            seealso = None
        if s == '.vb':
            out += ['', '```']
            code = True
        elif s == '.ve':
            out += ['```', '']
            code = False
        elif code:
            out.append(s)
        elif s.startswith('$ '):
            out += ['', '```c', s[2:], '```', '']
        elif s.startswith('.seealso:'):
            out.append('')
            seealso = s[len('.seealso:'):]
        elif SECTION.match(s):
            head, rest = SECTION.match(s).groups()
            rest = rest.lstrip(':').strip()
            out += ['', '**%s**%s' % (head, (': ' + rest) if rest else ''), '']
        elif re.match(r'^[+.\-] ', l):
            name, sep, desc = l[2:].partition(' - ')
            out.append('- `%s`%s' % (name.strip(), (' — ' + desc.strip()) if sep else ''))
        elif l.startswith('         ') and out and out[-1].startswith('- '):
            out[-1] += ' ' + s           # continuation of a parameter description
        else:
            out.append(s)
    if seealso is not None:
        out.append('**See also:** ' + ', '.join(link(r, where) for r in seealso.split(',') if r.strip()))
    text = '\n'.join(out)
    return re.sub(r'\n{3,}', '\n\n', text).strip()


GROUPS = [
    ('problem', 'HGProblem: the bilevel problem', lambda n: n.startswith('HGProblem') and not n.endswith('Fn')),
    ('callbacks', 'Callbacks of a user problem and their contracts', lambda n: n.endswith('Fn')),
    ('lower', 'HGLower: the lower-level solver', lambda n: n.startswith('HGLower')),
    ('hg', 'HG: the hypergradient method', lambda n: re.match(r'HG(Create|Set|Get|Compute|Test|View|Info|Destroy|Register|Initialize|Finalize)', n) is not None),
    ('outer', 'HGOuter: the outer loop, checkpoints and resume', lambda n: n.startswith('HGOuter')),
    ('data', 'Data sets and HDF5 vectors', lambda n: n.startswith('HGData') or n.startswith('HGVec')),
]


def synopsis(body):
    """the text after 'Name - ' up to the first blank line"""
    lines = [l.strip() for l in body.split('\n')]
    while lines and not lines[0]:
        lines.pop(0)
    par = []
    for l in lines:
        if not l:
            break
        par.append(l)
    return ' '.join(par).split(' - ', 1)[1].strip()


def generate(root):
    bl = blocks(root)
    items = api(root)
    outdir = os.path.join(root, 'docs', 'api')
    os.makedirs(outdir, exist_ok=True)
    pages = {g[0]: [] for g in GROUPS}
    for name, kind, proto, h, line in sorted(items):
        for key, _, pred in GROUPS:
            if pred(name):
                pages[key].append((name, kind, proto, h))
                break
        else:
            pages['hg'].append((name, kind, proto, h))
    index = ['# hypergrad API reference', '',
             'Generated by `docs/manpages.py generate` from the man-page blocks of the sources; do not edit.',
             'The user guide is in [../README.md](../README.md).', '']
    where = {}
    for key, _, _ in GROUPS:
        for n, _, _, _ in pages[key]:
            where[n] = key + '.md'
    for n, b in bl.items():
        if b[0] == 'type':
            where[n] = 'types.md'
    for key, title, _ in GROUPS:
        entries = pages[key]
        md = ['# %s' % title, '', '[index](README.md)', '']
        md += ['- [`%s`](#%s)' % (n, n.lower()) for n, _, _, _ in entries] + ['']
        for n, kind, proto, h in entries:
            md += ['## %s' % n, '', '```c', proto, '```', '']
            if n in bl:
                body = bl[n][1]
                first = synopsis(body)
                md += [first, '', md_body(body, where), '',
                       '*Defined in* `%s`, *declared in* `%s`.' % (os.path.relpath(bl[n][2], root), os.path.relpath(h, root)), '']
            else:
                md += ['*No man page.*', '']
        open(os.path.join(outdir, key + '.md'), 'w', encoding='utf-8').write('\n'.join(md))
        index.append('- [%s](%s.md): %s' % (title, key, ', '.join('`%s`' % n for n, _, _, _ in entries)))
    # built-in types (/*MC blocks)
    types = sorted((n, b) for n, b in bl.items() if b[0] == 'type')
    md = ['# Built-in types', '', '[index](README.md)', '']
    for n, (kind, body, f, line) in types:
        first = [l for l in body.split('\n') if l.strip()][0].split(' - ', 1)[1].strip()
        md += ['## %s' % n, '', first, '', '```', textwrap.dedent('\n'.join(l for l in body.split('\n')[1:])).strip('\n'), '```', '',
               '*Defined in* `%s`.' % os.path.relpath(f, root), '']
    open(os.path.join(outdir, 'types.md'), 'w', encoding='utf-8').write('\n'.join(md))
    index.append('- [Built-in types](types.md): ' + ', '.join('`%s`' % n for n, _ in types))
    open(os.path.join(outdir, 'README.md'), 'w', encoding='utf-8').write('\n'.join(index) + '\n')
    print('manpages: wrote %s (%d functions and callback types, %d built-in types)' % (os.path.relpath(outdir, root), len(items), len(types)))
    return 0


if __name__ == '__main__':
    if len(sys.argv) < 2 or sys.argv[1] not in ('check', 'generate'):
        sys.exit(__doc__)
    root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    sys.exit(check(root) if sys.argv[1] == 'check' else generate(root))
