//! Colour conversion: RGBA frames -> YUV 4:2:0, BT.709 matrix, limited ("TV") range.
//!
//! In: opaque RGBA pixels (tiny-skia's premultiplied output equals straight RGBA when every pixel
//! is opaque, which the background guarantees). Out: the three planes x264 reads. Integer fixed
//! point with 16 fractional bits, no floating point in the loop; chroma is the average of each
//! 2x2 block (centred siting between the four pixels). Within ±1 of the exact formula (tested),
//! and about twice as fast as swscale with the accurate-rounding flags it needed.

/// BT.709 luma and colour-difference weights, scaled to the limited range (Y 16–235,
/// Cb/Cr 16–240) and by 2^16.
const YR: i32 = 11966; // 0.2126 * 219/255 * 65536
const YG: i32 = 40254; // 0.7152 * 219/255 * 65536
const YB: i32 = 4064; // 0.0722 * 219/255 * 65536
const UR: i32 = -6596; // -0.2126/1.8556 * 224/255 * 65536
const UG: i32 = -22189; // -0.7152/1.8556 * 224/255 * 65536
const UB: i32 = 28784; // 0.5 * 224/255 * 65536
const VR: i32 = 28784; // 0.5 * 224/255 * 65536
const VG: i32 = -26145; // -0.7152/1.5748 * 224/255 * 65536
const VB: i32 = -2639; // -0.0722/1.5748 * 224/255 * 65536
const HALF: i32 = 1 << 15;

/// One frame's planes to write into, with their strides (bytes per row).
pub struct Planes<'a> {
    pub y: (&'a mut [u8], usize),
    pub u: (&'a mut [u8], usize),
    pub v: (&'a mut [u8], usize),
}

/// Converts `width` x `height` tightly packed RGBA pixels (both dimensions even).
pub fn rgba_to_yuv420(rgba: &[u8], width: usize, height: usize, mut out: Planes) {
    check(rgba, width, height);
    for cy in 0..height / 2 {
        convert_row_pair(rgba, width, cy, &mut out);
    }
}

/// Like [`rgba_to_yuv420`] for a frame following `previous` (the RGBA of the frame the planes
/// already hold): only the parts of pairs of rows that differ are converted, and copied into
/// `previous`. Animations usually move a small part of the picture, and comparing pixels is
/// far cheaper than converting them. Only rows in `rows` are looked at: the caller knows the
/// others are unchanged. Returns the number of row pairs converted (in part or whole).
pub fn rgba_to_yuv420_changed(
    rgba: &[u8],
    previous: &mut [u8],
    width: usize,
    height: usize,
    rows: std::ops::Range<usize>,
    mut out: Planes,
) -> usize {
    check(rgba, width, height);
    assert_eq!(previous.len(), rgba.len());
    let row = width * 4;
    let pairs = rows.start / 2..rows.end.div_ceil(2).min(height / 2);
    let mut converted = 0;
    let now = rgba.chunks_exact(2 * row).zip(previous.chunks_exact_mut(2 * row)).enumerate();
    for (cy, (now, before)) in now.skip(pairs.start).take(pairs.len()) {
        // The 2x2 blocks from the first to the last that differs, in either row.
        let (top, bottom) =
            (differing_blocks(&now[..row], &before[..row]), differing_blocks(&now[row..], &before[row..]));
        let blocks = match (top, bottom) {
            (None, None) => continue,
            (Some(a), None) | (None, Some(a)) => a,
            (Some(a), Some(b)) => a.start.min(b.start)..a.end.max(b.end),
        };
        convert_blocks(rgba, width, cy, blocks.clone(), &mut out);
        let bytes = blocks.start * 8..blocks.end * 8;
        before[bytes.clone()].copy_from_slice(&now[bytes.clone()]);
        let bytes = row + bytes.start..row + bytes.end;
        before[bytes.clone()].copy_from_slice(&now[bytes]);
        converted += 1;
    }
    converted
}

/// The 2-pixel blocks (8 bytes) from the first to the last where rows `a` and `b` differ; None
/// when they are equal. Compared 64 bytes at a time from each end, then 8 at a time.
fn differing_blocks(a: &[u8], b: &[u8]) -> Option<std::ops::Range<usize>> {
    const CHUNK: usize = 64;
    let n = a.len();
    let chunk = |i: usize| i..(i + CHUNK).min(n);
    let differs = |r: std::ops::Range<usize>| a[r.clone()] != b[r];
    let first = (0..n).step_by(CHUNK).find(|&i| differs(chunk(i)))?;
    let last = (0..n).step_by(CHUNK).rev().find(|&i| differs(chunk(i)))?;
    let block = |i: usize| i..i + 8;
    let start = chunk(first).step_by(8).find(|&i| differs(block(i)))?;
    let end = chunk(last).step_by(8).rev().find(|&i| differs(block(i)))?;
    Some(start / 8..end / 8 + 1)
}

fn check(rgba: &[u8], width: usize, height: usize) {
    assert!(width.is_multiple_of(2) && height.is_multiple_of(2), "4:2:0 needs even dimensions");
    assert_eq!(rgba.len(), width * height * 4);
}

/// Rows `2 * cy` and `2 * cy + 1`: their luma, and the chroma row they share.
fn convert_row_pair(rgba: &[u8], width: usize, cy: usize, out: &mut Planes) {
    convert_blocks(rgba, width, cy, 0..width / 2, out)
}

/// The 2x2 blocks `blocks` (counted in pairs of pixels) of rows `2 * cy` and `2 * cy + 1`,
/// with AVX2 when the CPU has it (the same integer arithmetic, so the same bytes: the
/// compiler vectorises the loops with 32-bit multiplies that baseline x86-64 lacks).
fn convert_blocks(rgba: &[u8], width: usize, cy: usize, blocks: std::ops::Range<usize>, out: &mut Planes) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { convert_blocks_avx2(rgba, width, cy, blocks, out) };
    }
    convert_blocks_portable(rgba, width, cy, blocks, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
// SAFETY: callers must have checked that the CPU has AVX2 (`convert_blocks` does).
unsafe fn convert_blocks_avx2(
    rgba: &[u8],
    width: usize,
    cy: usize,
    blocks: std::ops::Range<usize>,
    out: &mut Planes,
) {
    convert_blocks_portable(rgba, width, cy, blocks, out)
}

/// Written as three simple loops over contiguous data (luma of each row, then chroma of the
/// pair) so the compiler vectorises them.
#[inline(always)]
fn convert_blocks_portable(
    rgba: &[u8],
    width: usize,
    cy: usize,
    blocks: std::ops::Range<usize>,
    out: &mut Planes,
) {
    let (y_plane, ys) = (&mut *out.y.0, out.y.1);
    let row = width * 4;
    let bytes = blocks.start * 8..blocks.end * 8;
    let top = &rgba[2 * cy * row..(2 * cy + 1) * row][bytes.clone()];
    let bottom = &rgba[(2 * cy + 1) * row..(2 * cy + 2) * row][bytes];
    let pixels = 2 * blocks.start..2 * blocks.end;
    for (src, dst) in [(top, 2 * cy), (bottom, 2 * cy + 1)] {
        let y_row = &mut y_plane[dst * ys..dst * ys + width][pixels.clone()];
        for (p, y) in src.chunks_exact(4).zip(y_row.iter_mut()) {
            *y = (16 + ((YR * p[0] as i32 + YG * p[1] as i32 + YB * p[2] as i32 + HALF) >> 16)) as u8;
        }
    }
    let u_row = &mut out.u.0[cy * out.u.1..cy * out.u.1 + width / 2][blocks.clone()];
    let v_row = &mut out.v.0[cy * out.v.1..cy * out.v.1 + width / 2][blocks];
    let pairs = top.chunks_exact(8).zip(bottom.chunks_exact(8));
    for ((t, b), (u, v)) in pairs.zip(u_row.iter_mut().zip(v_row.iter_mut())) {
        let sum = |c: usize| t[c] as i32 + t[c + 4] as i32 + b[c] as i32 + b[c + 4] as i32;
        let (r, g, b) = (sum(0), sum(1), sum(2));
        // The block's sums are four times its average: divide by 4 with the 2^16 scale.
        *u = (128 + ((UR * r + UG * g + UB * b + 4 * HALF) >> 18)) as u8;
        *v = (128 + ((VR * r + VG * g + VB * b + 4 * HALF) >> 18)) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The BT.709 limited-range formulas in floating point.
    fn exact(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        (
            16.0 + 219.0 * y / 255.0,
            128.0 + 224.0 * (b - y) / 1.8556 / 255.0,
            128.0 + 224.0 * (r - y) / 1.5748 / 255.0,
        )
    }

    #[test]
    fn within_one_of_the_exact_conversion_for_every_kind_of_pixel() {
        // Pseudo-random pixels plus the extremes, in 2x2 blocks.
        let (w, h) = (64usize, 64usize);
        let mut seed = 0x9E3779B97F4A7C15u64;
        let mut rgba = vec![255u8; w * h * 4];
        for (i, px) in rgba.chunks_exact_mut(4).enumerate() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let fixed = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [11, 31, 58]];
            let c = if i < fixed.len() * 4 {
                fixed[i / 4]
            } else {
                [seed as u8, (seed >> 8) as u8, (seed >> 16) as u8]
            };
            px[..3].copy_from_slice(&c);
        }
        // The first blocks must be uniform for the extremes: lay them out 2x2.
        let mut img = rgba.clone();
        for k in 0..6 {
            for (dy, dx) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let at = ((dy * w) + 2 * k + dx) * 4;
                img[at..at + 3].copy_from_slice(&rgba[k * 16..k * 16 + 3]);
            }
        }
        let (mut y, mut u, mut v) = (vec![0u8; w * h], vec![0u8; w * h / 4], vec![0u8; w * h / 4]);
        rgba_to_yuv420(&img, w, h, Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) });
        let px = |x: usize, yy: usize| {
            let p = &img[(yy * w + x) * 4..];
            (p[0] as f64, p[1] as f64, p[2] as f64)
        };
        let mut worst = 0.0f64;
        for yy in 0..h {
            for x in 0..w {
                let (r, g, b) = px(x, yy);
                worst = worst.max((exact(r, g, b).0 - y[yy * w + x] as f64).abs());
            }
        }
        for cy in 0..h / 2 {
            for cx in 0..w / 2 {
                let (mut r, mut g, mut b) = (0.0, 0.0, 0.0);
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = px(2 * cx + dx, 2 * cy + dy);
                    r += p.0 / 4.0;
                    g += p.1 / 4.0;
                    b += p.2 / 4.0;
                }
                let (_, eu, ev) = exact(r, g, b);
                worst = worst
                    .max((eu - u[cy * w / 2 + cx] as f64).abs())
                    .max((ev - v[cy * w / 2 + cx] as f64).abs());
            }
        }
        assert!(worst <= 1.0, "off by {worst}");
        // Black, white and the primaries land on the standard's code values.
        assert_eq!((y[0], u[0], v[0]), (16, 128, 128));
        assert_eq!((y[2], u[1], v[1]), (235, 128, 128));
        assert_eq!((y[4], u[2], v[2]), (63, 102, 240));
    }

    #[test]
    fn converting_only_changed_blocks_gives_the_same_planes_as_converting_everything() {
        // 200 pixels: rows of 800 bytes, not a whole number of the 64-byte chunks compared.
        let (w, h) = (200usize, 24usize);
        let mut seed = 0x2545F4914F6CDD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let full = |rgba: &[u8]| {
            let (mut y, mut u, mut v) = (vec![0u8; w * h], vec![0u8; w * h / 4], vec![0u8; w * h / 4]);
            rgba_to_yuv420(rgba, w, h, Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) });
            (y, u, v)
        };
        let mut frame: Vec<u8> =
            (0..w * h * 4).map(|i| if i % 4 == 3 { 255 } else { next() as u8 }).collect();
        let (mut y, mut u, mut v) = full(&frame);
        let mut previous = frame.clone();
        for step in 0..200 {
            // A few rectangles of new pixels, anywhere, some one pixel wide or tall.
            for _ in 0..(step % 4) {
                let (x0, y0) = (next() as usize % w, next() as usize % h);
                let (x1, y1) =
                    ((x0 + 1 + next() as usize % 40).min(w), (y0 + 1 + next() as usize % 6).min(h));
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        frame[(yy * w + xx) * 4..][..3].copy_from_slice(&next().to_le_bytes()[..3]);
                    }
                }
            }
            rgba_to_yuv420_changed(
                &frame,
                &mut previous,
                w,
                h,
                0..h,
                Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) },
            );
            assert!((y.clone(), u.clone(), v.clone()) == full(&frame), "step {step}");
            assert!(previous == frame, "step {step}: the kept frame is not the frame converted");
        }
    }

    #[test]
    fn converting_only_changed_rows_gives_the_same_planes() {
        let (w, h) = (16usize, 8usize);
        let frame = |k: u8| {
            let mut f = vec![255u8; w * h * 4];
            for (i, px) in f.chunks_exact_mut(4).enumerate() {
                px[0] = (i as u8).wrapping_mul(k);
                px[1] = k;
            }
            f
        };
        let (a, mut b) = (frame(3), frame(3));
        // Change one pixel in row 5 (the third pair of rows).
        b[(5 * w + 7) * 4] ^= 0x55;
        let full = |rgba: &[u8]| {
            let (mut y, mut u, mut v) = (vec![0u8; w * h], vec![0u8; w * h / 4], vec![0u8; w * h / 4]);
            rgba_to_yuv420(rgba, w, h, Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) });
            (y, u, v)
        };
        let (mut y, mut u, mut v) = full(&a);
        let mut previous = a.clone();
        let n = rgba_to_yuv420_changed(
            &b,
            &mut previous,
            w,
            h,
            0..h,
            Planes { y: (&mut y, w), u: (&mut u, w / 2), v: (&mut v, w / 2) },
        );
        assert_eq!(n, 1);
        assert_eq!((y, u, v), full(&b));
        assert_eq!(previous, b);
    }
}
