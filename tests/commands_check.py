#!/usr/bin/env python3
"""commands_check.py: every program the tests and scripts run, and every Python and Perl
module they import, comes from a Debian package that scripts/install-deps.sh names in PKGS
(or from an Essential package, which every Debian system has).

  python3 tests/commands_check.py [--install-script PATH] [--list]

Reads the shell, Python and Perl files under tests/, scripts/, pcaps/ and bench/ (Python and
shell in here-documents too), the Makefile and .ci/run, and finds the external commands:

  shell   the first word of each simple command (after pipes, &&, ||, ;, in $(...), `...`,
          <(...), trap strings and `bash -c` strings), past assignments and through
          sudo, env, timeout, nohup, nice, setsid, stdbuf, xargs, chroot, unshare, exec,
          /usr/bin/time, find -exec, `ip netns exec NS`, and through the scripts' own
          functions that run "$@" (inc, ins, run, suite, ...); `command -v NAME` counts as
          a use; a command given as "$VAR" or "${ARRAY[@]}" is looked up in the file's
          assignments; the PKG_OF tables of pcaps/ count as uses.  Shell builtins and
          functions defined in the scanned files are not external.
  Python  the argument lists of subprocess.run/Popen/call/check_call/check_output (list
          literals, names assigned a list, `+`, local helpers that build the list or
          pass their arguments on), shutil.which, os.system; every import.
  Perl    every `use`/`require` of a module with `::`.
  CMake   every pkg-config module of pkg_check_modules/pkg_search_module in CMakeLists.txt
          and cmake/*.cmake (the build's libraries: their -dev packages).

Each command is looked up in /usr/sbin:/usr/bin:/sbin:/bin (a fresh root's PATH, not the
caller's: pyenv shims are not Debian's), and its package found with dpkg -S on that path,
following symlinks (alternatives) one link at a time.  A Python module is found with
/usr/bin/python3 (Debian's, whatever `python3` is here), a Perl module with /usr/bin/perl.
A package only pulled in by a named one does not count: install-deps must name it.  One
exception: Debian splits one Python over python3-minimal, python3.N, libpython3.N-stdlib
(and one Perl over perl-base, perl-modules-5.N, libperl5.N); naming python3 (perl) covers
those, and nothing else.  A command that is not installed here fails too: after
install-deps has run, everything it names is installed.

Exit 0 when everything is covered, 1 otherwise (command, FILE:LINE, package).
"""
import argparse
import ast
import bisect
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCAN_DIRS = ["tests", "scripts", "pcaps", "bench"]
SCAN_FILES = ["Makefile", ".ci/run"]
SKIP_DIRS = {"__pycache__", "golden", "corpus", ".git"}
SYSTEM_PATH = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]

# Commands the parsing cannot see, each with where it is used.
EXTRA_COMMANDS = [
    ("cc", "Makefile", "build, build-san: cmake compiles with the system C compiler, cc"),
    ("clang", "Makefile", "build-fuzz: CC=clang cmake ... (an assignment, not a command)"),
]

# Commands used on purpose without install-deps naming their package.
NOT_NAMED = {
    "sudo": "install-deps.sh, bench/run.sh: only when not root, after checking it is there",
    "apt-get": "install-deps.sh, bench/run.sh, pcaps/netns-lib.sh: the installer itself (apt)",
}

# Debian splits one interpreter over several packages; naming the key covers these.
COVERED_BY = {
    "python3": re.compile(r"^(lib)?python3(\.\d+)?(-minimal|-stdlib)?$"),
    "perl": re.compile(r"^(perl-base|perl-modules-[\d.]+|libperl[\d.]+)$"),
}

BUILTINS = set("""
. : [ [[ ]] alias bg bind break builtin caller cd command compgen complete compopt continue
declare dirs disown echo enable eval exec exit export false fc fg getopts hash help history
jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set
shift shopt source suspend test times trap true type typeset ulimit umask unalias unset wait
""".split())
KEYWORDS_START = {"if", "then", "elif", "else", "while", "until", "do", "!", "time", "{"}
KEYWORDS_END = {"fi", "done", "}", "esac"}
SEPARATORS = {"\n", ";", "&", "&&", "||", "|", "|&"}
OPERATORS = [";;&", ";;", ";&", "&&", "||", "|&", "&>>", "&>", "<<<", "<<-", "<<", ">>", ">|",
             ">&", "<&", "<>", "|", "&", ";", "<", ">"]
REDIRECTS = {"&>>", "&>", "<<<", "<<-", "<<", ">>", ">|", ">&", "<&", "<>", "<", ">"}
ARGS = object()    # "$@" in command position
EMPTY = object()   # a variable that may be empty: the next word is the command too


# ------------------------------------------------------------------------------ shell lexer
class Op:
    def __init__(self, text, line):
        self.text, self.line, self.body = text, line, None


class Word:
    def __init__(self, line):
        self.line, self.segs, self.subs, self.array, self.raw, self.arith = line, [], [], None, "", False

    def literal(self):
        if any(s[0] != "lit" for s in self.segs):
            return None
        return "".join(s[1] for s in self.segs)


class Lexer:
    """Tokens of a shell text: Words (with their command substitutions as token lists) and
    Ops; here-document bodies are attached to their << Op."""

    def __init__(self, text, base_line=1, nl=None):
        self.s, self.i, self.base = text, 0, base_line
        self.nl = nl if nl is not None else [m.start() for m in re.finditer("\n", text)]
        self.pending = []

    def line(self, pos=None):
        return self.base + bisect.bisect_left(self.nl, self.i if pos is None else pos)

    def sub(self, start):
        lx = Lexer(self.s, self.base, self.nl)
        lx.i = start
        return lx

    def tokens(self, stop_paren=False):
        s, toks, depth, want_delim = self.s, [], 0, None
        while self.i < len(s):
            c = s[self.i]
            if c in " \t\r":
                self.i += 1
            elif c == "\\" and s.startswith("\\\n", self.i):
                self.i += 2
            elif c == "#":
                while self.i < len(s) and s[self.i] != "\n":
                    self.i += 1
            elif c == "\n":
                toks.append(Op("\n", self.line()))
                self.i += 1
                if self.pending:
                    self.heredocs()
            elif s.startswith("((", self.i):
                w = Word(self.line())
                w.arith, w.raw = True, "(("
                self.i = self.skip_parens(self.i)
                w.segs.append(("dyn", "(("))
                toks.append(w)
            elif c == "(":
                depth += 1
                toks.append(Op("(", self.line()))
                self.i += 1
            elif c == ")":
                if stop_paren and depth == 0:
                    self.i += 1
                    return toks
                depth -= 1
                toks.append(Op(")", self.line()))
                self.i += 1
            elif c in "<>" and s.startswith("(", self.i + 1):
                w = Word(self.line())
                lx = self.sub(self.i + 2)
                w.subs.append(lx.tokens(stop_paren=True))
                self.i = lx.i
                w.segs.append(("dyn", c + "("))
                toks.append(w)
            else:
                op = next((o for o in OPERATORS if s.startswith(o, self.i)), None)
                if op:
                    t = Op(op, self.line())
                    toks.append(t)
                    self.i += len(op)
                    if op in ("<<", "<<-"):
                        want_delim = t
                    continue
                w = self.word()
                if w is None:
                    continue
                if want_delim is not None:
                    delim = re.sub(r"[\"'\\]", "", w.raw)
                    self.pending.append((want_delim, delim, want_delim.text == "<<-",
                                         any(q in w.raw for q in "\"'\\")))
                    want_delim = None
                toks.append(w)
        return toks

    def heredocs(self):
        s = self.s
        for op, delim, strip, quoted in self.pending:
            start = self.i
            while self.i < len(s):
                end = s.find("\n", self.i)
                end = len(s) if end < 0 else end
                ln = s[self.i:end]
                if (ln.lstrip("\t") if strip else ln) == delim:
                    op.body = (s[start:self.i], self.line(start), quoted)
                    self.i = end + 1
                    break
                self.i = end + 1
            else:
                op.body = (s[start:], self.line(start), quoted)
        self.pending = []

    def skip_parens(self, i):
        """Index after the parenthesis group starting at s[i] == '(' (quotes respected)."""
        s, depth = self.s, 0
        while i < len(s):
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == "'":
                i = s.find("'", i + 1) + 1 or len(s)
                continue
            if c == '"':
                i = self.skip_dquote(i)
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return i

    def skip_dquote(self, i):
        s = self.s
        i += 1
        while i < len(s) and s[i] != '"':
            i += 2 if s[i] == "\\" else 1
        return i + 1

    def word(self):
        s, w = self.s, Word(self.line())
        start, buf = self.i, []

        def flush():
            if buf:
                w.segs.append(("lit", "".join(buf)))
                buf.clear()
        while self.i < len(s):
            c = s[self.i]
            if c == "(" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=", s[start:self.i]):
                lx = self.sub(self.i + 1)
                elems = [t for t in lx.tokens(stop_paren=True) if isinstance(t, Word)]
                self.i = lx.i
                w.array = elems
                for e in elems:
                    w.subs.extend(e.subs)
                continue
            if c in " \t\r\n;&|()<>":
                break
            if c == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                    continue
                buf.append(s[self.i + 1:self.i + 2])
                self.i += 2
            elif c == "'":
                j = s.find("'", self.i + 1)
                j = len(s) if j < 0 else j
                buf.append(s[self.i + 1:j])
                self.i = j + 1
            elif c == '"':
                self.i += 1
                while self.i < len(s) and s[self.i] != '"':
                    d = s[self.i]
                    if d == "\\" and self.i + 1 < len(s):
                        nxt = s[self.i + 1]
                        buf.append(nxt if nxt in '$`"\\' else "\\" + nxt if nxt != "\n" else "")
                        self.i += 2
                    elif d in "$`":
                        flush()
                        self.dollar(w) if d == "$" else self.backtick(w)
                    else:
                        buf.append(d)
                        self.i += 1
                self.i += 1
            elif c in "$`":
                flush()
                self.dollar(w) if c == "$" else self.backtick(w)
            else:
                buf.append(c)
                self.i += 1
        flush()
        w.raw = s[start:self.i]
        if not w.raw:
            self.i += 1
            return None
        if w.raw.isdigit() and s[self.i:self.i + 1] in ("<", ">"):
            return None   # a file descriptor number before a redirection
        return w

    def dollar(self, w):
        s, i = self.s, self.i
        if s.startswith("$((", i):
            self.i = self.skip_parens(i + 1)
            w.segs.append(("dyn", "$(("))
        elif s.startswith("$(", i):
            lx = self.sub(i + 2)
            w.subs.append(lx.tokens(stop_paren=True))
            self.i = lx.i
            w.segs.append(("dyn", "$("))
        elif s.startswith("$'", i):
            j = i + 2
            while j < len(s) and s[j] != "'":
                j += 2 if s[j] == "\\" else 1
            w.segs.append(("lit", s[i + 2:j]))
            self.i = j + 1
        elif s.startswith("${", i):
            j, depth = i + 2, 1
            while j < len(s) and depth:
                if s[j] == "\\":
                    j += 1
                elif s.startswith("${", j):
                    depth += 1
                    j += 1
                elif s[j] == "}":
                    depth -= 1
                elif s[j] == "'":
                    j = s.find("'", j + 1)
                elif s[j] == '"':
                    j = self.skip_dquote(j) - 1
                j += 1
            inner = s[i + 2:j - 1]
            self.i = j
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])(\[[^\]]*\])?(.*)\Z", inner, re.S)
            if m and not inner.startswith(("#", "!")) or inner in ("#", "!"):
                w.segs.append(("var", m.group(1), m.group(2) or "", m.group(3)))
            else:
                w.segs.append(("dyn", "${"))
            for k in (m.start(3),) if m else ():
                if "$(" in inner[k:] or "`" in inner[k:]:
                    lx = Lexer(inner[k:], self.line(i))
                    w.subs.extend(subst_tokens(lx))
        else:
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]", s[i + 1:])
            if m:
                w.segs.append(("var", m.group(0), "", ""))
                self.i = i + 1 + m.end()
            else:
                w.segs.append(("lit", "$"))
                self.i = i + 1

    def backtick(self, w):
        s, i = self.s, self.i
        j = i + 1
        while j < len(s) and s[j] != "`":
            j += 2 if s[j] == "\\" else 1
        inner = s[i + 1:j].replace("\\`", "`").replace("\\\\", "\\")
        w.subs.append(Lexer(inner, self.line(i)).tokens())
        w.segs.append(("dyn", "`"))
        self.i = j + 1


def subst_tokens(lx):
    """Token lists of the $(...) and `...` in a text that is otherwise data (an unquoted
    here-document, a ${...} default)."""
    out, s = [], lx.s
    while lx.i < len(s):
        if s[lx.i] == "\\":
            lx.i += 2
        elif s.startswith("$((", lx.i):
            lx.i = lx.skip_parens(lx.i + 1)
        elif s.startswith("$(", lx.i) or s[lx.i] == "`":
            w = Word(lx.line())
            lx.dollar(w) if s[lx.i] == "$" else lx.backtick(w)
            out.extend(w.subs)
        else:
            lx.i += 1
    return out


# ----------------------------------------------------------------------------- shell parser
class Cmd:
    def __init__(self, words, line, func, heredocs, redirs):
        self.words, self.line, self.func, self.heredocs, self.redirs = words, line, func, heredocs, redirs


class ShellFile:
    """The simple commands, functions and assignments of one shell text (and of the texts
    it embeds: here-documents of Python and Perl are kept for their own checks)."""

    def __init__(self, path):
        self.path = path
        self.cmds, self.funcs, self.scalars, self.arrays, self.pkg_of = [], set(), {}, {}, {}
        self.embedded = []   # (language, text, first line)

    def parse_text(self, text, base_line=1, func=None):
        self.parse(Lexer(text, base_line).tokens(), func)

    def subs(self, word, func):
        for toks in word.subs:
            self.parse(toks, func)
        if word.array:
            for e in word.array:
                for toks in e.subs:
                    self.parse(toks, func)

    def parse(self, toks, func):
        i, n, at_start = 0, len(toks), True
        stack = []           # "{", "(", "case", or ("func", name, outer, opener)
        pending_func = None
        while i < n:
            t = toks[i]
            if isinstance(t, Op):
                if t.text in SEPARATORS:
                    at_start = True
                elif t.text in (";;", ";&", ";;&"):
                    i = self.case_pattern(toks, i + 1, stack, func)
                    at_start = True
                    continue
                elif t.text == "(":
                    if pending_func:
                        stack.append(("func", pending_func, func, "("))
                        func, pending_func = pending_func, None
                    else:
                        stack.append("(")
                    at_start = True
                elif t.text == ")":
                    func = self.pop(stack, func, "(")
                    at_start = False
                elif t.text in REDIRECTS:
                    if i + 1 < n and isinstance(toks[i + 1], Word):
                        self.subs(toks[i + 1], func)
                        i += 1
                i += 1
                continue
            if not at_start:
                self.subs(t, func)
                if t.literal() in ("}", "esac", "fi", "done"):
                    func = self.end_word(t.literal(), stack, func)
                i += 1
                continue
            lit = t.literal()
            if t.arith:
                i, at_start = i + 1, False
            elif lit in KEYWORDS_START:
                if lit == "{":
                    if pending_func:
                        stack.append(("func", pending_func, func, "{"))
                        func, pending_func = pending_func, None
                    else:
                        stack.append("{")
                i += 1
            elif lit in KEYWORDS_END:
                func = self.end_word(lit, stack, func)
                i, at_start = i + 1, False
            elif lit in ("for", "select"):
                i += 1
                while i < n and not (isinstance(toks[i], Word) and toks[i].literal() == "do"
                                     and isinstance(toks[i - 1], Op)):
                    if isinstance(toks[i], Word):
                        self.subs(toks[i], func)
                    i += 1
            elif lit == "case":
                i += 1
                while i < n and not (isinstance(toks[i], Word) and toks[i].literal() == "in"):
                    if isinstance(toks[i], Word):
                        self.subs(toks[i], func)
                    i += 1
                stack.append("case")
                i = self.case_pattern(toks, i + 1, stack, func)
            elif lit == "function" and i + 1 < n and isinstance(toks[i + 1], Word):
                pending_func = toks[i + 1].literal()
                self.funcs.add(pending_func)
                i += 2
                if i + 1 < n and isinstance(toks[i], Op) and toks[i].text == "(" \
                        and isinstance(toks[i + 1], Op) and toks[i + 1].text == ")":
                    i += 2
            elif lit and i + 2 < n and isinstance(toks[i + 1], Op) and toks[i + 1].text == "(" \
                    and isinstance(toks[i + 2], Op) and toks[i + 2].text == ")" \
                    and re.fullmatch(r"[A-Za-z_][\w:.-]*", lit):
                pending_func = lit
                self.funcs.add(lit)
                i += 3
            elif lit == "[[":
                i += 1
                while i < n and not (isinstance(toks[i], Word) and toks[i].literal() == "]]"):
                    if isinstance(toks[i], Word):
                        self.subs(toks[i], func)
                    i += 1
                i, at_start = i + 1, False
            else:
                i = self.simple(toks, i, func)
                at_start = False
        return func

    def pop(self, stack, func, kind):
        while stack:
            top = stack.pop()
            if isinstance(top, tuple):
                if top[3] == kind:
                    return top[2]
            elif top == kind:
                return func
        return func

    def end_word(self, lit, stack, func):
        if lit == "}":
            return self.pop(stack, func, "{")
        if lit == "esac":
            return self.pop(stack, func, "case")
        return func

    def case_pattern(self, toks, i, stack, func):
        n = len(toks)
        while i < n and isinstance(toks[i], Op) and toks[i].text == "\n":
            i += 1
        if i < n and isinstance(toks[i], Word) and toks[i].literal() == "esac":
            self.pop(stack, func, "case")
            return i + 1
        while i < n and not (isinstance(toks[i], Op) and toks[i].text == ")"):
            if isinstance(toks[i], Word):
                self.subs(toks[i], func)
            i += 1
        return i + 1

    def simple(self, toks, i, func):
        n, words, heredocs, redirs = len(toks), [], [], []
        while i < n:
            t = toks[i]
            if isinstance(t, Op):
                if t.text not in REDIRECTS:
                    break
                target = toks[i + 1] if i + 1 < n and isinstance(toks[i + 1], Word) else None
                if t.body is not None:
                    heredocs.append(t)
                redirs.append((t.text, target))
                if target is not None:
                    self.subs(target, func)
                i += 2 if target is not None else 1
                continue
            words.append(t)
            self.subs(t, func)
            i += 1
        for t in heredocs:
            body, line, quoted = t.body
            if not quoted:
                for sub in subst_tokens(Lexer(body, line)):
                    self.parse(sub, func)
        k = 0
        while k < len(words) and self.assignment(words[k]):
            k += 1
        words = words[k:]
        if words:
            if words[0].literal() in ("declare", "local", "export", "readonly", "typeset"):
                for w in words[1:]:
                    self.assignment(w)
            self.cmds.append(Cmd(words, words[0].line, func, heredocs, redirs))
        return i

    def assignment(self, w):
        m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\+?=", w.raw)
        if not m:
            return False
        name = m.group(1)
        if w.array is not None:
            self.arrays.setdefault(name, []).append(w.array)
            if name == "PKG_OF":
                for e in w.array:
                    mm = re.fullmatch(r"\[([^\]]+)\]=(\S+)", e.literal() or "")
                    if mm:
                        self.pkg_of[mm.group(1)] = (mm.group(2), e.line)
            return True
        value = Word(w.line)
        # The value's segments: the word's segments minus the literal "NAME=" prefix.
        prefix, segs = len(m.group(0)), []
        for seg in w.segs:
            if prefix and seg[0] == "lit":
                cut = min(prefix, len(seg[1]))
                prefix -= cut
                if seg[1][cut:]:
                    segs.append(("lit", seg[1][cut:]))
            elif not prefix:
                segs.append(seg)
        value.segs = segs
        self.scalars.setdefault(name, []).append(value)
        return True


# ----------------------------------------------------------------------- commands from argv
def wrapped_index(base, j, lit, raw):
    """For a command that runs another one (sudo, env, ...), the index of that command in
    argv (j is the wrapper's own index); None for any other command."""
    def skip_opts(k, with_arg=(), assign=False):
        while True:
            if assign and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", raw(k) or ""):
                k += 1
                continue
            a = lit(k)
            if a is None:
                return k
            if a == "--":
                return k + 1
            if a.startswith("-") and len(a) > 1:
                k += 2 if a in with_arg else 1
            else:
                return k
    if base == "sudo":
        return skip_opts(j + 1, ("-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"), True)
    if base == "env":
        return skip_opts(j + 1, ("-u", "-C", "-S"), True)
    if base == "timeout":
        return skip_opts(j + 1, ("-s", "-k")) + 1
    if base in ("nohup", "setsid", "builtin"):
        return skip_opts(j + 1)
    if base == "unshare":
        return skip_opts(j + 1, ("--propagation", "--setgroups", "-S", "--setuid", "-G", "--setgid",
                                 "-R", "--root", "-w", "--wd", "--map-user", "--map-group"))
    if base in ("nice", "ionice"):
        return skip_opts(j + 1, ("-n", "-c"))
    if base == "stdbuf":
        return skip_opts(j + 1, ("-i", "-o", "-e"))
    if base == "chroot":
        return skip_opts(j + 1, ("--userspec", "--groups")) + 1
    if base == "exec":
        return skip_opts(j + 1, ("-a",))
    if base == "xargs":
        return skip_opts(j + 1, ("-I", "-L", "-n", "-P", "-s", "-d", "-E", "-a"))
    if base == "time":
        return skip_opts(j + 1, ("-o", "-f"))
    if base == "ip" and lit(j + 1) == "netns" and lit(j + 2) == "exec":
        return j + 4
    return None


EXEC_WRAPPERS = {"sudo", "env", "timeout", "nohup", "setsid", "unshare", "nice", "ionice",
                 "stdbuf", "chroot", "exec", "xargs", "time", "ip", "find"}


def commands_of(argv_len, lit, resolve, wrappers, external=False, raw=None):
    """The commands an argv runs: [(kind, value, index, external)] with kind "cmd" (value the
    name or path), "args" ("$@": the caller's arguments), "dyn" (not known statically),
    "script" (a shell text: trap, bash -c, eval), "check" (command -v NAME)."""
    out, raw = [], raw or lit

    def at(j, ext):
        if j is None or j >= argv_len:
            return
        for cand in resolve(j):
            if cand is EMPTY:
                at(j + 1, ext)
                continue
            if cand is None:
                out.append(("dyn", None, j, ext))
                continue
            if cand is ARGS:
                out.append(("args", None, j, ext))
                continue
            out.append(("cmd", cand, j, ext))
            base = os.path.basename(cand)
            if not ext and cand in wrappers:
                skip, wext = wrappers[cand]
                at(j + 1 + skip, wext)
                continue
            if base in ("bash", "sh", "dash"):
                k = j + 1      # options, up to -c (-o takes an argument: -euo pipefail -c)
                while (lit(k) or "").startswith("-") and not lit(k).startswith("--") \
                        and not re.fullmatch(r"-[a-z]*c", lit(k)):
                    k += 2 if "o" in lit(k) else 1
                if re.fullmatch(r"-[a-z]*c", lit(k) or "") and lit(k + 1) is not None:
                    out.append(("script", lit(k + 1), k + 1, ext))
                    continue
            if base in ("trap", "eval") and not ext:
                for k in range(j + 1, argv_len if base == "eval" else j + 2):
                    if lit(k):
                        out.append(("script", lit(k), k, False))
                continue
            if base == "command" and not ext and lit(j + 1) in ("-v", "-V"):
                for k in range(j + 2, argv_len):
                    if lit(k):
                        out.append(("check", lit(k), k, True))
                continue
            if base == "command" and not ext:
                at(j + 1 + (lit(j + 1) == "-p"), False)
                continue
            if base == "find":
                for k in range(j + 1, argv_len):
                    if lit(k) in ("-exec", "-execdir", "-ok", "-okdir"):
                        at(k + 1, True)
                continue
            nxt = wrapped_index(base, j, lit, raw)
            if nxt is not None:
                at(nxt, ext or base in EXEC_WRAPPERS)
    at(0, external)
    return out


# --------------------------------------------------------------------------- shell analysis
def shell_resolver(words, sf):
    def lit(k):
        return words[k].literal() if k < len(words) else None

    def raw(k):
        return words[k].raw if k < len(words) else None

    def resolve(k, depth=0):
        w = words[k]
        v = w.literal()
        if v is not None:
            return [v]
        if len(w.segs) == 1 and w.segs[0][0] == "var":
            return resolve_var(w.segs[0], depth)
        return [None]

    def resolve_var(seg, depth):
        _, name, index, rest = seg
        if name in ("@", "*") and not index:
            return [ARGS]
        if index in ("[@]", "[*]", "[0]"):
            firsts = [arr[0] for arr in sf.arrays.get(name, []) if arr]
            return [x for a in firsts for x in value_of(a, name, depth)] or [None]
        if not index:
            vals = sf.scalars.get(name, [])
            m = re.fullmatch(r":?[-=](.*)", rest, re.S)
            if vals:
                out = [x for v in vals for x in value_of(v, name, depth)]
                if m:
                    out = [m.group(1) if x is None else x for x in out]
                return out or [None]
            if m and "$" not in m.group(1):
                return [m.group(1)]
        return [None]

    def value_of(w, name, depth):
        v = w.literal()
        if v is not None:
            return [EMPTY if v == "" else v]
        if len(w.segs) == 1 and w.segs[0][0] == "var" and depth < 3:
            seg = w.segs[0]
            m = re.fullmatch(r":?[-=](.*)", seg[3], re.S)
            if seg[1] == name and m and "$" not in m.group(1):
                return [m.group(1)]       # X=${X:-default}
            if seg[1] != name:
                return resolve_var(seg, depth + 1)
        return [None]
    return lit, resolve, raw


def shell_wrappers(sf, wrappers):
    """Functions of sf whose body runs "$@" as a command: name -> (args shifted first,
    whether "$@" runs outside the shell, so builtins and functions do not apply)."""
    found = {}
    for _ in range(3):
        for c in sf.cmds:
            if not c.func or c.func in found:
                continue
            lit, resolve, raw = shell_resolver(c.words, sf)
            for kind, _v, _j, ext in commands_of(len(c.words), lit, resolve, {**wrappers, **found},
                                                 raw=raw):
                if kind == "args":
                    shifts = 0
                    for d in sf.cmds:
                        if d.func == c.func and d.line <= c.line and d.words[0].literal() == "shift":
                            a = d.words[1].literal() if len(d.words) > 1 else "1"
                            shifts += int(a) if a and a.isdigit() else 1
                    found[c.func] = (shifts, ext)
    return found


# ---------------------------------------------------------------------------- python parsing
SUBPROCESS_FUNCS = {"run", "Popen", "call", "check_call", "check_output"}


class PyFile:
    def __init__(self, path, text, base_line=1):
        self.path, self.base = path, base_line
        self.tree = ast.parse(text)
        self.parent = {}
        for node in ast.walk(self.tree):
            for ch in ast.iter_child_nodes(node):
                self.parent[ch] = node
        self.defs = {}
        self.consts = {}
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef):
                self.defs.setdefault(node.name, node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                for tg in node.targets:
                    if isinstance(tg, ast.Name):
                        self.defs.setdefault(tg.id, node.value)
        for node in self.tree.body:
            if isinstance(node, ast.Assign):
                for tg in node.targets:
                    if isinstance(tg, ast.Name):
                        self.consts.setdefault(tg.id, []).append(node.value)
        self.from_subprocess = set()
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.module == "subprocess":
                self.from_subprocess.update(a.asname or a.name for a in node.names)
        self.wrappers = {}
        for name, fn in self.defs.items():
            params = [a.arg for a in fn.args.args]
            var = fn.args.vararg.arg if fn.args.vararg else None
            for node in ast.walk(fn):
                if isinstance(node, ast.Call) and self.is_subprocess(node) and node.args \
                        and isinstance(node.args[0], ast.Name):
                    a = node.args[0].id
                    if a == var:
                        self.wrappers[name] = ("varargs", None)
                    elif a in params:
                        self.wrappers[name] = ("list", params.index(a))

    def line(self, node):
        return self.base + node.lineno - 1

    def is_subprocess(self, call):
        f = call.func
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            return f.value.id == "subprocess" and f.attr in SUBPROCESS_FUNCS
        return isinstance(f, ast.Name) and f.id in self.from_subprocess and f.id in SUBPROCESS_FUNCS

    def scope(self, node):
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                return node
        return self.tree

    def passes_params(self, call, arg):
        """A wrapper's own call: it runs its caller's arguments (checked at the callers)."""
        fn = self.scope(call)
        if not isinstance(arg, ast.Name) or fn is self.tree:
            return False
        names = [a.arg for a in fn.args.args] + ([fn.args.vararg.arg] if fn.args.vararg else [])
        return arg.id in names

    def eval_str(self, node, env, depth=0):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in env:
                v = env[node.id]
                return v if isinstance(v, str) else None
            vals = self.consts.get(node.id, [])
            if len(vals) == 1 and depth < 3:
                return self.eval_str(vals[0], {}, depth + 1)
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                s = self.eval_str(v, env, depth + 1)
                if s is not None:
                    return s
        return None

    def eval_list(self, node, env, depth=0):
        """Possible argument lists (lists of str or None) of an expression; [] if unknown."""
        if depth > 6:
            return []
        if isinstance(node, (ast.List, ast.Tuple)):
            items = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    sub = self.eval_list(e.value, env, depth + 1)
                    if not sub:
                        items.append(None)
                        break
                    items.extend(sub[0])
                else:
                    items.append(self.eval_str(e, env))
            return [items]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.eval_list(node.left, env, depth + 1)
            right = self.eval_list(node.right, env, depth + 1) or [[None]]
            return [a + b for a in left for b in right]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "list" and len(node.args) == 1:
                return self.eval_list(node.args[0], env, depth + 1)
            fn = self.defs.get(node.func.id)
            if fn is not None and not isinstance(fn, ast.Lambda):
                rets = [r.value for r in ast.walk(fn) if isinstance(r, ast.Return) and r.value]
                if len(rets) == 1:
                    return self.eval_list(rets[0], self.bind(fn, node, env), depth + 1)
        if isinstance(node, ast.Name):
            if node.id in env:
                v = env[node.id]
                return [v] if isinstance(v, list) else []
            scope = self.scope(node)
            out = []
            for a in ast.walk(scope):
                if isinstance(a, ast.Assign) and any(isinstance(t, ast.Name) and t.id == node.id
                                                     for t in a.targets):
                    out.extend(self.eval_list(a.value, env, depth + 1))
            return out
        return []

    def bind(self, fn, call, env):
        out, params = {}, [a.arg for a in fn.args.args]
        args = list(call.args)
        for p in params:
            if not args or isinstance(args[0], ast.Starred):
                break
            a = args.pop(0)
            lists = self.eval_list(a, env)
            out[p] = lists[0] if len(lists) == 1 else self.eval_str(a, env)
        if fn.args.vararg:
            rest = []
            for a in args:
                if isinstance(a, ast.Starred):
                    rest.append(None)
                    break
                rest.append(self.eval_str(a, env))
            out[fn.args.vararg.arg] = rest
        return out

    def argvs(self):
        """(argv, line, kind) for every command this file runs; kind "shell" for a shell text."""
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            if self.is_subprocess(node):
                arg = node.args[0] if node.args else next(
                    (k.value for k in node.keywords if k.arg == "args"), None)
                shell = any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value
                            for k in node.keywords)
                if arg is None or self.passes_params(node, arg):
                    continue
                if shell:
                    s = self.eval_str(arg, {})
                    if s:
                        yield s, self.line(node), "shell"
                    continue
                lists = self.eval_list(arg, {})
                if not lists:
                    yield [None], self.line(node), "argv"
                for argv in lists:
                    yield argv, self.line(node), "argv"
            elif isinstance(f, ast.Name) and f.id in self.wrappers:
                how, idx = self.wrappers[f.id]
                if how == "varargs":
                    argv = []
                    for a in node.args:
                        if isinstance(a, ast.Starred):
                            argv.append(None)
                            break
                        argv.append(self.eval_str(a, {}))
                    yield argv, self.line(node), "argv"
                elif idx < len(node.args):
                    for argv in self.eval_list(node.args[idx], {}) or [[None]]:
                        yield argv, self.line(node), "argv"
            elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and node.args:
                mod, attr = f.value.id, f.attr
                s = self.eval_str(node.args[0], {})
                if mod == "shutil" and attr == "which" and s:
                    yield [s], self.line(node), "check"
                elif mod == "os" and attr in ("system", "popen") and s:
                    yield s, self.line(node), "shell"
                elif mod == "os" and attr.startswith(("execv", "execl", "spawn")) and s:
                    yield [s], self.line(node), "argv"

    def imports(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    yield a.name.split(".")[0], self.line(node)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                yield node.module.split(".")[0], self.line(node)


# ------------------------------------------------------------------------------ the scanner
class Scan:
    def __init__(self):
        self.uses = {}        # command -> [(file, line)]
        self.checks = set()   # commands only looked up (command -v, shutil.which)
        self.dynamic = []     # (file, line, text)
        self.local = {}       # project programs run by relative path
        self.py_mods = {}     # module -> [(file, line)]
        self.pl_mods = {}
        self.pc_mods = {}     # pkg-config module -> [(file, line)]
        self.pkg_hints = {}   # command -> (package, file:line) from PKG_OF tables
        self.shell_files = []
        self.problems = []    # files that could not be parsed

    def use(self, cmd, where, check=False):
        w = self.uses.setdefault(cmd, [])
        if where not in w:
            w.append(where)
        if check:
            self.checks.add(cmd)

    # --- files
    def files(self):
        out = []
        for d in SCAN_DIRS:
            for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, d)):
                dirnames[:] = sorted(x for x in dirnames if x not in SKIP_DIRS)
                out += [os.path.join(dirpath, f) for f in sorted(filenames)]
        out += [os.path.join(ROOT, f) for f in SCAN_FILES if os.path.exists(os.path.join(ROOT, f))]
        return out

    @staticmethod
    def kind(path):
        name = os.path.basename(path)
        if name == "Makefile":
            return "make"
        ext = os.path.splitext(name)[1]
        if ext in (".sh", ".bash"):
            return "sh"
        if ext == ".py":
            return "py"
        if ext in (".pl", ".pm"):
            return "pl"
        if ext:
            return None
        try:
            with open(path, "rb") as f:
                first = f.readline(200).decode("utf-8", "replace")
        except OSError:
            return None
        if first.startswith("#!"):
            if re.search(r"\b(ba|da)?sh\b", first):
                return "sh"
            if "python" in first:
                return "py"
            if "perl" in first:
                return "pl"
        return None

    def run(self):
        for path in self.files():
            k = self.kind(path)
            rel = os.path.relpath(path, ROOT)
            if k is None:
                continue
            try:
                text = open(path, encoding="utf-8", errors="replace").read()
            except OSError as e:
                self.problems.append(f"{rel}: {e}")
                continue
            if k == "sh":
                sf = ShellFile(rel)
                sf.parse_text(text)
                self.shell_files.append(sf)
            elif k == "make":
                self.shell_files.append(self.makefile(rel, text))
            elif k == "py":
                self.python(rel, text, 1)
            elif k == "pl":
                self.perl(rel, text, 1)
        self.shells()
        self.cmake()
        for cmd, rel, why in EXTRA_COMMANDS:
            self.use(cmd, f"{rel} ({why})")

    def cmake(self):
        """pkg-config modules the build asks for."""
        files = [os.path.join(ROOT, "CMakeLists.txt")]
        cm = os.path.join(ROOT, "cmake")
        if os.path.isdir(cm):
            files += sorted(os.path.join(cm, f) for f in os.listdir(cm) if f.endswith(".cmake"))
        keywords = {"REQUIRED", "QUIET", "IMPORTED_TARGET", "GLOBAL", "NO_CMAKE_PATH",
                    "NO_CMAKE_ENVIRONMENT_PATH"}
        for path in files:
            if not os.path.exists(path):
                continue
            rel = os.path.relpath(path, ROOT)
            text = open(path, encoding="utf-8", errors="replace").read()
            for m in re.finditer(r"pkg_(?:check_modules|search_module)\s*\(([^)]*)\)", text, re.I):
                line = text.count("\n", 0, m.start()) + 1
                words = m.group(1).split()[1:]
                for w in words:
                    if w in keywords or "${" in w:
                        continue
                    mod = re.split(r"[<>=]", w)[0]
                    self.pc_mods.setdefault(mod, []).append(f"{rel}:{line}")

    def makefile(self, rel, text):
        """The recipes of a Makefile (and its $(shell ...)), as shell."""
        sf = ShellFile(rel)
        lines = text.split("\n")
        mvars, i = {}, 0
        for ln in lines:
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*[?:+]?=\s*(.*)$", ln)
            if m and "$" not in m.group(2):
                mvars[m.group(1)] = m.group(2).strip()

        def expand(s):
            s = s.replace("$$", "\0")
            s = re.sub(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]",
                       lambda m: mvars.get(m.group(1), "$MAKE_" + m.group(1)), s)
            return s.replace("\0", "$")
        while i < len(lines):
            start, ln = i, lines[i]
            while ln.endswith("\\") and i + 1 < len(lines):
                i += 1
                ln = ln[:-1] + " " + lines[i].lstrip("\t")
            i += 1
            for m in re.finditer(r"\$\(shell ([^)]*)\)", ln):
                sf.parse_text(expand(m.group(1)), start + 1)
            if ln.startswith("\t"):
                sf.parse_text(expand(ln.lstrip("\t").lstrip("@+-")), start + 1)
        return sf

    def shells(self):
        all_funcs = set().union(*(sf.funcs for sf in self.shell_files)) if self.shell_files else set()
        global_wrappers = {}
        for sf in self.shell_files:
            global_wrappers.update(shell_wrappers(sf, {}))
        for sf in self.shell_files:
            wrappers = {**global_wrappers, **shell_wrappers(sf, global_wrappers)}
            self.shell_commands(sf, sf.cmds, wrappers, all_funcs)
            for cmd, (pkg, line) in sf.pkg_of.items():
                self.use(cmd, f"{sf.path}:{line}")
                self.pkg_hints.setdefault(cmd, (pkg, f"{sf.path}:{line}"))
            for lang, body, line in sf.embedded:
                if lang == "py":
                    self.python(sf.path, body, line)
                else:
                    self.perl(sf.path, body, line)

    def shell_commands(self, sf, cmds, wrappers, funcs):
        for c in cmds:
            lit, resolve, raw = shell_resolver(c.words, sf)
            found = commands_of(len(c.words), lit, resolve, wrappers, raw=raw)
            for kind, v, j, ext in found:
                where = f"{sf.path}:{c.words[j].line if j < len(c.words) else c.line}"
                if kind == "dyn":
                    self.dynamic.append((sf.path, c.words[j].line, c.words[j].raw))
                elif kind == "script":
                    sub = ShellFile(sf.path)
                    sub.scalars, sub.arrays = sf.scalars, sf.arrays
                    sub.parse_text(v, c.words[j].line, c.func)
                    self.shell_commands(sf, sub.cmds, wrappers, funcs)
                elif kind == "check":
                    self.classify(v, where, funcs, True, check=True)
                elif kind == "cmd":
                    self.classify(v, where, funcs, ext)
            # Here-documents fed to an interpreter, or written to a .py / .pl file.
            first = next((v for kind, v, _j, _e in found if kind == "cmd"), None) or ""
            for t in c.heredocs:
                body, line, _q = t.body
                base = os.path.basename(first)
                targets = [w.raw for op, w in c.redirs if op in (">", ">>", ">|") and w is not None]
                if re.fullmatch(r"python3?(\.\d+)?", base) or any(x.rstrip("\"'").endswith(".py")
                                                                   for x in targets):
                    sf.embedded.append(("py", body, line))
                elif base == "perl" or any(x.rstrip("\"'").endswith(".pl") for x in targets):
                    sf.embedded.append(("pl", body, line))
                elif base in ("bash", "sh") or any(x.rstrip("\"'").endswith(".sh") for x in targets):
                    sub = ShellFile(sf.path)
                    sub.scalars, sub.arrays = sf.scalars, sf.arrays
                    sub.parse_text(body, line)
                    self.shell_commands(sf, sub.cmds, wrappers, funcs)

    def classify(self, cmd, where, funcs, external, check=False):
        if not cmd or re.search(r"\s", cmd):
            return
        if not external and (cmd in BUILTINS or cmd in funcs):
            return
        if "/" in cmd and not cmd.startswith("/"):
            self.local.setdefault(cmd, where)
            return
        self.use(cmd, where, check)

    def python(self, rel, text, base_line):
        try:
            pf = PyFile(rel, text, base_line)
        except SyntaxError as e:
            self.problems.append(f"{rel}:{base_line + (e.lineno or 1) - 1}: Python does not parse: {e.msg}")
            return
        for argv, line, kind in pf.argvs():
            where = f"{rel}:{line}"
            if kind == "shell":
                sf = ShellFile(rel)
                sf.parse_text(argv, line)
                self.shell_commands(sf, sf.cmds, {}, set())
                continue
            lit = (lambda k: argv[k] if k < len(argv) else None)
            for k2, v, _j, ext in commands_of(len(argv), lit, lambda k: [argv[k]], {}, True):
                if k2 == "dyn":
                    self.dynamic.append((rel, line, "(python argv)"))
                elif k2 in ("cmd", "check"):
                    self.classify(v, where, set(), True, check=(kind == "check"))
        here = os.path.dirname(os.path.join(ROOT, rel))
        for mod, line in pf.imports():
            if os.path.exists(os.path.join(here, mod + ".py")) or os.path.isdir(os.path.join(here, mod)):
                continue
            w = self.py_mods.setdefault(mod, [])
            if f"{rel}:{line}" not in w:
                w.append(f"{rel}:{line}")

    def perl(self, rel, text, base_line):
        for i, ln in enumerate(text.split("\n")):
            m = re.match(r"\s*(?:use|require)\s+([A-Za-z_]\w*(?:::\w+)+)", ln)
            if m:
                self.pl_mods.setdefault(m.group(1), []).append(f"{rel}:{base_line + i}")
            for m in re.finditer(r"\b(?:system|exec)\s*\(?\s*['\"]([\w./+-]+)", ln):
                self.classify(m.group(1), f"{rel}:{base_line + i}", set(), True)


# ---------------------------------------------------------------------------- package lookup
def usr_aliases(p):
    """/usr/bin/x and /bin/x are one file on merged-/usr Debian, but dpkg knows one name."""
    out = [p]
    for a, b in (("/usr/bin/", "/bin/"), ("/usr/sbin/", "/sbin/"), ("/usr/lib/", "/lib/")):
        if p.startswith(a):
            out.append(b + p[len(a):])
        elif p.startswith(b):
            out.append(a + p[len(b):])
    return out


def chain(p):
    """The path, then each symlink target in turn (alternatives), with /usr aliases."""
    out, seen = [], set()
    for _ in range(12):
        if p in seen:
            break
        seen.add(p)
        out.append(usr_aliases(p))
        if not os.path.islink(p):
            break
        p = os.path.normpath(os.path.join(os.path.dirname(p), os.readlink(p)))
    return out


def dpkg_owners(paths):
    """path -> [packages] for the paths dpkg knows (one dpkg-query call)."""
    paths = sorted(set(paths))
    if not paths:
        return {}
    p = subprocess.run(["dpkg-query", "-S", *paths], capture_output=True, text=True)
    out = {}
    for ln in p.stdout.splitlines():
        if ln.startswith("diversion ") or ": " not in ln:
            continue
        pkgs, path = ln.split(": ", 1)
        out.setdefault(path, []).extend(x.strip().split(":")[0] for x in pkgs.split(","))
    return out


def essential(pkgs):
    pkgs = sorted(set(pkgs))
    if not pkgs:
        return set()
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Essential}\n", *pkgs],
                       capture_output=True, text=True)
    return {ln.split("\t")[0] for ln in p.stdout.splitlines() if ln.endswith("\tyes")}


def which(cmd):
    if cmd.startswith("/"):
        return cmd if os.path.exists(cmd) else None
    for d in SYSTEM_PATH:
        f = os.path.join(d, cmd)
        if os.path.isfile(f) and os.access(f, os.X_OK):
            return f
    return None


def module_paths(interp, script, mods):
    if not mods or not os.access(interp, os.X_OK):
        return {}
    p = subprocess.run([interp, *script, *sorted(mods)], capture_output=True, text=True)
    out = {}
    for ln in p.stdout.splitlines():
        name, _, path = ln.partition("\t")
        out[name] = path or None
    return out


PY_FIND = ["-I", "-c", """
import importlib.util, sys
for m in sys.argv[1:]:
    try:
        s = importlib.util.find_spec(m)
    except Exception:
        s = None
    if s is None:
        print(m + "\\t")
    elif s.origin in (None, "built-in", "frozen") and not s.submodule_search_locations:
        print(m + "\\tbuilt-in")
    else:
        print(m + "\\t" + (s.origin if s.origin not in (None, "namespace")
                           else list(s.submodule_search_locations)[0]))
"""]
PL_FIND = ["-e", r"""
for my $m (@ARGV) { (my $f = "$m.pm") =~ s{::}{/}g;
  print "$m\t", (eval { require $f; 1 } ? $INC{$f} : ""), "\n"; }
"""]


def pc_file(mod):
    """The .pc file of a pkg-config module, or None."""
    try:
        p = subprocess.run(["pkg-config", "--variable=pcfiledir", mod], capture_output=True, text=True)
    except OSError:
        return None
    f = os.path.join(p.stdout.strip(), mod + ".pc")
    return f if p.returncode == 0 and os.path.exists(f) else None


def read_pkgs(path):
    """The package names in the PKGS=( ... ) list of install-deps.sh."""
    text = open(path, encoding="utf-8").read()
    m = re.search(r"^\s*PKGS=\((.*?)^\s*\)", text, re.S | re.M)
    if not m:
        sys.exit(f"commands_check: no PKGS=( ... ) list in {path}")
    body = "\n".join(ln.split("#", 1)[0] for ln in m.group(1).split("\n"))
    return {w.split(":")[0] for w in body.split()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--install-script", default=os.path.join(ROOT, "scripts", "install-deps.sh"),
                    help="the install script whose PKGS list counts (default: scripts/install-deps.sh)")
    ap.add_argument("--list", action="store_true", help="print every command and module found")
    args = ap.parse_args()
    named = read_pkgs(args.install_script)
    script_rel = os.path.relpath(os.path.abspath(args.install_script), ROOT)
    if script_rel.startswith(".."):
        script_rel = os.path.abspath(args.install_script)

    scan = Scan()
    scan.run()

    # Commands -> paths -> packages.
    items = []   # (kind, name, where list, path or None, hint)
    for cmd, where in sorted(scan.uses.items()):
        items.append(("command", cmd, where, which(cmd)))
    py = module_paths("/usr/bin/python3", PY_FIND, scan.py_mods)
    for mod, where in sorted(scan.py_mods.items()):
        path = py.get(mod)
        items.append(("python module", mod, where, "/usr/bin/python3" if path == "built-in" else path))
    pl = module_paths("/usr/bin/perl", PL_FIND, scan.pl_mods)
    for mod, where in sorted(scan.pl_mods.items()):
        items.append(("perl module", mod, where, pl.get(mod)))
    for mod, where in sorted(scan.pc_mods.items()):
        items.append(("pkg-config module", mod, where, pc_file(mod)))
    chains = {path: chain(path) for _k, _n, _w, path in items if path}
    owners = dpkg_owners(p for c in chains.values() for alias in c for p in alias)
    all_pkgs = set()
    resolved = []
    for kind, name, where, path in items:
        pkgs = []
        for aliases in chains.get(path, []):
            pkgs = next((owners[a] for a in aliases if a in owners), [])
            if pkgs:
                break
        all_pkgs.update(pkgs)
        resolved.append((kind, name, where, path, pkgs))
    ess = essential(all_pkgs)

    def covered(pkg):
        if pkg in named or pkg in ess:
            return True
        return any(k in named and rx.match(pkg) for k, rx in COVERED_BY.items())

    bad, rows = [], []
    for kind, name, where, path, pkgs in resolved:
        if kind == "command" and name in NOT_NAMED:
            status = "not named on purpose: " + NOT_NAMED[name]
        elif path is None:
            hint = scan.pkg_hints.get(name)
            status = "NOT INSTALLED here" + (f" ({hint[1]} says package {hint[0]})" if hint else "")
            bad.append((kind, name, where, status))
        elif not pkgs:
            status = f"NOT FROM A PACKAGE ({path})"
            bad.append((kind, name, where, status))
        elif any(covered(p) for p in pkgs):
            status = ", ".join(p + (" (Essential)" if p in ess and p not in named else "") for p in pkgs)
        else:
            status = ", ".join(pkgs) + f": not in PKGS, not Essential"
            bad.append((kind, name, where, status))
        rows.append((kind, name, where, status))

    if args.list:
        for kind, name, where, status in rows:
            more = f" (+{len(where) - 1} more)" if len(where) > 1 else ""
            print(f"  {kind.split()[0][:6]:6} {name:26} {status:44} {where[0]}{more}")
        for cmd, where in sorted(scan.local.items()):
            print(f"  local  {cmd:26} {'project program, not checked':44} {where}")
        for f, line, raw in scan.dynamic:
            print(f"  dyn    {raw[:26]:26} {'command not known statically':44} {f}:{line}")
    for p in scan.problems:
        print(f"commands_check: warning: {p}")

    ncmd = sum(1 for r in rows if r[0] == "command")
    npc = sum(1 for r in rows if r[0] == "pkg-config module")
    nmod = len(rows) - ncmd - npc
    if bad:
        print(f"commands_check: FAIL: {len(bad)} of {len(rows)} commands and modules do not come "
              f"from a package {script_rel} names (or an Essential one):")
        for kind, name, where, status in bad:
            shown = ", ".join(where[:4]) + (f", +{len(where) - 4} more" if len(where) > 4 else "")
            print(f"  {kind} {name}: {status}\n      used at {shown}")
        if any("NOT INSTALLED" in b[3] for b in bad):
            print("(a package PKGS names is installed by `bash scripts/install-deps.sh`: run it first)")
        return 1
    npk = len({p for r in resolved for p in r[4]})
    print(f"commands_check: {ncmd} commands, {nmod} Python and Perl modules, {npc} pkg-config "
          f"modules, {npk} packages: all "
          f"named in {script_rel} or Essential ({len(scan.dynamic)} commands given by variables, "
          f"such as lolwire, and {len(scan.local)} run by relative path are the project's own)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
