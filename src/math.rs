//! The float functions whose results are not pinned down by IEEE 754, in one audited place.
//!
//! billreel's outputs are byte-reproducible, so every float that reaches a pixel, a sample or a
//! number on screen must come out the same bits each time. `+ - * /`, `sqrt`, `mul_add`,
//! `floor`/`ceil`/`round`/`trunc`, `abs`, `min`/`max` and `to_radians`/`to_degrees` (one
//! multiplication) are correctly rounded or exact, so they are the same everywhere and stay
//! allowed. The functions here are not: std's `sin`, `cos`, `powf`, `log10`, … call the platform's
//! libm (glibc, musl, macOS, MSVC), whose last bit differs between platforms and libm versions,
//! and Rust documents their precision as unspecified. `powi` is here too, although its name
//! suggests otherwise: Rust documents its precision as non-deterministic, since LLVM may expand it
//! into a different tree of multiplications than the runtime's `__powidf2`. (Our uses are exact
//! either way: `powi(x, 2)` is one multiplication, and `powi(10.0, d)` for small `d` has exact
//! intermediates. A new use with another exponent should say why it is exact, or not use it.)
//!
//! `clippy.toml` at the root disallows all of them (for `f32` and `f64`, with `sin_cos`, the
//! hyperbolic and inverse functions besides the ones used); this module is the only place that
//! allows them, so every use in the crate is one of the calls below and can be found by name.
//!
//! The wrappers call exactly what the code called before (`f32::sin`, `f64::powf`, …), so the
//! outputs on a given machine did not change when they were introduced. That is reproducible on
//! one platform and libm, not across platforms. The next step towards identical bytes on every
//! platform is to make these wrappers call the pure-Rust `libm` crate instead (same results on
//! every target); that switch happens here, and nowhere else, and changes the reference bytes
//! once. Dependencies (tiny-skia, resvg, ab_glyph, …) are outside this guard.
//!
//! Tests and benches may use the std functions directly (`#![allow(clippy::disallowed_methods)]`
//! at the top of such a test or bench) when no output bytes depend on them.
#![allow(clippy::disallowed_methods)]

/// `f32` or `f64`: the float types the functions below take.
pub trait Float: Copy + sealed::Sealed {
    #[doc(hidden)]
    fn sin(self) -> Self;
    #[doc(hidden)]
    fn cos(self) -> Self;
    #[doc(hidden)]
    fn powf(self, n: Self) -> Self;
    #[doc(hidden)]
    fn powi(self, n: i32) -> Self;
    #[doc(hidden)]
    fn log10(self) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

macro_rules! float {
    ($($t:ident)*) => {$(
        impl Float for $t {
            #[inline]
            fn sin(self) -> Self {
                $t::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $t::cos(self)
            }
            #[inline]
            fn powf(self, n: Self) -> Self {
                $t::powf(self, n)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline]
            fn log10(self) -> Self {
                $t::log10(self)
            }
        }
    )*};
}
float!(f32 f64);

/// Sine of `x` radians (std's, through the platform libm).
#[inline]
pub fn sin<F: Float>(x: F) -> F {
    x.sin()
}

/// Cosine of `x` radians (std's, through the platform libm).
#[inline]
pub fn cos<F: Float>(x: F) -> F {
    x.cos()
}

/// `x` to the power `n` (std's, through the platform libm).
#[inline]
pub fn powf<F: Float>(x: F, n: F) -> F {
    x.powf(n)
}

/// `x` to the integer power `n` (std's `powi`: exact only when the multiplications are, see the
/// module's header).
#[inline]
pub fn powi<F: Float>(x: F, n: i32) -> F {
    x.powi(n)
}

/// Base-10 logarithm of `x` (std's, through the platform libm).
#[inline]
pub fn log10<F: Float>(x: F) -> F {
    x.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrappers_are_std_bit_for_bit() {
        for x in [0.0f32, 0.3, 1.0, -2.5, 3.1, 1e-7, 1234.5] {
            assert_eq!(sin(x).to_bits(), f32::sin(x).to_bits());
            assert_eq!(cos(x).to_bits(), f32::cos(x).to_bits());
            assert_eq!(powi(x, 2).to_bits(), f32::powi(x, 2).to_bits());
            assert_eq!(powi(x, 2).to_bits(), (x * x).to_bits());
        }
        for x in [0.0f64, 0.3, 1.0, -2.5, 3.1, 1e-7, 1234.5, 0.1 / 3.0] {
            assert_eq!(cos(x).to_bits(), f64::cos(x).to_bits());
            assert_eq!(log10(x.abs()).to_bits(), f64::log10(x.abs()).to_bits());
            assert_eq!(powf(10.0, x).to_bits(), f64::powf(10.0, x).to_bits());
        }
        for d in 0..=9 {
            assert_eq!(powi(10f64, d), format!("1e{d}").parse::<f64>().unwrap());
        }
    }
}
