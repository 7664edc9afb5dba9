//! The phone library's tables, built one calling code at a time.
//!
//! The library's own tables hold all 250 regions once built: about 3.4 MB of an agent's wasm
//! memory, in every Zendesk tab, for an agent who calls two or three countries. Here they are
//! built from the library's metadata for the calling codes met so far: the agent's region's at
//! the first number, then each other country's the first time one of its numbers is read. A
//! calling code shared by several regions (`+1` is the US, Canada and the Caribbean) is built
//! with its main region first, and with every region the first time a number is not valid
//! there ([`with_whole`], from `phone::parse`),
//! so what the library answers for a number is what it would answer with every region built
//! (`phone::tests` compares the two over generated numbers and every shared region's examples).
//!
//! The metadata (the library's `PhoneMetadataCollection`, in protobuf, which `build.rs` finds) is
//! built into the crate with the `embedded-metadata` feature (the tests, the sandbox); the app
//! leaves it out of its wasm and installs it with [`install`] once fetched, after the first
//! screen is painted. Until then no number can be read. What the app fetches is packed
//! ([`unpack`]: the collection's regions in chunks of about 16 KB, each deflated, by
//! `scripts/phone-metadata.mjs`) and stays packed in memory, 65 KB instead of 229 KB in every
//! tab: a chunk is inflated only while the tables of a code in it are built, and dropped.

use prost::Message;
use rlibphonenumber::{PhoneMetadata, PhoneMetadataCollection, PhoneNumberUtil};
use std::{borrow::Cow, cell::RefCell, collections::BTreeSet, ops::Range, rc::Rc, sync::OnceLock};

/// The metadata, built in or installed, with its regions.
static METADATA: OnceLock<Metadata> = OnceLock::new();

/// The metadata's bytes: chunks, each a run of a `PhoneMetadataCollection`'s regions (itself a
/// collection), stored as they are (the one chunk of the built-in collection) or deflated.
struct Metadata {
    bytes: &'static [u8],
    chunks: Vec<Chunk>,
    index: Vec<Entry>,
}

/// A chunk's place in [`Metadata::bytes`], and its length once inflated (`None`: stored).
struct Chunk {
    at: Range<usize>,
    inflated: Option<usize>,
}

fn metadata() -> Option<&'static Metadata> {
    #[cfg(feature = "embedded-metadata")]
    {
        Some(METADATA.get_or_init(|| {
            let bytes: &'static [u8] = include_bytes!(env!("PHONE_METADATA_BIN"));
            let chunks = vec![Chunk {
                at: 0..bytes.len(),
                inflated: None,
            }];
            let index = entries(bytes, 0).expect("the phone metadata is a protobuf collection");
            Metadata {
                bytes,
                chunks,
                index,
            }
        }))
    }
    #[cfg(not(feature = "embedded-metadata"))]
    {
        METADATA.get()
    }
}

/// Chunk `i`'s bytes: a collection of regions.
fn chunk(metadata: &Metadata, i: usize) -> Option<Cow<'static, [u8]>> {
    let chunk = metadata.chunks.get(i)?;
    let bytes = metadata.bytes.get(chunk.at.clone())?;
    match chunk.inflated {
        None => Some(Cow::Borrowed(bytes)),
        Some(len) => inflate(bytes, len).map(Cow::Owned),
    }
}

/// `deflated` (raw deflate) inflated, when it is exactly `len` bytes.
fn inflate(deflated: &[u8], len: usize) -> Option<Vec<u8>> {
    use miniz_oxide::inflate::stream::{inflate, InflateState};
    use miniz_oxide::{DataFormat, MZFlush, MZStatus};
    // The inflater's state (about 11 KB) on the heap, not the wasm's small stack.
    let mut state = InflateState::new_boxed(DataFormat::Raw);
    let mut out = vec![0; len];
    let result = inflate(&mut state, deflated, &mut out, MZFlush::Finish);
    (result.status == Ok(MZStatus::StreamEnd)
        && result.bytes_consumed == deflated.len()
        && result.bytes_written == len)
        .then_some(out)
}

/// The packed metadata's header: `PMZ1`, the number of chunks (u32, little-endian), then each
/// chunk's deflated and inflated lengths (u32 each); the chunks follow, in order.
const MAGIC: &[u8; 4] = b"PMZ1";

/// Reads packed metadata: its chunks and its regions, every chunk inflated once and every region
/// decoded once here (and dropped), so that building tables from it later cannot fail.
fn unpack(bytes: &[u8]) -> Option<(Vec<Chunk>, Vec<Entry>)> {
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    };
    if bytes.get(..4)? != MAGIC {
        return None;
    }
    let count = u32_at(4)?;
    let mut at = 8usize.checked_add(count.checked_mul(8)?)?;
    let mut chunks = Vec::with_capacity(count);
    for i in 0..count {
        let deflated = u32_at(8 + i * 8)?;
        let inflated = u32_at(12 + i * 8)?;
        let end = at.checked_add(deflated)?;
        chunks.push(Chunk {
            at: at..end,
            inflated: Some(inflated),
        });
        at = end;
    }
    if at != bytes.len() {
        return None;
    }
    let mut index = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        let inflated = inflate(bytes.get(c.at.clone())?, c.inflated?)?;
        let regions = entries(&inflated, i)?;
        let valid = regions.iter().all(|e| {
            PhoneMetadata::decode(&inflated[e.bytes.clone()]).is_ok()
                && (e.id == "001" || rlibphonenumber::Region::from_code(&e.id).is_ok())
        });
        if !valid || regions.is_empty() {
            return None;
        }
        index.extend(regions);
    }
    // Kept for the page's life: no spare capacity.
    index.shrink_to_fit();
    (!index.is_empty()).then_some((chunks, index))
}

/// Why [`install`] refused the bytes it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// Not a collection of regions with ids and calling codes.
    NotMetadata,
}

/// Installs the metadata (`bytes`: packed, as fetched: [`unpack`]). The first that is read as
/// metadata stays; installing again, or over built-in metadata, changes nothing and is not an
/// error.
pub fn install(bytes: Vec<u8>) -> Result<(), InstallError> {
    // Checked before it is trusted: every chunk inflates, every region decodes.
    let (chunks, index) = unpack(&bytes)
        .filter(|(_, e)| e.len() > 200 && e.iter().any(|e| e.id == "US" && e.code == 1))
        .ok_or(InstallError::NotMetadata)?;
    if ready() {
        return Ok(());
    }
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let _ = METADATA.set(Metadata {
        bytes,
        chunks,
        index,
    });
    Ok(())
}

/// True once numbers can be read: the metadata is built in or installed.
pub fn ready() -> bool {
    metadata().is_some()
}

/// The longest international prefix before a calling code: `1411 0011` from Australia (8
/// digits, the longest in the metadata), `1795 100` from China, `00` plus a carrier's two
/// digits from Brazil and Colombia; one more for margin.
const LONGEST_PREFIX: usize = 9;

/// One region's entry in the metadata.
struct Entry {
    /// ISO 3166 code, or `001` for the non-geographical codes (`+800`, `+882`...).
    id: String,
    /// Its calling code.
    code: i32,
    /// The library's main region of its code (`main_country_for_code`): the one it tries first,
    /// whose rules parse and format every number of the code.
    main: bool,
    /// Its chunk, and its place in the chunk's bytes.
    chunk: usize,
    bytes: Range<usize>,
}

/// Every region's id, calling code and place in the metadata, read without decoding it; none
/// before the metadata is there.
fn index() -> &'static [Entry] {
    metadata().map_or(&[], |m| &m.index)
}

/// The tables built so far on this thread: their calling codes and the library built for them.
struct Built {
    /// The codes with at least their main region built.
    codes: BTreeSet<i32>,
    /// The codes with every region built.
    whole: BTreeSet<i32>,
    util: Rc<PhoneNumberUtil>,
    /// The region whose patterns were compiled in this set (`phone::warm_up`): a rebuild
    /// starts cold again.
    warmed: Option<String>,
}

thread_local! {
    static BUILT: RefCell<Option<Built>> = const { RefCell::new(None) };
}

/// The calling code of region `id` (ISO 3166, any case).
pub(crate) fn code_of(id: &str) -> Option<i32> {
    index()
        .iter()
        .find(|e| e.id.eq_ignore_ascii_case(id))
        .map(|e| e.code)
}

/// The number part of `input` as the library reads it: from its first `+` or digit on, digits
/// of any script as ASCII digits, other characters dropped; whether it starts with `+`. `None`
/// when three letters or more follow (the library then reads letters as keypad digits), or a
/// digit of a script `digit` does not know: only every table will do then.
fn number_part(input: &str) -> Option<(bool, Vec<u8>)> {
    let start = input.find(|c: char| c == '+' || c == '\u{ff0b}' || digit(c).is_some())?;
    let rest = &input[start..];
    if rest.chars().filter(char::is_ascii_alphabetic).count() >= 3 {
        return None;
    }
    // A digit of a script not listed in `digit` would shift every position after it.
    if rest.chars().any(|c| c.is_numeric() && digit(c).is_none()) {
        return None;
    }
    let plus = !rest.starts_with(|c: char| digit(c).is_some());
    Some((plus, rest.chars().filter_map(digit).collect()))
}

/// A decimal digit of any script (the Unicode `Nd` digits the library reads), as its value.
fn digit(c: char) -> Option<u8> {
    if let Some(d) = c.to_digit(10) {
        return Some(d as u8);
    }
    // Each script's ten digits are consecutive code points from its zero; the scripts numbers
    // are written in, by their zero.
    const ZEROS: [u32; 16] = [
        0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
        0x0D66, 0x0E50, 0x0ED0, 0x1040, 0xFF10,
    ];
    let c = c as u32;
    ZEROS
        .iter()
        .find(|z| (**z..**z + 10).contains(&c))
        .map(|z| (c - z) as u8)
}

/// The calling code written right after `input`'s `+`, when it starts with one and the code
/// exists (codes never start with another code, so there is at most one).
pub(crate) fn code_after_plus(input: &str) -> Option<i32> {
    let (plus, digits) = number_part(input)?;
    if !plus {
        return None;
    }
    code_at(&digits, 0)
}

/// The calling code written at `start` in `digits`, if any.
fn code_at(digits: &[u8], start: usize) -> Option<i32> {
    (1..=3).find_map(|len| {
        let written = digits.get(start..start + len)?;
        if written[0] == 0 {
            return None;
        }
        let code = written.iter().fold(0i32, |n, d| n * 10 + i32::from(*d));
        index().iter().any(|e| e.code == code).then_some(code)
    })
}

/// The calling codes that could follow an international prefix (or a `+`) in `input`: the
/// known code written at each of the first [`LONGEST_PREFIX`] digits. More than the one the
/// library will read, never fewer; `None` when only every table will do (see [`number_part`]).
pub(crate) fn codes_in(input: &str) -> Option<Vec<i32>> {
    let (_, digits) = number_part(input)?;
    let mut codes = Vec::new();
    for start in 0..=LONGEST_PREFIX.min(digits.len()) {
        if let Some(code) = code_at(&digits, start) {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    Some(codes)
}

/// The library with the tables of at least `codes` built; `None` builds every table.
/// Building more keeps what was built (a new set is built from scratch, after the old one is
/// dropped).
///
/// A code shared by several regions (`+1`: 25) is built with its main region only at first:
/// the library parses, formats and judges the possible length of every number of the code by
/// the main region's rules, and tries the main region first when it looks for the number's
/// region, so a number valid there reads the same either way; the other regions are built
/// ([`with_whole`]) the first time a number is not valid in the main region (`phone::parse`).
pub(crate) fn with(codes: Option<&[i32]>) -> Rc<PhoneNumberUtil> {
    match codes {
        Some(codes) => ensure(codes, &[]),
        None => {
            let all: Vec<i32> = index().iter().map(|e| e.code).collect();
            ensure(&all, &all)
        }
    }
}

/// [`with`] `code` with every region that shares it.
pub(crate) fn with_whole(code: i32) -> Rc<PhoneNumberUtil> {
    ensure(&[code], &[code])
}

/// [`with`] the calling code of the agent's region `id` and `more`: a region that is not its
/// code's main one (Canada, Jersey, Kazakhstan) needs its own rules, so its code is built whole.
pub(crate) fn with_home(id: &str, more: &[i32]) -> Rc<PhoneNumberUtil> {
    let home = index().iter().find(|e| e.id.eq_ignore_ascii_case(id));
    let codes: Vec<i32> = home
        .map(|e| e.code)
        .into_iter()
        .chain(more.iter().copied())
        .collect();
    let whole: Vec<i32> = home
        .filter(|e| !is_main(e))
        .map(|e| e.code)
        .into_iter()
        .collect();
    ensure(&codes, &whole)
}

/// True when `code` is built with its main region only, and has others.
pub(crate) fn partial(code: i32) -> bool {
    let built = BUILT.with(|built| {
        built
            .borrow()
            .as_ref()
            .is_some_and(|b| b.codes.contains(&code) && !b.whole.contains(&code))
    });
    built && index().iter().filter(|e| e.code == code).nth(1).is_some()
}

/// The library with at least `codes` (main regions) and `whole` (every region) built.
fn ensure(codes: &[i32], whole: &[i32]) -> Rc<PhoneNumberUtil> {
    BUILT.with(|built| {
        let mut built = built.borrow_mut();
        if let Some(b) = built.as_ref() {
            if codes.iter().chain(whole).all(|c| b.codes.contains(c))
                && whole.iter().all(|c| b.whole.contains(c))
            {
                return b.util.clone();
            }
        }
        let old = built.as_ref();
        let codes: BTreeSet<i32> = old
            .map(|b| &b.codes)
            .into_iter()
            .flatten()
            .chain(codes)
            .chain(whole)
            .copied()
            .collect();
        let whole: BTreeSet<i32> = old
            .map(|b| &b.whole)
            .into_iter()
            .flatten()
            .chain(whole)
            .copied()
            .collect();
        // The old tables go first: wasm memory never shrinks, so two sets alive at once would
        // be paid for the rest of the page's life.
        *built = None;
        let util = Rc::new(build(&codes, &whole));
        *built = Some(Built {
            codes,
            whole,
            util: util.clone(),
            warmed: None,
        });
        util
    })
}

/// True when `entry` is its code's main region: flagged so, or the code's first region when
/// none is (the code's only region, always).
fn is_main(entry: &Entry) -> bool {
    let mut same = index().iter().filter(|e| e.code == entry.code);
    entry.main
        || (!same.clone().any(|e| e.main) && same.next().is_some_and(|e| std::ptr::eq(e, entry)))
}

/// The region whose patterns the tables built now have compiled, if any.
pub(crate) fn warmed() -> Option<String> {
    BUILT.with(|built| built.borrow().as_ref().and_then(|b| b.warmed.clone()))
}

/// Notes that the tables built now have `region`'s patterns compiled.
pub(crate) fn mark_warmed(region: &str) {
    BUILT.with(|built| {
        if let Some(b) = built.borrow_mut().as_mut() {
            b.warmed = Some(region.to_owned());
        }
    })
}

/// True when the tables of one of `codes` are not built yet.
pub(crate) fn missing(codes: &[i32]) -> bool {
    BUILT.with(|built| {
        built
            .borrow()
            .as_ref()
            .is_none_or(|b| codes.iter().any(|c| !b.codes.contains(c)))
    })
}

/// The library for the main regions of `codes` and every region of `whole`, in the
/// metadata's order (the order in which the library ranks regions that share a code).
fn build(codes: &BTreeSet<i32>, whole: &BTreeSet<i32>) -> PhoneNumberUtil {
    // The regions are in order, so each chunk is inflated once, and dropped at the next.
    let mut open: Option<(usize, Cow<'static, [u8]>)> = None;
    let metadata: Vec<PhoneMetadata> = index()
        .iter()
        .filter(|e| codes.contains(&e.code) && (whole.contains(&e.code) || is_main(e)))
        .map(|e| {
            if open.as_ref().is_none_or(|(i, _)| *i != e.chunk) {
                open = None;
                let bytes = metadata()
                    .and_then(|m| chunk(m, e.chunk))
                    .expect("a chunk of the phone metadata inflates");
                open = Some((e.chunk, bytes));
            }
            let bytes = open
                .as_ref()
                .map(|(_, b)| &b[e.bytes.clone()])
                .unwrap_or_default();
            PhoneMetadata::decode(bytes).expect("a region of the phone metadata decodes")
        })
        .collect();
    drop(open);
    let collection = PhoneMetadataCollection { metadata };
    PhoneNumberUtil::new_for_metadata(collection).expect("the phone metadata's regions are known")
}

/// The regions of a `PhoneMetadataCollection` (field 1, repeated): each one's id (field 9) and
/// calling code (field 10) read from its bytes, the rest skipped; `chunk` is where the bytes are.
fn entries(bytes: &[u8], chunk: usize) -> Option<Vec<Entry>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let (field, wire) = key(bytes, &mut at)?;
        if field == 1 && wire == 2 {
            let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
            let range = at..at.checked_add(len)?;
            let (id, code, main) = header(bytes.get(range.clone())?)?;
            out.push(Entry {
                id,
                code,
                main,
                chunk,
                bytes: range.clone(),
            });
            at = range.end;
        } else {
            skip(bytes, &mut at, wire)?;
        }
    }
    Some(out)
}

/// A `PhoneMetadata`'s id, calling code and whether it is its code's main region (field 22).
fn header(message: &[u8]) -> Option<(String, i32, bool)> {
    let (mut id, mut code, mut main) = (None, None, false);
    let mut at = 0;
    while at < message.len() {
        let (field, wire) = key(message, &mut at)?;
        match (field, wire) {
            (9, 2) => {
                let len = usize::try_from(varint(message, &mut at)?).ok()?;
                let text = message.get(at..at.checked_add(len)?)?;
                id = Some(String::from_utf8(text.to_vec()).ok()?);
                at += len;
            }
            // int32: a negative value is ten bytes of varint; the low 32 bits are the value.
            (10, 0) => code = Some(varint(message, &mut at)? as u32 as i32),
            (22, 0) => main = varint(message, &mut at)? != 0,
            _ => skip(message, &mut at, wire)?,
        }
    }
    Some((id?, code?, main))
}

fn key(bytes: &[u8], at: &mut usize) -> Option<(u64, u64)> {
    let k = varint(bytes, at)?;
    Some((k >> 3, k & 7))
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(value);
        }
    }
    None
}

fn skip(bytes: &[u8], at: &mut usize, wire: u64) -> Option<()> {
    match wire {
        0 => {
            varint(bytes, at)?;
        }
        1 => *at += 8,
        2 => {
            let len = usize::try_from(varint(bytes, at)?).ok()?;
            *at = at.checked_add(len)?;
        }
        5 => *at += 4,
        _ => return None,
    }
    (*at <= bytes.len()).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_names_every_region_once() {
        let index = index();
        assert!(index.len() > 240, "{} regions", index.len());
        let ids: BTreeSet<&str> = index.iter().map(|e| e.id.as_str()).collect();
        // `001` (non-geographical) appears once per code; every country once.
        let countries = index.iter().filter(|e| e.id != "001").count();
        assert_eq!(ids.len() - 1, countries);
        assert_eq!(code_of("us"), Some(1));
        assert_eq!(code_of("IT"), Some(39));
        assert_eq!(code_of("GB"), Some(44));
        assert_eq!(code_of("XX"), None);
        // Every region decodes to the id and code the index read.
        for e in index {
            let bytes = chunk(metadata().unwrap(), e.chunk).unwrap();
            let m = PhoneMetadata::decode(&bytes[e.bytes.clone()]).unwrap();
            assert_eq!(
                (m.id.as_str(), m.country_code),
                (e.id.as_str(), Some(e.code))
            );
        }
    }

    /// The built-in collection packed as `scripts/phone-metadata.mjs` packs it for the app:
    /// its regions in runs of at least `size` bytes, each deflated, behind the header.
    fn pack(size: usize) -> Vec<u8> {
        let raw = metadata().unwrap().bytes;
        let mut runs: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        for e in entries(raw, 0).unwrap() {
            // A region's record starts before its bytes (its key and length): runs end where
            // the next record starts.
            let end = e.bytes.end;
            if end - start >= size {
                runs.push(start..end);
                start = end;
            }
        }
        if start < raw.len() {
            runs.push(start..raw.len());
        }
        let deflated: Vec<Vec<u8>> = runs
            .iter()
            .map(|r| miniz_oxide::deflate::compress_to_vec(&raw[r.clone()], 9))
            .collect();
        let mut out = MAGIC.to_vec();
        out.extend((runs.len() as u32).to_le_bytes());
        for (r, d) in runs.iter().zip(&deflated) {
            out.extend((d.len() as u32).to_le_bytes());
            out.extend((r.len() as u32).to_le_bytes());
        }
        for d in deflated {
            out.extend(d);
        }
        out
    }

    // Packed, the metadata holds the same regions, each to the byte, in the same order; what
    // the app keeps is under a third of the collection.
    #[test]
    fn packed_metadata_holds_every_region_as_built_in() {
        let raw = metadata().unwrap().bytes;
        let packed = pack(16 * 1024);
        assert!(
            packed.len() * 3 < raw.len(),
            "{} of {}",
            packed.len(),
            raw.len()
        );
        let (chunks, regions) = unpack(&packed).unwrap();
        assert!(chunks.len() > 10, "{} chunks", chunks.len());
        let unpacked = Metadata {
            bytes: Box::leak(packed.into_boxed_slice()),
            chunks,
            index: regions,
        };
        let built_in = index();
        assert_eq!(unpacked.index.len(), built_in.len());
        for (p, b) in unpacked.index.iter().zip(built_in) {
            assert_eq!((&p.id, p.code, p.main), (&b.id, b.code, b.main));
            let bytes = chunk(&unpacked, p.chunk).unwrap();
            assert_eq!(&bytes[p.bytes.clone()], &raw[b.bytes.clone()], "{}", p.id);
        }
    }

    // What is not packed metadata, or is damaged, is refused whole.
    #[test]
    fn damaged_packed_metadata_is_refused() {
        let packed = pack(16 * 1024);
        assert!(unpack(&packed).is_some());
        // The collection itself, unpacked.
        assert!(unpack(metadata().unwrap().bytes).is_none());
        // Cut short; one byte more; a byte of a chunk changed; a length changed.
        assert!(unpack(&packed[..packed.len() - 1]).is_none());
        assert!(unpack(&[packed.as_slice(), &[0]].concat()).is_none());
        let mut flipped = packed.clone();
        let last = flipped.len() - 100;
        flipped[last] ^= 0x55;
        assert!(unpack(&flipped).is_none());
        let mut longer = packed.clone();
        longer[12] = longer[12].wrapping_add(1);
        assert!(unpack(&longer).is_none());
        // No chunks at all.
        assert!(unpack(&[MAGIC.as_slice(), &0u32.to_le_bytes()].concat()).is_none());
    }

    // The metadata built in is there from the start; installing it again changes nothing, and
    // what is not metadata is refused.
    #[test]
    fn installing_keeps_the_first_metadata() {
        assert!(ready());
        assert_eq!(
            install(b"not metadata".to_vec()),
            Err(InstallError::NotMetadata)
        );
        assert_eq!(install(Vec::new()), Err(InstallError::NotMetadata));
        assert_eq!(
            install(metadata().unwrap().bytes.to_vec()),
            Err(InstallError::NotMetadata)
        );
        assert_eq!(install(pack(16 * 1024)), Ok(()));
        assert_eq!(code_of("IT"), Some(39));
    }

    #[test]
    fn codes_are_read_where_a_prefix_may_end() {
        let codes = codes_in("+44 20 7946 0018").unwrap();
        assert!(codes.contains(&44));
        assert_eq!(code_after_plus("Tel: +44 20 7946 0018"), Some(44));
        assert_eq!(code_after_plus("0044 20 7946 0018"), None);
        // The longest prefix, Australia's `14110011`, then 44.
        assert!(codes_in("1411 0011 44 20 7946 0018").unwrap().contains(&44));
        // Digits of another script are digits; a label before the number is not part of it.
        assert_eq!(code_after_plus("+٤٤ 20 7946 0018"), Some(44));
        assert!(codes_in("mobile: 00 39 06 1234 5678")
            .unwrap()
            .contains(&39));
        // After `011` (from the US) and `0011` (from Australia).
        assert!(codes_in("011 39 06 1234 5678").unwrap().contains(&39));
        assert!(codes_in("0011 81 3 1234 5678").unwrap().contains(&81));
        // Nothing starts with 0.
        assert!(!codes_in("0").unwrap().contains(&0));
        // A number written in letters, or with a script's digits not listed: only every table
        // will do.
        assert_eq!(codes_in("1-800-FLOWERS"), None);
        assert_eq!(codes_in("+༤༤ 20 7946 0018"), None);
    }
}
