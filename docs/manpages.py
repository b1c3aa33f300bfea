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
            problems.append('%s:%d: %s %s has no man-page block: add a %s block starting "%s - <synopsis>" before its definition (see STYLE.md)' % (rel, line, kind, name, want, name))
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


def md_body(body):
    """A man-page block as Markdown: section headings bold, parameter lists as lists"""
    lines = body.split('\n')
    # common indentation
    ind = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    lines = [l[ind:] for l in lines]
    out, inpre = [], False
    for l in lines[1:]:
        s = l.rstrip()
        if re.match(r'^(Input Parameters?|Output Parameters?|Options Database Keys?|Notes?|Level|Collective|Not Collective|Logically Collective|Synopsis|Calling Sequence|Contract|Example)\b', s):
            inpre = False
            head, _, rest = s.partition(':')
            out.append('')
            out.append('**%s**%s' % (head.strip(), (': ' + rest.strip()) if rest.strip() else ''))
            out.append('')
        elif s.startswith('.seealso:'):
            refs = [r.strip().strip('`').replace('()', '') for r in s[len('.seealso:'):].split(',') if r.strip()]
            out.append('')
            out.append('**See also:** ' + ', '.join('[`%s`](#%s)' % (r, r.lower()) if re.fullmatch(r'\w+', r) else r for r in refs))
        elif re.match(r'^[+.\-] ', s):
            item = s[2:]
            name, sep, desc = item.partition(' - ')
            out.append('- `%s`%s' % (name.strip(), (' — ' + desc.strip()) if sep else ''))
        elif s.startswith('   ') and s.strip():
            if not inpre:
                out.append('')
                out.append('```')
                inpre = True
            out.append(s[3:])
            continue
        else:
            if inpre:
                out.append('```')
                out.append('')
                inpre = False
            out.append(s.strip())
    if inpre:
        out.append('```')
    return '\n'.join(out).strip()


GROUPS = [
    ('problem', 'HGProblem: the bilevel problem', lambda n: n.startswith('HGProblem') and not n.endswith('Fn')),
    ('callbacks', 'Callbacks of a user problem and their contracts', lambda n: n.endswith('Fn')),
    ('lower', 'HGLower: the lower-level solver', lambda n: n.startswith('HGLower')),
    ('hg', 'HG: the hypergradient method', lambda n: re.match(r'HG(Create|Set|Get|Compute|Test|View|Info|Destroy|Register|Initialize|Finalize)', n) is not None),
    ('outer', 'HGOuter: the outer loop, checkpoints and resume', lambda n: n.startswith('HGOuter')),
    ('data', 'Data sets and HDF5 vectors', lambda n: n.startswith('HGData') or n.startswith('HGVec')),
]


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
    for key, title, _ in GROUPS:
        entries = pages[key]
        md = ['# %s' % title, '', '[index](README.md)', '']
        md += ['- [`%s`](#%s)' % (n, n.lower()) for n, _, _, _ in entries] + ['']
        for n, kind, proto, h in entries:
            md += ['## %s' % n, '', '```c', proto, '```', '']
            if n in bl:
                body = bl[n][1]
                first = [l for l in body.split('\n') if l.strip()][0].split(' - ', 1)[1].strip()
                md += [first, '', md_body(body), '',
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
        md += ['## %s' % n, '', first, '', '```', '\n'.join(l for l in body.split('\n')[1:]).strip('\n'), '```', '',
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
