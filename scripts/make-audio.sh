#!/usr/bin/env bash
# Makes the sample audio in assets/audio from nothing but FFmpeg's signal generators and the
# espeak-ng speech synthesiser (Debian packages `ffmpeg` and `espeak-ng`), so every sound the
# project ships has a known, reproducible origin. Run once by a maintainer; the results are
# committed (the build never runs this).
set -euo pipefail
cd "$(dirname "$0")/../assets/audio"

# Music bed: an 8-second A-major pad (three sine voices with a slow tremolo), faded at both ends
# so it loops without a click; Ogg Vorbis.
ffmpeg -v error -y \
  -f lavfi -i "sine=frequency=220:duration=8:sample_rate=48000" \
  -f lavfi -i "sine=frequency=277.18:duration=8:sample_rate=48000" \
  -f lavfi -i "sine=frequency=329.63:duration=8:sample_rate=48000" \
  -f lavfi -i "sine=frequency=440:duration=8:sample_rate=48000" \
  -filter_complex "[0][1][2][3]amix=inputs=4:normalize=0,volume=0.18,tremolo=f=0.5:d=0.35,afade=t=in:d=0.05,afade=t=out:st=7.95:d=0.05,aformat=channel_layouts=stereo" \
  -c:a libvorbis -q:a 3 music-bed.ogg

# A click: 1 ms at full scale after 10 ms of silence, for the audio/video sync test.
ffmpeg -v error -y -f lavfi -i "aevalsrc='if(between(t,0.010,0.011),0.9,0)':s=48000:d=0.05" \
  -c:a pcm_s16le click.wav

# Voice-overs: the same two lines in each language of the demo, spoken by espeak-ng.
say() { # lang voice file text
  mkdir -p "voice/$1"
  espeak-ng -v "$2" -s 160 -w "/tmp/billreel-voice.wav" "$4"
  ffmpeg -v error -y -i /tmp/billreel-voice.wav -ac 1 -c:a libvorbis -q:a 2 "voice/$1/$3.ogg"
}
say en en-gb intro "Here is your bill, explained in twenty seconds."
say en en-gb pay "Pay in seconds: tap the button, or scan the code."
say it it intro "Ecco la tua bolletta, spiegata in venti secondi."
say it it pay "Paga in pochi secondi: tocca il pulsante, o inquadra il codice."
say pl pl intro "Oto Twój rachunek, wyjaśniony w dwadzieścia sekund."
say pl pl pay "Zapłać w kilka sekund: dotknij przycisku lub zeskanuj kod."
say de de intro "Hier ist Ihre Rechnung, in zwanzig Sekunden erklärt."
say de de pay "In Sekunden bezahlen: tippen Sie auf die Schaltfläche oder scannen Sie den Code."
say zh cmn intro "这是您的账单，二十秒为您讲清楚。"
say zh cmn pay "几秒钟即可付款：点击按钮，或扫描二维码。"
rm -f /tmp/billreel-voice.wav
ls -l . voice/*
