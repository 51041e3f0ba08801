//! Images: decoded and sized by bind, drawn crisp on whole pixels, filtered otherwise.

use tiny_skia::{FilterQuality, Pixmap, PixmapPaint, Transform};

use super::paint::on_whole_pixels;

/// An image node's picture, `offset` pixels into its box.
pub(super) fn draw(canvas: &mut Pixmap, pixels: &Pixmap, offset: (f32, f32), opacity: f32, tf: Transform) {
    // Near its size (a zoom or a pulse) bilinear filtering looks the same as bicubic at half
    // the cost; further from it, bicubic keeps it from aliasing or blurring.
    let near = tf.has_scale() && (0.75..=1.5).contains(&tf.sx);
    let quality = if near { FilterQuality::Bilinear } else { FilterQuality::Bicubic };
    let paint = PixmapPaint { opacity, quality, ..Default::default() };
    let tf = tf.pre_translate(offset.0, offset.1);
    if on_whole_pixels(tf) {
        // The image was resized for its box: an untransformed blit keeps it crisp.
        canvas.draw_pixmap(
            tf.tx as i32,
            tf.ty as i32,
            pixels.as_ref(),
            &PixmapPaint { quality: FilterQuality::Nearest, ..paint },
            Transform::identity(),
            None,
        );
    } else {
        canvas.draw_pixmap(0, 0, pixels.as_ref(), &paint, tf, None);
    }
}
