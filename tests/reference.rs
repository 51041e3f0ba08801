//! Reference-frame tests: one small storyboard per behaviour under tests/frames/, rendered for a
//! record at a time and compared with the PNG beside it.
//!
//! A pixel differs when any channel differs by more than 1; a case fails when more than
//! `MAX_DIFFERING` pixels differ, and then writes expected | diff | actual to
//! target/ref-failures/. `MAKE_REF=1 cargo test --test reference` regenerates the references
//! (look at them before committing); under CI (`CI` set) it is refused with a panic.

mod common;

use std::path::{Path, PathBuf};

use billreel::record;

const MAX_DIFFERING: usize = 20;

fn frames_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/frames")
}

/// Renders `<storyboard>.yaml` for `record_id` at `at` seconds and checks it against
/// `<name>.png`.
fn check(name: &str, storyboard: &str, record_id: &str, at: f64) {
    let dir = frames_dir();
    let binder =
        billreel::load(&dir.join(format!("{storyboard}.yaml")), None).unwrap_or_else(|d| panic!("{d}"));
    let rec = record::find(&dir.join("data.jsonl"), record_id, "id").unwrap();
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    let actual = billreel::raster::to_rgba_image(&billreel::raster::render(&graph, graph.frame_at(at)));
    compare(name, actual);
}

/// [`check`] in the format `format` of the storyboard.
fn check_format(name: &str, storyboard: &str, record_id: &str, at: f64, format: &str) {
    let dir = frames_dir();
    let file = dir.join(format!("{storyboard}.yaml"));
    let binder = billreel::load_format(&file, None, &Default::default(), Some(format))
        .unwrap_or_else(|d| panic!("{d}"));
    let rec = record::find(&dir.join("data.jsonl"), record_id, "id").unwrap();
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    let actual = billreel::raster::to_rgba_image(&billreel::raster::render(&graph, graph.frame_at(at)));
    compare(name, actual);
}

/// Compares `actual` with `tests/frames/<name>.png` (or writes it there under `MAKE_REF`).
fn compare(name: &str, actual: image::RgbaImage) {
    let ref_path = frames_dir().join(format!("{name}.png"));
    if common::make_ref() {
        actual.save(&ref_path).unwrap();
        return;
    }
    let expected = image::open(&ref_path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with MAKE_REF=1 to create it)", ref_path.display()))
        .to_rgba8();
    assert_eq!(expected.dimensions(), actual.dimensions(), "{name}: size differs");
    let (w, h) = actual.dimensions();
    let mut diff = image::RgbaImage::new(w, h);
    let mut differing = 0;
    for (x, y, a) in actual.enumerate_pixels() {
        let e = expected.get_pixel(x, y);
        let d = a.0.iter().zip(e.0.iter()).map(|(p, q)| p.abs_diff(*q)).max().unwrap();
        if d > 1 {
            differing += 1;
            diff.put_pixel(x, y, image::Rgba([255, 0, 0, 255]));
        } else {
            let g = (a.0[0] as u32 + a.0[1] as u32 + a.0[2] as u32) / 12;
            diff.put_pixel(x, y, image::Rgba([g as u8, g as u8, g as u8, 255]));
        }
    }
    if differing > MAX_DIFFERING {
        let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ref-failures");
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut sheet = image::RgbaImage::new(w * 3, h);
        image::imageops::replace(&mut sheet, &expected, 0, 0);
        image::imageops::replace(&mut sheet, &diff, w as i64, 0);
        image::imageops::replace(&mut sheet, &actual, 2 * w as i64, 0);
        let out = out_dir.join(format!("{name}.png"));
        sheet.save(&out).unwrap();
        panic!(
            "{name}: {differing} pixels differ (limit {MAX_DIFFERING}); expected | diff | actual in {}",
            out.display()
        );
    }
}

#[test]
fn rect_fill_gradient_radius_stroke() {
    check("rect", "rect", "R1", 0.0);
}

#[test]
fn text_fonts_alignment_wrapping_diacritics() {
    check("text", "text", "R1", 0.0);
}

#[test]
fn image_fit_modes() {
    check("image", "image", "R1", 0.0);
}

#[test]
fn bar_chart_mid_grow_with_stagger() {
    check("chart-growing", "chart", "R1", 0.6);
}

#[test]
fn bar_chart_grown() {
    check("chart-grown", "chart", "R1", 2.0);
}

#[test]
fn keyframes_and_easing() {
    check("animation", "animation", "R1", 0.5);
}

#[test]
fn enter_presets_mid_way() {
    check("presets-enter", "presets", "R1", 0.5);
}

#[test]
fn exit_preset_mid_way() {
    check("presets-exit", "presets", "R1", 1.3);
}

#[test]
fn fade_transition_half_way() {
    check("transition", "transition", "R1", 0.7);
}

#[test]
fn locale_formatting_en_gb() {
    check("locale-en-GB", "locale", "R1", 0.0);
}

#[test]
fn locale_formatting_de_de() {
    check("locale-de-DE", "locale", "R2", 0.0);
}

#[test]
fn conditional_scene_shown_when_overdue() {
    check("conditions-overdue", "conditions", "R1", 0.0);
}

#[test]
fn conditional_scene_skipped_and_layer_chosen() {
    check("conditions-on-time", "conditions", "R2", 0.0);
}

#[test]
fn font_fallback_for_chinese_text_and_labels() {
    check("fallback-zh", "fallback", "R3", 0.0);
}

#[test]
fn qr_codes_bound_to_record_data() {
    check("qr", "qr", "R1", 0.0);
}

#[test]
fn text_fit_modes_alignment_spacing_and_cjk_wrapping() {
    check("fit", "fit", "R1", 0.0);
}

#[test]
fn slide_transition_part_way() {
    check("transition-slide", "transitions", "R1", 0.6);
}

#[test]
fn wipe_transition_part_way() {
    check("transition-wipe", "transitions", "R1", 1.2);
}

#[test]
fn variant_chosen_by_data() {
    check("variants-overdue", "variants", "R1", 0.0);
}

#[test]
fn variant_default_when_none_applies() {
    check("variants-default", "variants", "R2", 0.0);
}

#[test]
fn svg_at_two_sizes_and_rounded_image_corners() {
    check("svg", "svg", "R1", 0.0);
}

#[test]
fn table_rows_aligned_credit_zebra_total_and_grow_in() {
    check("table-growing", "table", "T1", 0.5);
    check("table", "table", "T1", 2.5);
}

#[test]
fn progress_bars_with_marker_grow_overflow_and_zero_scale() {
    check("progress", "progress", "R1", 0.5);
}

#[test]
fn text_outline_and_shadow_over_an_image() {
    check("outline", "outline", "R1", 0.0);
}

#[test]
fn bar_chart_with_negative_values_and_axis_and_line_chart_with_highlight() {
    check("axes-drawn", "axes", "R1", 2.0);
}

#[test]
fn line_chart_drawing_on_and_bars_growing() {
    check("axes-drawing", "axes", "R1", 0.5);
}

#[test]
fn charts_with_no_data_and_with_values_in_millions() {
    check("axes-empty", "axes", "R2", 2.0);
    check("axes-millions", "axes", "R3", 2.0);
}

#[test]
fn donut_and_pie_with_percentages_and_a_credit() {
    check("donut", "donut", "R1", 2.0);
}

#[test]
fn donut_sweeping_in_and_all_zero() {
    check("donut-sweep", "donut", "R1", 0.6);
    check("donut-zero", "donut", "R2", 2.0);
}

#[test]
fn comparison_card_up_down_level_and_counting() {
    check("card-up", "card", "R1", 2.0);
    check("card-down", "card", "R2", 2.0);
    check("card-level", "card", "R3", 2.0);
    check("card-counting", "card", "R1", 0.5);
}

#[test]
fn rich_text_spans_and_data_that_looks_like_tags() {
    check("rich", "rich", "R1", 0.0);
    check("rich-zh", "rich", "R3", 0.0);
}

/// `mirror: rtl`: the Arabic record sees the box, its text's alignment and a top-right anchor
/// flipped and the months running from the right (January on the far right, April on the far
/// left, each value over its month); the English record sees the storyboard as written;
/// `mirror: none` keeps a layer put. (A series shorter than record labels now fails the record:
/// the gaps it once left are tested in `layers::xy_chart`.)
#[test]
fn mirror_rtl_flips_the_layout_and_time_flows_in_the_reading_direction() {
    check("mirror-ar", "mirror", "SCR-MIR-AR", 0.0);
    check("mirror-en", "mirror", "SCR-MIR-EN", 0.0);
}

/// Right-to-left text (UAX #9): the Arabic amount with Arabic-Indic digits reads ٣٨٤٫١٠ from
/// left to right with ر.س. on its left, and with Latin digits (ar-AE-u-nu-latn) 384.10; the
/// wrapped sentence keeps the Latin brand name and the number in their own order and each
/// line's spaces; `align: start` is the right edge. Checked against Chromium's rendering of the
/// same text in the same fonts.
#[test]
fn arabic_amounts_with_arabic_indic_and_latin_digits_and_a_wrapped_sentence() {
    check("scripts-ar", "scripts", "SCR-AR1", 0.0);
    check("scripts-ar-latn", "scripts", "SCR-AR2", 0.0);
}

#[test]
fn hebrew_right_to_left_with_a_brand_name_and_an_amount() {
    check("scripts-he", "scripts", "SCR-HE1", 0.0);
}

/// Devanagari conjuncts and vowel signs shaped by rustybuzz with the script set (not guessed).
#[test]
fn hindi_in_noto_sans_devanagari() {
    check("scripts-hi", "scripts", "SCR-HI1", 0.0);
}

/// Thai has no spaces between words: lines break at the dictionary segmenter's word
/// boundaries.
#[test]
fn thai_wrapped_between_words() {
    check("scripts-th", "scripts", "SCR-TH1", 0.0);
}

/// The bold title's kana and kanji come from the bold CJK face (the bold font's own fallback
/// list), the sentence's from the regular one.
#[test]
fn bold_cjk_falls_back_to_a_bold_face() {
    check("scripts-ja", "scripts", "SCR-JA1", 0.0);
}

/// A bar chart whose value labels show from the start while the bars grow in turn, with value
/// labels (18 px) and category labels (9 px) of their own sizes and no zero line.
#[test]
fn bar_chart_with_labels_from_the_start_own_label_sizes_and_no_zero_line() {
    check("chart-options-growing", "chart-options", "R1", 0.3);
    check("chart-options-grown", "chart-options", "R1", 2.0);
}

/// A background image for the video (cover) and one for a scene (contain, the video's showing
/// around it).
#[test]
fn background_images_of_the_video_and_of_a_scene() {
    check("background-video", "background", "R1", 0.5);
    check("background-scene", "background", "R1", 1.5);
}

/// Positions, sizes and keyframes from expressions: a greeting slides in from its own width
/// off-screen, an underline as wide as the greeting sits under it, a badge follows its right
/// edge and blinks (`opacity` of `t`), a button pulses (`scale` of `t`).
#[test]
fn expressions_measure_layers_and_properties_follow_time() {
    check("motion-sliding", "motion", "R1", 0.2);
    check("motion-rest", "motion", "R1", 1.0);
}

/// A layer that follows time changes on every frame: the held-frame detector never holds it
/// and frames drawn over the settled layers equal frames drawn from scratch.
#[test]
fn a_layer_following_time_is_never_held_or_settled() {
    let dir = frames_dir();
    let binder = billreel::load(&dir.join("motion.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let rec = record::find(&dir.join("data.jsonl"), "R1", "id").unwrap();
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    let mut drawer = billreel::raster::Drawer::new(&graph);
    for f in 0..graph.total_frames {
        assert!(drawer.draw(&graph, f).is_some(), "frame {f} was held, but the button pulses");
        let scratch = billreel::raster::render(&graph, f);
        assert!(drawer.canvas().data() == scratch.data(), "frame {f} differs from one drawn from scratch");
    }
}

/// A held frame (its drawing state equals the previous frame's) must be the same picture: the
/// encoder re-sends the previous frame for it without drawing. Checked over every frame of the
/// storyboards with animation, growth, count-ups and transitions.
#[test]
fn held_frames_are_exactly_the_previous_picture() {
    let dir = frames_dir();
    let mut held_total = 0;
    for (name, id) in [
        ("animation", "R1"),
        ("presets", "R1"),
        ("chart", "R1"),
        ("axes", "R1"),
        ("donut", "R1"),
        ("card", "R1"),
        ("progress", "R1"),
        ("transition", "R1"),
        ("transitions", "R1"),
        ("outline", "R1"),
    ] {
        let binder =
            billreel::load(&dir.join(format!("{name}.yaml")), None).unwrap_or_else(|d| panic!("{d}"));
        let rec = record::find(&dir.join("data.jsonl"), id, "id").unwrap();
        let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
        let mut previous: Option<(billreel::raster::FrameState, tiny_skia::Pixmap)> = None;
        for f in 0..graph.total_frames {
            let state = billreel::raster::frame_state(&graph, f);
            let pixels = billreel::raster::render(&graph, f);
            if let Some((s, p)) = &previous {
                if *s == state {
                    held_total += 1;
                    assert!(
                        p.data() == pixels.data(),
                        "{name}: frame {f} is held but differs from frame {}",
                        f - 1
                    );
                }
            }
            previous = Some((state, pixels));
        }
    }
    assert!(held_total > 20, "only {held_total} held frames: the storyboards hold still at their ends");
}

/// Frames drawn from the settled layers kept between frames (and converted only where rows
/// changed) are the same pixels as frames drawn from scratch: every frame of the animated test
/// storyboards and of a demo video, compared exactly. How many layer draws the settled layers
/// save is counted over the test storyboards only, so that editing the demo cannot break it.
#[test]
fn frames_drawn_over_settled_layers_equal_frames_drawn_from_scratch() {
    let dir = frames_dir();
    let demo =
        billreel::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/bill-explainer.yaml"), None)
            .unwrap();
    let demo_rec = record::find(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/sample-billing-run.jsonl"),
        "C0002",
        "id",
    )
    .unwrap();
    const DEMO: &str = "demo C0002";
    let mut graphs = vec![(DEMO.to_string(), demo.bind(&demo_rec).unwrap())];
    for name in ["animation", "presets", "chart", "card", "progress", "transitions", "outline"] {
        let binder =
            billreel::load(&dir.join(format!("{name}.yaml")), None).unwrap_or_else(|d| panic!("{d}"));
        let rec = record::find(&dir.join("data.jsonl"), "R1", "id").unwrap();
        graphs.push((name.to_string(), binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"))));
    }
    let mut skipped = 0;
    for (name, graph) in &graphs {
        let mut canvas = tiny_skia::Pixmap::new(graph.width, graph.height).unwrap();
        let mut layers = billreel::raster::Layers::default();
        let mut before = canvas.data().to_vec();
        let row = graph.width as usize * 4;
        for f in 0..graph.total_frames {
            let rows = billreel::raster::render_into_cached(graph, f, &mut canvas, &mut layers);
            let scratch = billreel::raster::render(graph, f);
            assert!(
                canvas.data() == scratch.data(),
                "{name}: frame {f} differs when drawn over settled layers"
            );
            // The rows it says did not change did not (the encoder converts only the others).
            for y in (0..graph.height).filter(|y| !rows.contains(y)) {
                let span = y as usize * row..(y as usize + 1) * row;
                assert!(canvas.data()[span.clone()] == before[span], "{name}: frame {f}: row {y} changed");
            }
            before.copy_from_slice(canvas.data());
        }
        eprintln!("{name}: {} layer draws skipped", layers.layers_skipped);
        if name != DEMO {
            assert!(layers.layers_skipped > 0, "{name}: settled layers were never reused");
            skipped += layers.layers_skipped;
        }
    }
    // 225 when this was written (the demo adds about 3,900, but is left out: see above).
    assert!(skipped > 150, "settled layers were reused for only {skipped} layer draws in tests/frames/");
}

/// The email poster of a greeting centred on the picture: the play button goes to the spot
/// nearest the centre that covers none of the text (here under it), not over the name.
#[test]
fn poster_play_button_placed_clear_of_the_text() {
    let dir = frames_dir();
    let binder = billreel::load(&dir.join("poster.yaml"), None).unwrap_or_else(|d| panic!("{d}"));
    let rec = record::find(&dir.join("data.jsonl"), "R1", "id").unwrap();
    let graph = binder.bind(&rec).unwrap_or_else(|e| panic!("{e}"));
    compare("poster", billreel::outputs::poster::poster_image(&graph));
}

#[test]
fn formats_wide_the_default() {
    check("formats-wide", "formats", "R1", 0.5);
}

#[test]
fn formats_tall_with_its_safe_area_override_and_condition() {
    check_format("formats-tall", "formats", "R1", 0.5, "tall");
}

#[test]
fn formats_square() {
    check_format("formats-square", "formats", "R1", 0.5, "square");
}
