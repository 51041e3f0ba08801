//! CSV rows read with `csv_core`, each kept only up to `--limit record-bytes`.

use std::fs::File;
use std::io::{BufRead, BufReader};

/// A CSV row as `csv_core` parses it, with the row's size bounded while reading.
pub(super) enum Row {
    Cells(Vec<String>),
    /// The row passed `record_bytes` and was read to its end without being kept: its size, and
    /// the cells that were complete before the limit.
    TooLong {
        bytes: u64,
        kept: Vec<String>,
    },
    NotUtf8 {
        column: usize,
    },
    End,
}

/// CSV rows read with `csv_core` into a buffer of `record_bytes`: the csv crate's reader grows
/// its buffer to hold a whole row, however long; this one stops keeping a row at the limit and
/// reads the rest of it into a scratch buffer that is thrown away.
pub(super) struct CsvRows {
    parser: csv_core::Reader,
    input: BufReader<File>,
    out: Vec<u8>,
    ends: Vec<usize>,
    scratch: Vec<u8>,
    scratch_ends: Vec<usize>,
}

impl CsvRows {
    pub(super) fn new(input: BufReader<File>, record_bytes: u64) -> CsvRows {
        CsvRows {
            parser: csv_core::Reader::new(),
            input,
            out: vec![0; usize::try_from(record_bytes).unwrap_or(usize::MAX).min(1 << 31)],
            ends: vec![0; 64],
            scratch: vec![0; 64 * 1024],
            scratch_ends: vec![0; 64],
        }
    }

    pub(super) fn next_row(&mut self) -> std::io::Result<Row> {
        let (mut nout, mut nends, mut bytes) = (0usize, 0usize, 0u64);
        loop {
            let chunk = self.input.fill_buf()?;
            let (res, nin, o, e) =
                self.parser.read_record(chunk, &mut self.out[nout..], &mut self.ends[nends..]);
            self.input.consume(nin);
            bytes += nin as u64;
            nout += o;
            nends += e;
            match res {
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputEndsFull => {
                    // A row of many cells: make room for more ends (their count is bounded by
                    // the bytes kept, as every cell takes at least its separator).
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::OutputFull => {
                    let kept = cells(&self.out[..nout], &self.ends[..nends]).unwrap_or_default();
                    let bytes = bytes + self.skip_rest()?;
                    return Ok(Row::TooLong { bytes, kept });
                }
                csv_core::ReadRecordResult::Record => {
                    return Ok(match cells(&self.out[..nout], &self.ends[..nends]) {
                        Ok(c) => Row::Cells(c),
                        Err(column) => Row::NotUtf8 { column },
                    })
                }
                csv_core::ReadRecordResult::End => return Ok(Row::End),
            }
        }
    }

    /// Reads the rest of a row that is too long, keeping nothing; returns the bytes read.
    fn skip_rest(&mut self) -> std::io::Result<u64> {
        let mut bytes = 0u64;
        loop {
            let chunk = self.input.fill_buf()?;
            let (res, nin, _, _) = self.parser.read_record(chunk, &mut self.scratch, &mut self.scratch_ends);
            self.input.consume(nin);
            bytes += nin as u64;
            match res {
                csv_core::ReadRecordResult::Record | csv_core::ReadRecordResult::End => return Ok(bytes),
                _ => {}
            }
        }
    }
}

/// The cells of a row from `csv_core`'s output and field ends; `Err(column)` when a cell is
/// not UTF-8.
fn cells(out: &[u8], ends: &[usize]) -> Result<Vec<String>, usize> {
    let mut start = 0;
    ends.iter()
        .enumerate()
        .map(|(i, &end)| {
            let cell = std::str::from_utf8(&out[start..end]).map_err(|_| i)?;
            start = end;
            Ok(cell.to_string())
        })
        .collect()
}
