#!/bin/sh
# generate.sh — regenerate the default prompt audio from the prompt texts.
#
# Reads <lang>.tsv (prompt id <TAB> text; the same files the chat channel
# shows) and writes <lang>/<id>.wav: 8 kHz, mono, G.711 mu-law WAV, the format
# the SIP channel plays without transcoding.
#
# Needs Debian's espeak-ng and sox:  apt-get install -y espeak-ng sox
# Usage: ivr/prompts/generate.sh [lang...]      (default: zh en)
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
command -v espeak-ng >/dev/null || { echo "generate.sh: espeak-ng not installed" >&2; exit 1; }
command -v sox >/dev/null || { echo "generate.sh: sox not installed" >&2; exit 1; }

voice() {
	case "$1" in
	zh) echo cmn ;;
	en) echo en-us ;;
	*) echo "$1" ;;
	esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

langs=${*:-zh en}
for lang in $langs; do
	tsv="$dir/$lang.tsv"
	[ -f "$tsv" ] || { echo "generate.sh: $tsv missing" >&2; exit 1; }
	out="$dir/$lang"
	rm -rf "$out"
	mkdir -p "$out"
	v=$(voice "$lang")
	n=0
	# Tab-separated; lines starting with # are comments.
	while IFS="	" read -r id text; do
		case "$id" in '' | \#*) continue ;; esac
		espeak-ng -v "$v" -s 150 -w "$tmp/raw.wav" -- "$text"
		sox -q -V1 -R "$tmp/raw.wav" -r 8000 -c 1 -e mu-law -b 8 "$out/$id.wav" gain -n -3
		n=$((n + 1))
	done <"$tsv"
	echo "generate.sh: $lang: $n prompts in $out"
done
