#!/usr/bin/env bash
# //examples:pipeline, checked against a count of the same files made here
# with tr. A word is a maximal run of ASCII letters, lowercased, in both.
#
# Runs: the shipped corpus with the defaults, then with rendezvous channels
# and with one worker (the same counts whatever the plumbing); a directory
# given by absolute path; runs cancelled by their deadline, which must exit 2
# with stage counts that add up; and a missing directory, which must exit 1.
set -eEuo pipefail
trap 'echo "FAIL: line $LINENO exited $?" >&2' ERR
export LC_ALL=C
pipeline=$1

fail() {
  echo "FAIL: $*" >&2
  [[ -n "${out:-}" ]] && echo "$out" >&2
  exit 1
}

# The words of stdin, one a line.
words() { tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | grep . || true; }

# Runs the pipeline with the given flags into $out; it must exit `status`.
run() {
  local status=$1
  shift
  local got=0
  out=$("$pipeline" "$@") || got=$?
  [[ $got -eq $status ]] || fail "pipeline $* exited $got, not $status"
}

# The lines between the heading that matches $1 and the next heading.
section() { awk -v h="$1" '$0 ~ h { on = 1; next } /^[a-z]/ { on = 0 } on'; }

# Checks $out against a direct count of the *.txt files under $1, with the
# top $2 words (default 10).
check_counts() {
  local dir=$1
  local n_top=${2:-10}
  local files
  files=$(cd "$dir" && find -L . -name '*.txt' -type f | sed 's|^\./||' | sort)
  local n_files
  n_files=$(grep -c . <<<"$files" || true)
  local n_words
  n_words=$( (cd "$dir" && xargs -r cat <<<"$files") | words | wc -l)

  grep -qx "total: $n_files files, $n_words words" <<<"$out" ||
    fail "expected total: $n_files files, $n_words words"
  grep -qx "source:  listed $n_files files" <<<"$out" || fail "files listed"
  grep -qx "stages: consistent" <<<"$out" || fail "stage counts"

  local expected=""
  local f
  while read -r f; do
    [[ -n "$f" ]] || continue
    expected+=$(printf '%8d  %s' "$(words <"$dir/$f" | wc -l)" "$f")$'\n'
  done <<<"$files"
  diff -u <(sort <<<"$expected" | grep .) \
    <(section '^words per file:' <<<"$out" | sort) ||
    fail "words per file"

  local top
  top=$( (cd "$dir" && xargs -r cat <<<"$files") | words | sort | uniq -c |
    sort -k1,1nr -k2,2 |
    awk -v n="$n_top" 'NR <= n { printf "%8d  %s\n", $1, $2 }')
  diff -u <(echo "$top") <(section '^top [0-9]+ words' <<<"$out") ||
    fail "top words"
}

corpus=examples/corpus  # The runfiles root, where the test starts, has it.
[[ -d "$corpus" ]] || fail "no $corpus in $(pwd)"

run 0
check_counts "$corpus"
run 0 --capacity=0 --workers=7
check_counts "$corpus"
run 0 --capacity=1 --workers=1
check_counts "$corpus"

# A tree of its own, by absolute path: nested folders, an empty file, and
# files that are not *.txt, which are left out.
tree="${TEST_TMPDIR:-$(mktemp -d)}/tree"
rm -rf "$tree"
mkdir -p "$tree/a/b" "$tree/c"
printf 'One two, THREE; one-two.\n' >"$tree/a/one.txt"
printf "Don't stop: it's 4 o'clock\n" >"$tree/a/b/two.txt"
: >"$tree/c/empty.txt"
printf 'not counted\n' >"$tree/c/notes.md"
cp "$corpus/lighthouse.txt" "$tree/lighthouse.txt"
run 0 --dir="$tree" --workers=3 --top=5
check_counts "$tree" 5
grep -qx "       0  c/empty.txt" <<<"$out" || fail "the empty file"
grep -q "notes.md" <<<"$out" && fail "counted a file that is not *.txt"

# Cancelled: each file takes 100ms, and two workers cannot count the corpus
# in 250ms. Whatever was done by then, every file listed must be either
# counted or skipped, and every count must reach the sink. With rendezvous
# channels the source is blocked in its select when stop comes.
n_corpus=$(find -L "$corpus" -name '*.txt' -type f | wc -l)
for capacity in 16 0; do
  run 2 --per_file_delay=100ms --deadline=250ms --workers=2 \
    --capacity="$capacity"
  grep -q "^cancelled: " <<<"$out" || fail "no cancellation reported"
  grep -q "^progress: " <<<"$out" || fail "no progress line"
  grep -qx "stages: consistent" <<<"$out" || fail "stage counts"
  read -r listed counted skipped merged aggregated < <(awk '
    /^source:/  { l = $3 }
    /^workers:/ { c = $3; s = $NF }
    /^merger:/  { m = $3 }
    /^sink:/    { a = $3 }
    END { print l, c, s, m, a }' <<<"$out")
  ((listed == counted + skipped && counted == merged &&
    merged == aggregated)) ||
    fail "listed $listed, counted $counted, skipped $skipped," \
      "merged $merged, aggregated $aggregated"
  ((counted < n_corpus)) || fail "counted all $counted files in time"
  grep -qx "total: $counted files, [0-9]* words" <<<"$out" ||
    fail "the partial total"
done

# A directory that is not there: an error, exit 1.
run 1 --dir=/nonexistent/corpus
echo "PASS"
