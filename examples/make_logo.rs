//! Draws the demo company's logo mark (assets/logos/brightwave.png): a rounded square with a
//! gradient and a lightning bolt. Run: `cargo run --example make_logo`. The PNG is committed;
//! this program is its provenance.

use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Paint, PathBuilder, Pixmap, Point, SpreadMode, Transform,
};

fn main() {
    let size = 512u32;
    let mut pix = Pixmap::new(size, size).unwrap();
    let s = size as f32;
    let r = s * 0.22;
    let k = 0.552_284_8 * r;
    let mut pb = PathBuilder::new();
    pb.move_to(r, 0.0);
    pb.line_to(s - r, 0.0);
    pb.cubic_to(s - r + k, 0.0, s, r - k, s, r);
    pb.line_to(s, s - r);
    pb.cubic_to(s, s - r + k, s - r + k, s, s - r, s);
    pb.line_to(r, s);
    pb.cubic_to(r - k, s, 0.0, s - r + k, 0.0, s - r);
    pb.line_to(0.0, r);
    pb.cubic_to(0.0, r - k, r - k, 0.0, r, 0.0);
    pb.close();
    let square = pb.finish().unwrap();
    let shader = LinearGradient::new(
        Point::from_xy(0.0, 0.0),
        Point::from_xy(s, s),
        vec![
            GradientStop::new(0.0, Color::from_rgba8(0x29, 0xb6, 0xf6, 255)),
            GradientStop::new(1.0, Color::from_rgba8(0x00, 0xc8, 0x53, 255)),
        ],
        SpreadMode::Pad,
        Transform::identity(),
    )
    .unwrap();
    let paint = Paint { shader, anti_alias: true, ..Default::default() };
    pix.fill_path(&square, &paint, FillRule::Winding, Transform::identity(), None);

    let mut bolt = PathBuilder::new();
    let p = |x: f32, y: f32| (x * s, y * s);
    let pts = [
        p(0.56, 0.12),
        p(0.26, 0.56),
        p(0.47, 0.56),
        p(0.40, 0.88),
        p(0.74, 0.42),
        p(0.53, 0.42),
        p(0.62, 0.12),
    ];
    bolt.move_to(pts[0].0, pts[0].1);
    for q in &pts[1..] {
        bolt.line_to(q.0, q.1);
    }
    bolt.close();
    let mut white = Paint::default();
    white.set_color_rgba8(255, 255, 255, 255);
    white.anti_alias = true;
    pix.fill_path(&bolt.finish().unwrap(), &white, FillRule::Winding, Transform::identity(), None);
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/logos/brightwave.png");
    pix.save_png(out).unwrap();
    println!("wrote {out}");
}
