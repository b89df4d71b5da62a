#!/usr/bin/env bash
# test_completion.sh [COMPLETION_FILE] - the bash completion of syncmgrctl
# (ctest: cli_completion).
#
# Sources the completion, puts a fake `syncmgrctl` first on PATH that prints
# a canned --help and `ls --json` (and logs how it was called), fills
# COMP_WORDS / COMP_CWORD / COMP_LINE / COMP_POINT as bash would for a line,
# calls _syncmgrctl and checks COMPREPLY: command names, options, object
# names after get, types and options after new, -a/-k passed on to ls, file
# names, a broker that does not answer.  With $SYNCMGRCTL (the built tool),
# the same again against its real --help, so that the parsing follows the
# real command table.
# Prints each check and "N passed, N failed"; exits 1 if any failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
COMPLETION=${1:-$HERE/../../packaging/bash-completion/syncmgrctl}
[ -f "$COMPLETION" ] || { echo "usage: $0 [COMPLETION_FILE]" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin" "$TMP/files/sub"
LOG=$TMP/calls.log

# ---- the fake syncmgrctl ------------------------------------------------------
cat >"$TMP/help.txt" <<'EOF'
usage: syncmgrctl [-a URL] [-k KEYFILE] [--json] COMMAND [ARGS]

Inspect and change the shared objects of a running syncmgrd.

options (before the command):
  -a, --address URL        broker address (default: $SYNCMGR_ADDRESS, else ipc:///run/syncmgr/syncmgrd.sock)
  -k, --authkey-file PATH  key file (default: $SYNCMGR_AUTHKEY_FILE, else /etc/syncmgr/authkey)
      --json               machine-readable output (compact JSON)
  -h, --help               this text
      --version            print the version

commands:
  ping                       one round trip to the broker: version and time
  ls [GLOB]                  list objects (all, or those whose name matches GLOB)
  get NAME [KEY|INDEX]       a dict's KEY, a list's or array's INDEX, a namespace attribute, or all
  dump NAME                  the whole object as JSON
  info NAME                  everything about one object: holder, waiters, type figures
  sessions                   connected clients: pid, uid, ops, holds
  stats                      broker figures: uptime, objects, ops, parked
  new TYPE NAME [OPTS]       create an object (see the options below); fails if NAME exists
  set NAME [KEY] VALUE       dict KEY, namespace attribute, list/array INDEX; a value: no KEY
  del NAME KEY               remove a dict KEY, a namespace attribute or a list INDEX
  append NAME VALUE          append VALUE to a list
  put NAME VALUE             put VALUE in a queue, without waiting (a full queue: EFULL)
  incr NAME [KEY] [N]        add N (default 1) to a dict's KEY, or to a value (no KEY); prints the result
  rm NAME                    unlink an object
  watch NAME|--all           print each change to NAME (or any object) as it happens, until interrupted
  monitor                    print every operation the broker runs (* marks changes), until interrupted
  keygen PATH                write a new authkey file (mode 0640); PATH must not exist
  frobnicate-a-very-long-command NAME a made-up command whose usage runs into its text

new options: queue --maxsize N --joinable; semaphore --value N --bounded;
barrier --parties N; condition --lock NAME; value --value VALUE;
array --typecode C --length N --initial VALUE; any type --temp (the object
goes when its last session ends: at once, unless another client opens it).

VALUE is JSON (a string is written '"text"'), @FILE the JSON in FILE, - the JSON
on stdin.
EOF
# names with a blank, a colon, a quote and a backslash, as syncmgrctl --json ls prints them
cat >"$TMP/ls.json" <<'EOF'
[{"name":"counter","type":"dict","size":1,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1},{"name":"count:2","type":"value","size":1,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1},{"name":"jobs","type":"queue","size":0,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1},{"name":"mylock","type":"lock","size":0,"waiters":0,"holder_pid":4242,"temp":false,"created_ms":1},{"name":"my rlock","type":"rlock","size":0,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1},{"name":"say \"hi\"\\","type":"list","size":0,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1},{"name":"bad\nname","type":"list","size":0,"waiters":0,"holder_pid":null,"temp":false,"created_ms":1}]
EOF
# $REAL_HELP: take --help from this program instead of help.txt
cat >"$TMP/bin/syncmgrctl" <<EOF
#!/usr/bin/env bash
echo "\$*" >>"$LOG"
for a in "\$@"; do
    case \$a in
    --help) if [ -n "\${REAL_HELP:-}" ]; then exec "\$REAL_HELP" --help; fi; cat "$TMP/help.txt"; exit 0 ;;
    *hang*) sleep 30; exit 3 ;;   # a broker that never answers
    *down*) exit 3 ;;             # a broker that is not there
    ls) cat "$TMP/ls.json"; exit 0 ;;
    esac
done
exit 2
EOF
chmod +x "$TMP/bin/syncmgrctl"
export PATH=$TMP/bin:$PATH
unset SYNCMGR_ADDRESS SYNCMGR_AUTHKEY_FILE
export SYNCMGRCTL_COMPLETION_TIMEOUT=1

# shellcheck source=/dev/null
. "$COMPLETION"
if ! declare -F _syncmgrctl >/dev/null || [[ $(complete -p syncmgrctl 2>/dev/null) != *"-F _syncmgrctl"* ]]; then
    echo "FAIL  $COMPLETION does not define _syncmgrctl for syncmgrctl"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- driving it ------------------------------------------------------------------
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
pass=0 fail=0

# complete LINE: COMP_* as bash fills them for LINE with the cursor at its
# end (words split at blanks, and at runs of : and =), then _syncmgrctl
complete_line()
{
    local tok
    local -a toks
    COMP_LINE=$1 COMP_POINT=${#1} COMP_WORDS=()
    read -ra toks <<<"$1"
    [[ $1 == *' ' ]] && toks+=("")
    for tok in "${toks[@]}"; do
        if [[ -z $tok ]]; then
            COMP_WORDS+=("")
            continue
        fi
        while [[ $tok =~ ^([^:=]*)([:=]+)(.*)$ ]]; do
            [[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
            COMP_WORDS+=("${BASH_REMATCH[2]}")
            tok=${BASH_REMATCH[3]}
        done
        [[ -n $tok ]] && COMP_WORDS+=("$tok")
    done
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _syncmgrctl syncmgrctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

sorted() { printf '%s\n' "$@" | LC_ALL=C sort; }
report() { # report OK WHAT GOT
    if [ "$1" = 1 ]; then
        echo "ok    $2"
        pass=$((pass + 1))
    else
        echo "FAIL  $2"
        echo "      got: $3"
        fail=$((fail + 1))
    fi
}
got() { printf '[%s] ' "${COMPREPLY[@]}"; }

# expect LINE WORD... : the completions of LINE are exactly WORD...
expect()
{
    local line=$1
    shift
    complete_line "$line"
    local ok=0
    [[ "$(sorted "${COMPREPLY[@]}")" == "$(sorted "$@")" ]] && ok=1
    report $ok "'$line' -> $*" "$(got)"
}

# expect_has LINE WORD... : the completions of LINE include WORD...
expect_has()
{
    local line=$1 w ok=1
    shift
    complete_line "$line"
    for w in "$@"; do
        [[ " ${COMPREPLY[*]} " == *" $w "* ]] || ok=0
    done
    report $ok "'$line' includes $*" "$(got)"
}

# shellcheck disable=SC1003 # (a backslash at the end of the name)
NAMES=(count:2 counter jobs my\\\ rlock mylock 'say\ \"hi\"\\')
COMMANDS=(ping ls get dump info sessions stats new set del append put incr rm watch monitor keygen
    frobnicate-a-very-long-command)
TYPES=(dict list lock rlock queue semaphore condition event barrier value array namespace pipe)

echo "== canned --help and ls --json"
expect "syncmgrctl " "${COMMANDS[@]}"
expect "syncmgrctl s" set sessions stats
expect "syncmgrctl --json -a ipc:///tmp/x.sock i" info incr
expect "syncmgrctl -" -a --address -k --authkey-file --json -h --help --version
expect "syncmgrctl --a" --address --authkey-file
expect "syncmgrctl get " "${NAMES[@]}"
expect "syncmgrctl get co" count:2 counter
expect "syncmgrctl get count:" 2
expect "syncmgrctl get my" 'my\ rlock' mylock
expect "syncmgrctl get counter " # KEY: nothing to offer
expect "syncmgrctl --json dump j" jobs
expect "syncmgrctl rm " "${NAMES[@]}"
expect "syncmgrctl ls " "${NAMES[@]}"
expect "syncmgrctl watch " --all "${NAMES[@]}"
expect "syncmgrctl watch --" --all
expect "syncmgrctl monitor "
expect "syncmgrctl frobnicate-a-very-long-command j" jobs
expect "syncmgrctl new " "${TYPES[@]}"
expect "syncmgrctl new s" semaphore
expect "syncmgrctl new queue " # the new object's name
expect "syncmgrctl new queue q " --maxsize --joinable --temp
expect "syncmgrctl new queue q --maxsize " # N
expect "syncmgrctl new queue q --maxsize 3 " --joinable --temp
expect "syncmgrctl new semaphore s --" --value --bounded --temp
expect "syncmgrctl new barrier b --temp " --parties
expect "syncmgrctl new condition c --lock " 'my\ rlock' mylock
expect "syncmgrctl new array a --typecode " b B h H i I l L q Q f d
expect "syncmgrctl new dict d " --temp

: >"$LOG"
expect "syncmgrctl -a ipc:///tmp/x.sock -k ~/key get j" jobs
if grep -qxF -- "-a ipc:///tmp/x.sock -k $HOME/key --json ls" "$LOG"; then
    report 1 "ls --json was asked with the line's -a and -k" ""
else report 0 "ls --json was asked with the line's -a and -k" "$(cat "$LOG")"; fi
: >"$LOG"
expect "syncmgrctl --address=tcp://h:1 --authkey-file=/k info j" jobs
if grep -qxF -- "--address=tcp://h:1 --authkey-file=/k --json ls" "$LOG"; then
    report 1 "ls --json was asked with the line's --address= and --authkey-file=" ""
else report 0 "ls --json was asked with the line's --address= and --authkey-file=" "$(cat "$LOG")"; fi

expect "syncmgrctl -a ipc:///down get " # broker not there: no names
start=$(date +%s%N)
expect "syncmgrctl -a ipc:///hang get " # broker never answers: no names, no hang
ms=$((($(date +%s%N) - start) / 1000000))
report $((ms < 3000)) "a broker that never answers costs ${ms} ms (< 3000)" "${ms} ms"

expect "syncmgrctl -a " ipc:// tcp:// tls+tcp://
expect "syncmgrctl -a ipc:" //
expect "syncmgrctl --address=t" tcp:// tls+tcp://

cd "$TMP/files" || exit 1
: >keyfile
: >data.json
expect "syncmgrctl keygen k" keyfile
expect "syncmgrctl keygen s" sub
expect "syncmgrctl -k k" keyfile
expect "syncmgrctl --authkey-file=d" data.json
expect "syncmgrctl set counter x @d" @data.json
expect "syncmgrctl put jobs @s" @sub/
expect "syncmgrctl new value v --value @d" @data.json
# (readline replaces only what follows the last ':' of the word)
expect "syncmgrctl -a ipc://s" //sub/
cd - >/dev/null || exit 1

# no syncmgrctl that answers --help: the built-in lists
expect "/nonexistent/syncmgrctl n" new
expect "/nonexistent/syncmgrctl --j" --json
expect "/nonexistent/syncmgrctl w" watch

if [ -n "${SYNCMGRCTL:-}" ] && [ -x "$SYNCMGRCTL" ]; then
    echo "== --help of $SYNCMGRCTL"
    export REAL_HELP=$SYNCMGRCTL
    expect_has "syncmgrctl " ping ls get dump info sessions stats new set del append put incr rm keygen
    complete_line "syncmgrctl "
    mapfile -t listed < <("$SYNCMGRCTL" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\).*/\1/p')
    [[ "$(sorted "${COMPREPLY[@]}")" == "$(sorted "${listed[@]}")" ]]
    report $((!$?)) "every command of --help completes (${#listed[@]})" "$(got)"
    expect "syncmgrctl -" -a --address -k --authkey-file --json --tls-ca --tls-cert --tls-key -h --help --version
    expect "syncmgrctl get " "${NAMES[@]}"
    expect "syncmgrctl info my" 'my\ rlock' mylock
    expect "syncmgrctl set " "${NAMES[@]}"
    expect "syncmgrctl new " "${TYPES[@]}"
    expect "syncmgrctl new queue q " --maxsize --joinable --temp
    expect "syncmgrctl new array a " --typecode --length --initial --temp
    expect "syncmgrctl new condition c --lock " 'my\ rlock' mylock
    if grep -q '^  watch ' <("$SYNCMGRCTL" --help); then
        expect_has "syncmgrctl watch " --all mylock
    fi
    unset REAL_HELP
else
    echo "== skip: \$SYNCMGRCTL not set, the real --help is not tried"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
