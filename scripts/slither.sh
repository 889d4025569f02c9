#!/usr/bin/env bash
# Static analysis of contracts/*.sol with slither, for CI (`make slither`) and by hand.
#
# slither 0.11.6 needs web3 < 8 and the project's .venv has web3 8, so slither lives in its own
# virtual environment, .venv-slither/, (re)created here whenever it is missing or its pins (or
# the interpreter) changed. It compiles through scripts/solc, the solc-js shim, in standard-JSON
# mode; every other setting is in slither.config.json. Exits non-zero on any finding that is not
# excluded there or by a `// slither-disable-next-line <detector>` comment in the source.
#
# Writes only inside the repo: .venv-slither/ (with a `*` .gitignore of its own). No pip cache,
# solc-select's folder goes to $VIRTUAL_ENV/.solc-select, temp files to .venv-slither/tmp (removed
# on exit). slither writes no crytic-export/ here (it only does when asked to export).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

VENV=.venv-slither
PYTHON=${PYTHON:-python3}

# The whole dependency closure, pinned (a `pip freeze` of the resolved install), so every machine
# gets the same analyser. slither-analyzer 0.11.6 itself wants web3>=7.10,<8 and
# crytic-compile>=0.4.2,<0.5. All of these are installed as wheels (--only-binary).
PINS=(
  slither-analyzer==0.11.6
  crytic-compile==0.4.2
  solc-select==1.2.0
  web3==7.16.0
  eth-abi==6.0.0
  eth-account==0.14.0
  eth-hash==0.8.0
  eth-keyfile==0.10.0
  eth-keys==0.8.0
  eth-rlp==3.0.0
  eth-typing==6.0.0
  eth-utils==6.0.0
  hexbytes==2.0.0
  rlp==5.0.0
  py-ecc==8.0.0
  ckzg==2.1.8
  bitarray==3.12.3
  cytoolz==1.2.0
  toolz==1.2.0
  parsimonious==0.10.0
  regex==2026.11.15
  pycryptodome==3.24.1
  pyunormalize==18.0.0
  cbor2==6.3.0
  prettytable==3.18.0
  wcwidth==0.9.4
  packaging==26.3
  pydantic==2.14.3
  pydantic-core==2.50.4
  annotated-types==0.8.0
  typing-inspection==0.4.5
  typing-extensions==4.16.0
  requests==2.34.2
  types-requests==2.33.0.20261030
  urllib3==2.8.0
  idna==3.20
  certifi==2026.10.18
  charset-normalizer==3.5.2
  aiohttp==3.14.5
  aiohappyeyeballs==2.7.1
  aiosignal==1.4.0
  attrs==26.1.0
  frozenlist==1.8.0
  multidict==7.2.1
  propcache==0.5.4
  yarl==1.25.1
  websockets==15.0.1
)

# Detectors excluded project-wide in slither.config.json ("detectors_to_exclude"), each with its
# reason. The script refuses to run if the config and this list disagree, so no detector is
# switched off without a written reason. One-off exceptions are `// slither-disable-next-line`
# comments next to the code instead. (slither's "warn_unused_ignores" cannot be used to catch stale
# ones: it also reports OpenZeppelin's own unused directives in node_modules, which no filter hides.)
declare -A EXCLUDED_BECAUSE=(
  [assembly]="Informational: flags every inline-assembly block. All are deliberate and reviewed: \
_emitAudited, the contract's single audited-event emitter, uses log4 so the bytes hashed into \
auditHead are exactly the bytes of the log; rangesFrom/partsFrom shrink freshly allocated memory \
arrays to the filled length (memory-safe, lengths only decrease). New assembly is reviewed in code \
review, not by this detector."
  [timestamp]="Low: flags every comparison that depends on block.timestamp. Each use is intended \
and tolerates a block producer's few seconds of skew: EIP-712 signature deadlines \
(block.timestamp > deadline, as in OpenZeppelin's permit) and the YYYYMMDD retirement date \
computed by _today(). Its hit in _retire (mirrored = retiredOn != 0) is a flow-insensitive false \
positive: retiredOn is the caller's argument there and only gets _today() afterwards."
  [pragma]="Informational: 'different pragma versions' is reported only because OpenZeppelin 5.7 \
declares its own ranges (^0.8.20, >=0.8.4, >=0.4.16, ...) next to our ^0.8.24, which all of \
contracts/ use. We do not edit node_modules, and the compiler is pinned to solc-js 0.8.37 \
(package-lock.json, chain.compile's SOLC_VERSION check), so pragma ranges never select a version."
)

die() {
  echo "slither.sh: $*" >&2
  exit 1
}

[[ -f node_modules/solc/package.json ]] || die "node_modules/solc is missing: run \`npm ci\` first"
[[ -f slither.config.json ]] || die "slither.config.json is missing"

# Stamp of what the venv was built from: the interpreter and the pins.
want_stamp="$("$PYTHON" -c 'import sys; print(sys.executable, sys.version.split()[0])')
$(printf '%s\n' "${PINS[@]}")"

# Keep pip, solc-select and tempfile inside the repo whatever the caller's environment says.
export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
export VIRTUAL_ENV="$ROOT/$VENV"
unset PYTHONHOME PIP_USER
export TMPDIR="$ROOT/$VENV/tmp"
trap 'rm -rf "$TMPDIR"' EXIT

if [[ ! -x $VENV/bin/slither || "$(cat "$VENV/.slither-stamp" 2>/dev/null)" != "$want_stamp" ]]; then
  echo "slither.sh: creating $VENV (slither-analyzer 0.11.6)" >&2
  rm -rf "$VENV"
  mkdir -p "$TMPDIR" # before `venv`: ensurepip unpacks into $TMPDIR
  printf '*\n' >"$VENV/.gitignore"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -qq --only-binary=:all: "${PINS[@]}"
  "$VENV/bin/python" -m pip check >/dev/null || die "$VENV has inconsistent dependencies"
  printf '%s\n' "$want_stamp" >"$VENV/.slither-stamp" # last: a half-built venv is rebuilt
fi
mkdir -p "$TMPDIR"

# Check the config: only keys slither knows (it silently ignores unknown ones), only real
# detectors, and exactly the exclusions documented above.
"$VENV/bin/python" - "${!EXCLUDED_BECAUSE[@]}" <<'PY'
import inspect, json, sys
from slither.detectors import all_detectors
from slither.detectors.abstract_detector import AbstractDetector
from slither.utils.command_line import defaults_flag_in_config

config = json.load(open("slither.config.json", encoding="utf-8"))
problems = [f"unknown key {k!r}" for k in config if k not in defaults_flag_in_config]
known = {d.ARGUMENT for d in vars(all_detectors).values()
         if inspect.isclass(d) and issubclass(d, AbstractDetector)}
excluded = {d.strip() for d in (config.get("detectors_to_exclude") or "").split(",") if d.strip()}
documented = set(sys.argv[1:])
problems += [f"{d!r} is not a slither detector" for d in sorted(excluded - known)]
problems += [f"{d!r} is excluded without a reason in scripts/slither.sh" for d in sorted(excluded - documented)]
problems += [f"{d!r} has a reason in scripts/slither.sh but is not excluded" for d in sorted(documented - excluded)]
if problems:
    sys.exit("slither.config.json: " + "; ".join(problems))
PY

echo "slither.sh: detectors excluded (reasons in scripts/slither.sh):" \
  "$(printf '%s\n' "${!EXCLUDED_BECAUSE[@]}" | sort | paste -sd, -)" >&2

# `contracts` is the target directory: crytic-compile puts all of its *.sol into one
# standard-JSON input for scripts/solc (settings in slither.config.json; "solc_args": "--optimize"
# matches chain.compile's optimizer, "solc_remaps" resolves @openzeppelin/ in node_modules).
# OpenZeppelin's own findings are dropped with "include_paths": "^(?!.*/node_modules/)", which
# keeps a finding if any of its elements lies outside node_modules. Not "exclude_dependencies":
# with --solc-standard-json crytic-compile marks no file as a dependency, so it does nothing. Not
# "filter_paths": that drops a finding as soon as one element is in node_modules, so a finding in
# our code that also names an OpenZeppelin element (e.g. shadowing) would vanish.
if "$VENV/bin/slither" contracts --config-file slither.config.json; then
  echo "slither.sh: no findings"
else
  rc=$?
  echo "slither.sh: slither failed (exit $rc). Fix what it reports above; for a false positive or an" \
    "intended pattern, put a justified \`// slither-disable-next-line <detector>\` on the line above" \
    "the flagged function or statement." >&2
  exit 1
fi
