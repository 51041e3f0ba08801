//! Line breaking, fitting, fallback and shaping, on the shipped fonts.

use super::*;

pub(crate) fn inter() -> Font {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/Inter-Regular.otf")).unwrap();
    Font::from_bytes("body", bytes).unwrap()
}

fn alone(font: &Font) -> FontChain<'_> {
    FontChain { primary: font, fallbacks: &[] }
}

fn style(max_width: Option<f32>) -> TextStyle {
    TextStyle {
        line_height: 1.2,
        ..TextStyle::simple(40.0, Rgba::rgb(255, 255, 255), Align::Left, max_width)
    }
}

fn cjk() -> Vec<Arc<Font>> {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DroidSansFallback.ttf")).unwrap();
    vec![Arc::new(Font::from_bytes("cjk", bytes).unwrap())]
}

#[test]
fn chinese_wraps_between_characters_but_not_before_closing_punctuation() {
    let font = inter();
    let fb = cjk();
    let chain = FontChain { primary: &font, fallbacks: &fb };
    let t = layout(chain, "这是您的十一月账单，二十秒为您讲清楚。", style(Some(200.0)));
    assert!(t.lines.len() >= 3, "{:?}", t.lines);
    for l in &t.lines {
        assert!(chain.advance(l, 40.0) <= 200.5, "{l}");
        assert!(!l.starts_with('，') && !l.starts_with('。'), "{:?}", t.lines);
    }
    assert_eq!(t.lines.concat(), "这是您的十一月账单，二十秒为您讲清楚。", "no spaces inserted");
}

fn texts<'t>(toks: &[Token<'t>]) -> Vec<&'t str> {
    toks.iter().map(|t| t.text).collect()
}

#[test]
fn kinsoku_keeps_opening_brackets_and_small_kana_with_their_neighbours() {
    // The old rules broke after 「 (not in their CJK ranges) and before small kana (ょ, っ),
    // leaving 「 at a line's end or ょ at a line's start; UAX #14 (strict) does neither.
    let t = tokens("お支払い「ちょっと」です");
    let words = texts(&t);
    assert_eq!(words.concat(), "お支払い「ちょっと」です");
    assert!(words.iter().all(|w| !w.ends_with('「')), "{words:?}");
    assert!(words.iter().all(|w| !w.starts_with(['ょ', 'っ', '」'])), "{words:?}");
    assert!(words.contains(&"い") && words.contains(&"「ちょっ"), "{words:?}");
    // Laid out in a box one character too narrow for 「ち, the bracket moves down with it.
    let font = inter();
    let fb = cjk();
    let chain = FontChain { primary: &font, fallbacks: &fb };
    let t = layout(chain, "お支払い「ちょっと」です", style(Some(200.0)));
    assert!(t.lines.iter().all(|l| !l.ends_with('「') && !l.starts_with(['ょ', 'っ'])), "{:?}", t.lines);
    assert_eq!(t.lines.concat(), "お支払い「ちょっと」です");
}

#[test]
fn thai_breaks_between_words_and_spaced_punctuation_stays_on_its_line() {
    // Thai has no spaces between words: the old rules saw one token and, when it was too
    // wide, cut it anywhere (even inside a syllable); UAX #14 finds the words.
    let words = texts(&tokens("สวัสดีครับ"));
    assert_eq!(words, vec!["สวัสดี", "ครับ"]);
    // French puts a space before a colon: no line may start with the colon.
    let t = tokens("Montant dû : 12,50\u{a0}€");
    assert_eq!(texts(&t), vec!["Montant", "dû", ":", "12,50\u{a0}€"]);
    assert!(t[1].break_before && !t[2].break_before && t[3].break_before);
    let font = inter();
    let w = alone(&font).advance("Montant dû", 40.0) + 2.0;
    let laid = layout(alone(&font), "Montant dû : 12,50\u{a0}€", style(Some(w)));
    assert!(laid.lines.iter().all(|l| !l.starts_with(':')), "{:?}", laid.lines);
    // Latin words, URLs and amounts break only at spaces, as before.
    let url = tokens("pay.brightwave.example/0001/very-long/path—x Jean-Pierre");
    assert_eq!(texts(&url), vec!["pay.brightwave.example/0001/very-long/path—x", "Jean-Pierre"]);
}

#[test]
fn long_words_break_by_character_and_limits_cut_with_an_ellipsis() {
    let font = inter();
    let url = layout(alone(&font), "https://pay.brightwave.example/0001/very/long/path", style(Some(300.0)));
    assert!(
        url.lines.len() >= 2 && url.lines.iter().all(|l| alone(&font).advance(l, 40.0) <= 300.5),
        "{:?}",
        url.lines
    );
    let cut = layout(
        alone(&font),
        "one two three four five six seven eight nine ten",
        TextStyle { max_lines: Some(2), ..style(Some(250.0)) },
    );
    assert_eq!(cut.lines.len(), 2);
    assert!(cut.lines[1].ends_with('…') && cut.overflow, "{:?}", cut.lines);
    assert!(alone(&font).advance(&cut.lines[1], 40.0) <= 250.5);
}

#[test]
fn shrink_finds_the_largest_size_that_fits_and_stops_at_the_minimum() {
    let font = inter();
    let boxed = TextStyle { max_lines: Some(1), ..style(Some(400.0)) };
    let t = layout_fit(alone(&font), "Maximilian-Alexander Fotheringham", boxed, 12.0);
    assert!(t.size < 40.0 && t.size > 12.0 && !t.overflow && t.lines.len() == 1, "{} {:?}", t.size, t.lines);
    assert!(alone(&font).advance(&t.lines[0], t.size) <= 400.5);
    let bigger = layout_at(
        &Rich::plain(alone(&font), &t.lines[0], boxed.color),
        TextStyle { size: t.size + 0.5, ..boxed },
    )
    .1;
    assert!(!bigger, "half a pixel larger no longer fits: the search found the largest size");
    let hopeless = layout_fit(alone(&font), "word ".repeat(100).trim(), boxed, 30.0);
    assert_eq!(hopeless.size, 30.0);
    assert!(hopeless.overflow && hopeless.lines[0].ends_with('…'));
}

#[test]
fn valign_places_text_in_its_box() {
    let font = inter();
    let top = layout(alone(&font), "Hi", TextStyle { max_height: Some(200.0), ..style(Some(300.0)) });
    let mid = layout(
        alone(&font),
        "Hi",
        TextStyle { max_height: Some(200.0), valign: VAlign::Middle, ..style(Some(300.0)) },
    );
    let bot = layout(
        alone(&font),
        "Hi",
        TextStyle { max_height: Some(200.0), valign: VAlign::Bottom, ..style(Some(300.0)) },
    );
    let y = |b: &TextBlock| b.glyphs[0].y;
    assert!(y(&top) < y(&mid) && y(&mid) < y(&bot));
    assert!((y(&bot) - y(&top) - 2.0 * (y(&mid) - y(&top))).abs() < 0.5);
}

#[test]
fn wraps_by_words_to_the_box() {
    let font = inter();
    let one = layout(alone(&font), "Your bill for December is ready", style(None));
    assert_eq!(one.lines.len(), 1);
    let wrapped = layout(alone(&font), "Your bill for December is ready", style(Some(300.0)));
    assert!(wrapped.lines.len() >= 2, "{:?}", wrapped.lines);
    for l in &wrapped.lines {
        assert!(alone(&font).advance(l, 40.0) <= 300.0, "line `{l}` overflows");
    }
    assert!(wrapped.height > one.height * 1.9);
}

#[test]
fn no_break_spaces_hold_amounts_together() {
    let font = inter();
    let t = layout(alone(&font), "Total 1\u{202f}234,50\u{a0}€", style(Some(250.0)));
    assert_eq!(t.lines, vec!["Total".to_string(), "1\u{202f}234,50\u{a0}€".to_string()]);
}

#[test]
fn kerning_tightens_pairs() {
    let font = inter();
    let pair = alone(&font).advance("AV", 100.0);
    let apart = alone(&font).advance("A", 100.0) + alone(&font).advance("V", 100.0);
    assert!(pair < apart - 1.0, "no kerning between A and V: {pair} vs {apart}");
}

#[test]
fn fallback_fonts_draw_what_the_primary_lacks_and_the_rest_is_reported() {
    let font = inter();
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/DroidSansFallback.ttf")).unwrap();
    let cjk = vec![Arc::new(Font::from_bytes("cjk", bytes).unwrap())];
    let chain = FontChain { primary: &font, fallbacks: &cjk };
    let mut missing = Vec::new();
    let runs: Vec<(usize, &str)> =
        chain.runs("12月 total", &mut missing).iter().map(|r| (r.font, r.text)).collect();
    assert_eq!(runs, vec![(0, "12"), (1, "月 "), (0, "total")]);
    assert!(missing.is_empty());
    let alone = layout(alone(&font), "12月", style(None));
    assert_eq!(alone.missing, vec!['月']);
    let chained = layout(chain, "12月 \u{1F5FF}", style(None));
    assert_eq!(chained.missing, vec!['\u{1F5FF}'], "no font here has the moai emoji");
}

#[test]
fn greek_cyrillic_japanese_and_chinese_draw_with_the_shipped_fonts() {
    let font = inter();
    let cjk = cjk();
    let chain = FontChain { primary: &font, fallbacks: &cjk };
    let text =
        "Γειά σου Ελένη · Здравствуйте, Ольга · Привіт · こんにちは、さくらさん · カタカナ · 您好，陈洋";
    let block = layout(chain, text, style(Some(400.0)));
    assert!(block.missing.is_empty(), "tofu for {:?}", block.missing);
    assert!(block.lines.len() > 1, "wrapped to the box");
    // Greek and Cyrillic come from Inter itself, not from the fallback.
    let mut missing = Vec::new();
    // Each script is its own run (shaped with its script set, not guessed).
    let runs: Vec<(usize, &str)> =
        chain.runs("Ελένη Ольга", &mut missing).iter().map(|r| (r.font, r.text)).collect();
    assert_eq!(runs, vec![(0, "Ελένη "), (0, "Ольга")]);
}

#[test]
fn polish_italian_german_letters_are_in_the_font() {
    let font = inter();
    for c in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻàèéìòùäöüßÄÖÜ€£zł".chars() {
        assert!(font.covers(c), "{c} missing");
    }
}

fn arabic() -> Vec<Arc<Font>> {
    let bytes =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/fonts/NotoSansArabic-Regular.ttf"))
            .unwrap();
    vec![Arc::new(Font::from_bytes("ar", bytes).unwrap())]
}

/// The x of each glyph drawn by `font` for `c`, left to right.
fn xs_of(t: &TextBlock, font: &Font, c: char) -> Vec<f32> {
    let path = font.glyph_path(font.face.glyph_id(c)).unwrap();
    t.glyphs.iter().filter(|g| Arc::ptr_eq(&g.path, &path)).map(|g| g.x).collect()
}

#[test]
fn arabic_indic_numbers_read_left_to_right_inside_right_to_left_text() {
    let font = inter();
    let fb = arabic();
    let chain = FontChain { primary: &font, fallbacks: &fb };
    // "Amount: 384.10 SAR", as ar-SA writes it. Once drawn backwards (٠١٫٤٨٣).
    let t = layout(chain, "المبلغ: ٣٨٤٫١٠ ر.س.", style(None));
    assert!(t.rtl && t.missing.is_empty(), "{:?}", t.missing);
    let digit = |c| xs_of(&t, &fb[0], c)[0];
    assert!(digit('٣') < digit('٨') && digit('٨') < digit('٤') && digit('٤') < digit('١'));
    assert!(digit('١') < digit('٠'));
    // The currency sign is on the number's left (after it, reading right to left), the label
    // on its right.
    let (ra, mim) = (xs_of(&t, &fb[0], 'ر'), xs_of(&t, &fb[0], 'م'));
    assert!(ra.iter().all(|&x| x < digit('٣')) && mim.iter().all(|&x| x > digit('٠')), "{ra:?} {mim:?}");
}

#[test]
fn wrapped_right_to_left_lines_keep_their_spaces_and_start_at_the_right() {
    let font = inter();
    let fb = arabic();
    let chain = FontChain { primary: &font, fallbacks: &fb };
    let s = TextStyle { align: Align::Start, ..style(Some(220.0)) };
    let t = layout(chain, "شكراً لاختيارك Brightwave فاتورة نوفمبر جاهزة", s);
    assert!(t.lines.len() >= 2, "{:?}", t.lines);
    // Every line's words keep their spaces: the line is as wide as its text measured whole.
    let (_, ascent, _, advance) = lines_allowed(&Rich::plain(chain, "", t.color), s, 1);
    for (i, l) in t.lines.iter().enumerate() {
        // A glyph's line: the nearest baseline (marks sit above or below theirs).
        let ink: Vec<&PlacedGlyph> =
            t.glyphs.iter().filter(|g| ((g.y - ascent) / advance).round() as usize == i).collect();
        let right = ink.iter().map(|g| g.x + g.path.bounds().right() * g.scale).fold(0.0, f32::max);
        // `start` of a right-to-left paragraph is the box's right edge.
        assert!((right - 220.0).abs() < 3.0, "line {i} `{l}` ends at {right}");
        let left = ink.iter().map(|g| g.x).fold(f32::MAX, f32::min);
        assert!((right - left - chain.advance(l, 40.0)).abs() < 4.0, "line {i} `{l}`: {left}..{right}");
    }
    // The same text with `end` starts at the left.
    let t = layout(chain, "شكراً لاختيارك", TextStyle { align: Align::End, ..style(Some(400.0)) });
    let left = t.glyphs.iter().map(|g| g.x).fold(f32::MAX, f32::min);
    assert!(left < 3.0, "{left}");
}

#[test]
fn bidi_marks_draw_nothing_and_are_not_missing() {
    let font = inter();
    let t = layout(alone(&font), "\u{200F}Brightwave\u{200E}", style(None));
    assert!(t.missing.is_empty(), "{:?}", t.missing);
    assert!(t.rtl, "a leading RLM makes the paragraph right to left");
    let plain = layout(alone(&font), "Brightwave", style(None));
    assert!((t.width - plain.width).abs() < 0.5, "{} vs {}", t.width, plain.width);
}
