#!/bin/sh
# Generates xnum's built-in prompts (SPEC §4.3): 8 kHz mono 16-bit PCM WAV,
# one file per name of routing.BuiltinPrompts, from Mandarin text, written to
# media/prompts/, where package media embeds them in the binary (go:embed
# cannot reach a parent directory, so they live beside the package).
#
# Needs espeak-ng and sox (Debian: apt-get install espeak-ng sox). Every
# parameter is fixed — voice, speed, pitch, amplitude, resampler, no
# dither, no comment chunk — so the same tool versions give the same bytes
# (checked with: sh generate.sh && git diff --stat media/prompts). Run from anywhere:
#
#   sh testdata/prompts/generate.sh
set -eu

cd "$(dirname "$0")/../../media/prompts"
command -v espeak-ng >/dev/null || { echo "generate.sh: espeak-ng missing (apt-get install espeak-ng)" >&2; exit 1; }
command -v sox >/dev/null || { echo "generate.sh: sox missing (apt-get install sox)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|text — the names are routing/codes.go's Prompt* constants.
while IFS='|' read -r name text; do
	[ -n "$name" ] || continue
	# espeak-ng: Mandarin voice, 170 words a minute, pitch 50, amplitude
	# 100, 22050 Hz output.
	espeak-ng -v cmn -s 170 -p 50 -a 100 -w "$tmp/$name.wav" "$text"
	# sox: to 8 kHz mono 16-bit signed PCM, no dither (-D, which would add
	# random noise), 50 ms of silence trimmed from the ends beyond 0.1%,
	# normalised to -3 dBFS.
	sox -D --no-show-progress "$tmp/$name.wav" --comment "" \
		-r 8000 -c 1 -b 16 -e signed-integer "$name.wav" \
		silence 1 0.05 0.1% reverse silence 1 0.05 0.1% reverse norm -3
done <<'PROMPTS'
no_binding|请使用绑定号码呼叫
no_permission|您无权呼叫该号码
platform_error|系统繁忙，请稍后再拨
fixed_caller|固定电话号码不能作为主叫
enter_extension|请输入分机号
invalid_extension|分机号无效，请重新输入
recording_notice|本次通话将被录音
last_minute|通话时间还剩一分钟
connecting|正在为您接通，请稍候
PROMPTS
